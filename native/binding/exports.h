#pragma once
#include <napi.h>

namespace ksm {

// What addon.cc exports, under the binding/ file that defines each.

// advise.cc

// advise(view, offset, length, mergeable, record) -> start: madvise(MADV_MERGEABLE or
// MADV_UNMERGEABLE) on the whole pages inside [offset, offset + length) of the view; returns the
// view offset of the first of them, or -1 when no whole page lies inside (and nothing is called).
// With `record` true, a mark on memory the allocator does not own is recorded, holding that
// memory until a sweep finds nothing else does (core/heap_marks.h).
Napi::Value Advise(const Napi::CallbackInfo& info);

// sweepMarks() -> number: SweepHeapMarks, for the JS layer's sweeps; the marks left.
Napi::Value SweepMarks(const Napi::CallbackInfo& info);

// Gives the environment its id as the owner of its marks, and releases them at its teardown.
void SetUpHeapMarks(Napi::Env env);

// probeMergeable() -> errno: madvise(MADV_MERGEABLE) on a page of its own, 0 when it works.
// EINVAL means a kernel without KSM; EPERM or ENOSYS, a seccomp filter.
Napi::Value ProbeMergeable(const Napi::CallbackInfo& info);

// allocate.cc

// allocate(length, zeroed = true) -> ArrayBuffer | null: `length` bytes of page-aligned,
// mergeable memory, an AllocateBlock block (its contents: core/allocator.h).
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

// externalBuffersAllowed() -> boolean: whether this runtime accepts memory from outside its heap.
Napi::Value ExternalBuffersAllowed(const Napi::CallbackInfo& info);

// inspect_pages.cc

// inspectPages(view) -> { address, start, end, pages, present, merged, zeroPages, reads }: the
// view's page span (as pageSpan gives it) and the per-page state of the view's whole pages from
// /proc/self/pagemap (one pread) and /proc/kpageflags (one pread per cluster of nearby frames),
// never page by page.
// present is undefined where pagemap cannot be opened; merged and zeroPages are undefined where
// frame numbers are hidden (no CAP_SYS_ADMIN) or kpageflags cannot be read. reads counts the
// preads of each file and the kpageflags entries they covered.
Napi::Value InspectPages(const Napi::CallbackInfo& info);

// pageSpan(view) -> { address, start, end }: the address of the view's first byte and the
// byte offsets of its whole pages, for reading per-page kernel files about it.
Napi::Value PageSpan(const Napi::CallbackInfo& info);

// page_scanner.cc

// PageScanner: the native half of estimate(). Processes may be read at the same time:
//   begin(pid, index)        opens /proc/<pid>/pagemap and mem, returns a session id (throws
//                            the open error: EACCES, ENOENT)
//   scan(id, Float64Array)   Promise<{ pages, hiddenFrames, vanished, code?, syscall? }> over
//                            [begin, end, kind, flags] quadruples, on the thread pool
//   end(id, keep)            closes the session; keep false drops its pages (a process gone)
//   count(settings)          Promise<Float64Array> of CountDuplicates, once no scan is pending;
//                            the records go with it
// Only digests are kept.
void DefinePageScanner(Napi::Env env, Napi::Object exports);

// process_merge.cc

// setProcessMerge(enabled): prctl(PR_SET_MEMORY_MERGE, 0 | 1, 0, 0, 0).
Napi::Value SetProcessMerge(const Napi::CallbackInfo& info);
// getProcessMerge() -> boolean: prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0).
Napi::Value GetProcessMerge(const Napi::CallbackInfo& info);

}  // namespace ksm
