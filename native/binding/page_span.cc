#include "binding/page_span.h"

#include "binding/memory_view.h"
#include "core/page_range.h"

namespace ksm {

Napi::Value PageSpan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const MemoryView view = GetMemoryView(info[0]);
  const uintptr_t address = reinterpret_cast<uintptr_t>(view.data);
  const PageRange pages = WholePagesWithin(address, view.length, PageSize());
  // malloc and mmap hand out addresses below 2^47 unless a caller asks for more: exact as doubles.
  Napi::Object result = Napi::Object::New(env);
  result.Set("address", Napi::Number::New(env, static_cast<double>(address)));
  result.Set("start", Napi::Number::New(env, static_cast<double>(pages.begin)));
  result.Set("end", Napi::Number::New(env, static_cast<double>(pages.end)));
  return result;
}

}  // namespace ksm
