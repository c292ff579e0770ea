#pragma once
#include <napi.h>

namespace ksm {

// inspectPages(view) -> { address, start, end, pages, present, merged, zeroPages, reads }: the
// view's page span (as pageSpan gives it) and the per-page
// state of the view's whole pages from /proc/self/pagemap (one pread) and /proc/kpageflags (one
// pread per cluster of nearby frames), never page by page.
// present is undefined where pagemap cannot be opened; merged and zeroPages are undefined where
// frame numbers are hidden (no CAP_SYS_ADMIN) or kpageflags cannot be read. reads counts the
// preads of each file and the kpageflags entries they covered.
Napi::Value InspectPages(const Napi::CallbackInfo& info);

}  // namespace ksm
