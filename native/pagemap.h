#pragma once
#include <napi.h>

namespace ksm {

// inspectPages(view) -> { pages, present, merged, zeroPages, reads }: per-page
// state of the view's whole pages from /proc/self/pagemap (one pread) and /proc/kpageflags (one
// pread per cluster of nearby frames), never page by page.
// present is undefined where pagemap cannot be opened; merged and zeroPages are undefined where
// frame numbers are hidden (no CAP_SYS_ADMIN) or kpageflags cannot be read.
Napi::Value InspectPages(const Napi::CallbackInfo& info);

}  // namespace ksm
