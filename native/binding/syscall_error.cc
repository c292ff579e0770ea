#include "binding/syscall_error.h"

#include <uv.h>

#include <string>

namespace ksm {

Napi::Error SyscallError(Napi::Env env, const char* syscall, int err) {
  // On Unix a libuv error code is the negated errno, so libuv names it exactly as Node does.
  const int uv_code = -err;
  const char* code = uv_err_name(uv_code);
  std::string message = std::string(code) + ": " + uv_strerror(uv_code) + ", " + syscall;
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("errno", Napi::Number::New(env, uv_code));
  error.Set("code", Napi::String::New(env, code));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

}  // namespace ksm
