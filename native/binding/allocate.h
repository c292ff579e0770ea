#pragma once
#include <napi.h>

namespace ksm {

// allocate(length, zeroed = true) -> ArrayBuffer | null: `length` bytes of page-aligned,
// mergeable memory, zeroed, or with zeroed false holding what an earlier user wrote (for
// callers that overwrite it all); either way zero past `length` to the end of its last page.
// null where the runtime refuses memory from outside its heap (the V8 sandbox); the JS layer
// then falls back to a marked plain Buffer.
Napi::Value Allocate(const Napi::CallbackInfo& info);

// allocatorStats() -> { arenas, liveBlocks, liveBytes, keptBytes, unmarkedRanges, heapMarks }.
Napi::Value AllocatorStatsValue(const Napi::CallbackInfo& info);

// trimAllocator() -> boolean: TrimIdleAllocator, for the JS layer's idle timer.
Napi::Value TrimAllocator(const Napi::CallbackInfo& info);

// advanceAllocatorEpoch() -> number: AdvanceEpoch (core/allocator.h), for transparent mode's timer.
Napi::Value AdvanceAllocatorEpoch(const Napi::CallbackInfo& info);

// sampleAllocator(matureEpoch, maxPages) -> Float64Array: for each block class (core/allocator.h), five
// numbers: live blocks, the bytes and the pages they hold, then, of up to maxPages (at most
// kMaxSamplePages) data pages of live blocks made at or before matureEpoch, how many are
// resident and how many of those are shared (merged); those two are NaN where
// /proc/self/pagemap cannot be read.
Napi::Value SampleAllocator(const Napi::CallbackInfo& info);
constexpr int kSampleValues = 5;
constexpr double kMaxSamplePages = 1024;

// externalBuffersAllowed() -> boolean: whether this runtime accepts memory from outside its heap.
Napi::Value ExternalBuffersAllowed(const Napi::CallbackInfo& info);

}  // namespace ksm
