#pragma once
#include <napi.h>

namespace ksm {

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

}  // namespace ksm
