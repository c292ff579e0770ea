#include "memory_view.h"

namespace ksm {

MemoryView GetMemoryView(const Napi::Value& value) {
  if (value.IsTypedArray()) {
    Napi::TypedArray array = value.As<Napi::TypedArray>();
    auto* base = static_cast<uint8_t*>(array.ArrayBuffer().Data());
    return {base == nullptr ? nullptr : base + array.ByteOffset(), array.ByteLength()};
  }
  if (value.IsDataView()) {
    Napi::DataView view = value.As<Napi::DataView>();
    return {static_cast<uint8_t*>(view.Data()), view.ByteLength()};
  }
  if (value.IsArrayBuffer()) {
    Napi::ArrayBuffer buffer = value.As<Napi::ArrayBuffer>();
    return {static_cast<uint8_t*>(buffer.Data()), buffer.ByteLength()};
  }
  throw Napi::TypeError::New(value.Env(), "expected an ArrayBuffer, TypedArray or DataView");
}

}  // namespace ksm
