#pragma once
#include <napi.h>

namespace ksm {

// advise(view, offset, length, mergeable, owner) -> start: madvise(MADV_MERGEABLE or
// MADV_UNMERGEABLE) on the whole pages inside [offset, offset + length) of the view; returns the
// view offset of the first of them, or -1 when no whole page lies inside (and nothing is called).
// A mark on memory the allocator does not own is recorded under `owner` (the JS layer's number
// for the view's ArrayBuffer; 0 records nothing), to be released with it.
Napi::Value Advise(const Napi::CallbackInfo& info);

// releaseMarks(owners) -> undefined: unmarks what was marked under these owners, whose
// ArrayBuffers were collected.
Napi::Value ReleaseMarks(const Napi::CallbackInfo& info);

// Gives the environment its id for owners, and releases its marks at its teardown.
void SetUpHeapMarks(Napi::Env env);

// probeMergeable() -> errno: madvise(MADV_MERGEABLE) on a page of its own, 0 when it works.
// EINVAL means a kernel without KSM; EPERM or ENOSYS, a seccomp filter.
Napi::Value ProbeMergeable(const Napi::CallbackInfo& info);

}  // namespace ksm
