#include "binding/v8_bridge.h"

#include <cstring>

namespace ksm {
namespace {

v8::Local<v8::Value> ToLocal(napi_value value) {
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(value), "a v8::Local is one handle");
  std::memcpy(static_cast<void*>(&local), &value, sizeof(value));
  return local;
}

}  // namespace

napi_value ToNapiValue(v8::Local<v8::Value> local) {
  static_assert(sizeof(local) == sizeof(napi_value), "a v8::Local is one handle");
  napi_value value;
  std::memcpy(&value, &local, sizeof(value));
  return value;
}

std::shared_ptr<void> HoldMemoryOf(const Napi::Value& view) {
  const v8::Local<v8::Value> local = ToLocal(view);
  if (local->IsArrayBufferView()) return local.As<v8::ArrayBufferView>()->Buffer()->GetBackingStore();
  if (local->IsArrayBuffer()) return local.As<v8::ArrayBuffer>()->GetBackingStore();
  if (local->IsSharedArrayBuffer()) return local.As<v8::SharedArrayBuffer>()->GetBackingStore();
  return nullptr;
}

}  // namespace ksm
