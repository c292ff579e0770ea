#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace ksm {

// Values across the boundary: byte counts and views from JavaScript, system errors back to it.

// A byte count from JavaScript: an integer in [min, max]. The JS layer has validated it with
// Node's errors; this check is the last one before the number reaches a pointer or a syscall,
// so a raw call of the addon cannot get past it either. Throws RangeError "invalid <name>".
size_t ByteCount(const Napi::Value& value, const char* name, double min, double max);

// The largest integer a double holds exactly (Number.MAX_SAFE_INTEGER).
constexpr double kMaxSafeInteger = 9007199254740991.0;

// The bytes behind an ArrayBuffer, TypedArray (Buffer included) or DataView.
struct MemoryView {
  uint8_t* data;
  size_t length;
};

// Throws a TypeError for anything else; the JS layer has already rejected such values.
MemoryView GetMemoryView(const Napi::Value& value);

// An Error shaped like Node's own system errors (UVException): message
// "EINVAL: invalid argument, madvise", .code "EINVAL", .errno -22 (negative, as Node
// reports it), .syscall "madvise". JS code branches on .code, never on the message.
Napi::Error SyscallError(Napi::Env env, const char* syscall, int err);

}  // namespace ksm
