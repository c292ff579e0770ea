#pragma once
#include <napi.h>

namespace ksm {

// An Error shaped like Node's own system errors (UVException): message
// "EINVAL: invalid argument, madvise", .code "EINVAL", .errno -22 (negative, as Node
// reports it), .syscall "madvise". JS code branches on .code, never on the message.
Napi::Error SyscallError(Napi::Env env, const char* syscall, int err);

}  // namespace ksm
