#pragma once
// The kernel ABI the addon uses past what every libc declares: the bits of /proc's pagemap and
// kpageflags entries, the PAGEMAP_SCAN ioctl and the process-wide merge prctl. Copied from the
// kernel's uapi headers and documentation: the headers a build sees may be older than the kernel
// it runs on.
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include <cstdint>

// prctl: process-wide merge, Linux 6.4 (include/uapi/linux/prctl.h).
#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#endif
#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif

namespace ksm {

// A /proc/<pid>/pagemap entry (Documentation/admin-guide/mm/pagemap.rst).
constexpr uint64_t kPagemapPresent = uint64_t{1} << 63;
constexpr uint64_t kPagemapFileOrShared = uint64_t{1} << 61;
constexpr uint64_t kPagemapExclusive = uint64_t{1} << 56;
constexpr uint64_t kPagemapFrameMask = (uint64_t{1} << 55) - 1;

// A /proc/kpageflags entry (include/uapi/linux/kernel-page-flags.h).
constexpr uint64_t kKpfKsm = uint64_t{1} << 21;
constexpr uint64_t kKpfZeroPage = uint64_t{1} << 24;

// The PAGEMAP_SCAN ioctl on a pagemap file, Linux 6.7 (include/uapi/linux/fs.h).
struct PmScanArg {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted, category_mask,
      category_anyof_mask, return_mask;
};
struct PageRegion {
  uint64_t start, end, categories;
};
constexpr uint64_t kPageIsFile = 1 << 2;
constexpr uint64_t kPageIsPresent = 1 << 3;
constexpr uint64_t kPageIsPfnZero = 1 << 5;
// The request number encodes the struct's size: 96 bytes, as the kernel's struct pm_scan_arg.
static_assert(sizeof(PmScanArg) == 96, "PmScanArg is the kernel's struct pm_scan_arg");
constexpr unsigned long kPagemapScan = _IOWR('f', 16, PmScanArg);

}  // namespace ksm
