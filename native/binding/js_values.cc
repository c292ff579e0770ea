#include "binding/js_values.h"

#include <uv.h>

#include <cmath>
#include <string>

namespace ksm {
namespace {

// 0 for a kind this table does not know (newer runtimes add some, e.g. Float16Array).
size_t ElementBytes(napi_typedarray_type type) {
  switch (type) {
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    default:
      return 0;
  }
}

}  // namespace

size_t ByteCount(const Napi::Value& value, const char* name, double min, double max) {
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= min && number <= max) || number != std::floor(number)) {
    throw Napi::RangeError::New(value.Env(), std::string("invalid ") + name);
  }
  return static_cast<size_t>(number);
}

// One napi call per view (the wrapper classes would make three for a TypedArray): this runs on
// every markMergeable.
MemoryView GetMemoryView(const Napi::Value& value) {
  napi_env env = value.Env();
  void* data = nullptr;
  size_t length = 0;
  if (value.IsTypedArray()) {
    napi_typedarray_type type = static_cast<napi_typedarray_type>(-1);
    size_t elements = 0;
    napi_value buffer;
    size_t byte_offset;
    NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, value, &type, &elements, &data, &buffer, &byte_offset),
                         MemoryView{});
    const size_t element_bytes = ElementBytes(type);
    length = element_bytes != 0 ? elements * element_bytes
                                : value.As<Napi::Object>().Get("byteLength").As<Napi::Number>().Int64Value();
  } else if (value.IsDataView()) {
    napi_value buffer;
    size_t byte_offset;
    NAPI_THROW_IF_FAILED(env, napi_get_dataview_info(env, value, &length, &data, &buffer, &byte_offset), MemoryView{});
  } else if (value.IsArrayBuffer()) {
    NAPI_THROW_IF_FAILED(env, napi_get_arraybuffer_info(env, value, &data, &length), MemoryView{});
  } else {
    throw Napi::TypeError::New(env, "expected an ArrayBuffer, TypedArray or DataView");
  }
  return {static_cast<uint8_t*>(data), length};
}

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
