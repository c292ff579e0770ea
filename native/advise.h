#pragma once
#include <napi.h>

namespace ksm {

// advise(view, offset, length, mergeable) -> { start, end }: madvise(MADV_MERGEABLE or
// MADV_UNMERGEABLE) on the whole pages inside [offset, offset + length) of the view.
Napi::Value Advise(const Napi::CallbackInfo& info);

}  // namespace ksm
