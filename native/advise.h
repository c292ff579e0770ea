#pragma once
#include <napi.h>

namespace ksm {

// advise(view, offset, length, mergeable) -> start: madvise(MADV_MERGEABLE or
// MADV_UNMERGEABLE) on the whole pages inside [offset, offset + length) of the view; returns the
// view offset of the first of them, or -1 when no whole page lies inside (and nothing is called).
Napi::Value Advise(const Napi::CallbackInfo& info);

// probeMergeable() -> errno: madvise(MADV_MERGEABLE) on a page of its own, 0 when it works.
// EINVAL means a kernel without KSM; EPERM or ENOSYS, a seccomp filter.
Napi::Value ProbeMergeable(const Napi::CallbackInfo& info);

}  // namespace ksm
