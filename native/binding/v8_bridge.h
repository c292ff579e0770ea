#pragma once
#include <napi.h>
#include <v8.h>

#include <memory>

namespace ksm {

// The addon's only uses of V8 itself, past Node-API: handing V8 memory of ours as an
// ArrayBuffer's backing store (allocate.cc says why), and holding the backing store under a
// view (core/heap_marks.h says why).

// A napi_value is the handle inside a v8::Local, as Node's own Node-API implementation
// converts between them (js_native_api_v8.h).
napi_value ToNapiValue(v8::Local<v8::Value> local);

// The backing store of the view's ArrayBuffer (or the ArrayBuffer's, or SharedArrayBuffer's)
// as an owner of its memory: while held, the memory is not freed, whichever ArrayBuffer has it
// by then (transferred, cloned, posted to a worker). Null for anything else.
std::shared_ptr<void> HoldMemoryOf(const Napi::Value& view);

}  // namespace ksm
