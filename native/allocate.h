#pragma once
#include <napi.h>

namespace ksm {

// allocate(length, overwritten) -> Buffer | null: `length` bytes of page-aligned mergeable
// memory, zeroed unless `overwritten` (the caller fills every byte), as an external Buffer whose finalizer gives the memory back. null where the runtime refuses
// external buffers (V8 sandbox); the JS layer then falls back to a marked plain Buffer.
Napi::Value Allocate(const Napi::CallbackInfo& info);

// allocatorStats() -> { arenas, liveBlocks, liveBytes, dirtyBytes }: what the allocator holds.
Napi::Value AllocatorStatsValue(const Napi::CallbackInfo& info);

// externalBuffersAllowed() -> boolean: whether this runtime accepts external buffers.
Napi::Value ExternalBuffersAllowed(const Napi::CallbackInfo& info);

}  // namespace ksm
