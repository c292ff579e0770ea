#include "binding/v8_bridge.h"

#include <v8.h>

#include <cstring>
#include <utility>

namespace ksm {
namespace {

// A napi_value is the handle inside a v8::Local, as Node's own Node-API implementation
// converts between them (js_native_api_v8.h).
v8::Local<v8::Value> ToLocal(napi_value value) {
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(value), "a v8::Local is one handle");
  std::memcpy(static_cast<void*>(&local), &value, sizeof(value));
  return local;
}

napi_value ToNapiValue(v8::Local<v8::Value> local) {
  static_assert(sizeof(local) == sizeof(napi_value), "a v8::Local is one handle");
  napi_value value;
  std::memcpy(&value, &local, sizeof(value));
  return value;
}

}  // namespace

bool ExternalMemoryAllowed() {
#ifdef V8_ENABLE_SANDBOX
  return false;
#else
  return true;
#endif
}

Napi::Value NewArrayBufferOver(Napi::Env env, void* data, size_t length, MemoryDeleter deleter, void* deleter_data) {
  std::shared_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(data, length, deleter, deleter_data);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(v8::Isolate::GetCurrent(), std::move(store));
  return Napi::Value(env, ToNapiValue(buffer));
}

std::shared_ptr<void> HoldMemoryOf(const Napi::Value& view) {
  const v8::Local<v8::Value> local = ToLocal(view);
  if (local->IsArrayBufferView()) return local.As<v8::ArrayBufferView>()->Buffer()->GetBackingStore();
  if (local->IsArrayBuffer()) return local.As<v8::ArrayBuffer>()->GetBackingStore();
  if (local->IsSharedArrayBuffer()) return local.As<v8::SharedArrayBuffer>()->GetBackingStore();
  return nullptr;
}

}  // namespace ksm
