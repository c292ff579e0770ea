#pragma once
#include <napi.h>

#include <cstddef>
#include <memory>

namespace ksm {

// The addon's only uses of V8 itself, past Node-API (v8_bridge.cc is the one file that includes
// <v8.h>): handing V8 memory of ours as an ArrayBuffer's backing store (allocate.cc says why),
// and holding the backing store under a view (core/heap_marks.h says why).

// Whether this runtime's V8 takes memory from outside its heap as a backing store: not with the
// V8 sandbox, where every ArrayBuffer must live inside it.
bool ExternalMemoryAllowed();

// A plain ArrayBuffer over [data, data + length), backed by a store of V8's own that calls
// `deleter(data, length, deleter_data)` exactly once, when the last ArrayBuffer over the memory
// (in any thread, detached and re-wrapped or not) is gone. Only where ExternalMemoryAllowed().
using MemoryDeleter = void (*)(void* data, size_t length, void* deleter_data);
Napi::Value NewArrayBufferOver(Napi::Env env, void* data, size_t length, MemoryDeleter deleter, void* deleter_data);

// The backing store of the view's ArrayBuffer (or the ArrayBuffer's, or SharedArrayBuffer's)
// as an owner of its memory: while held, the memory is not freed, whichever ArrayBuffer has it
// by then (transferred, cloned, posted to a worker). Null for anything else.
std::shared_ptr<void> HoldMemoryOf(const Napi::Value& view);

}  // namespace ksm
