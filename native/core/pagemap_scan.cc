#include "core/pagemap_scan.h"

#include <sys/ioctl.h>

#include <cerrno>

namespace ksm {
namespace {

// include/uapi/linux/fs.h (6.7); libc headers older than the kernel may lack them.
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
constexpr unsigned long kPagemapScan = _IOWR('f', 16, PmScanArg);
constexpr size_t kRegionsPerCall = 512;

}  // namespace

RegionScan PresentAnonymousRegions(const ProcFile& pagemap, uint64_t begin, uint64_t end, std::vector<Region>* out) {
  std::vector<PageRegion> regions(kRegionsPerCall);
  for (uint64_t at = begin; at < end;) {
    PmScanArg arg = {};
    arg.size = sizeof(arg);
    arg.start = at;
    arg.end = end;
    arg.vec = reinterpret_cast<uint64_t>(regions.data());
    arg.vec_len = regions.size();
    // Present, and neither a file page nor the zero page: inverted categories must read 0.
    arg.category_mask = kPageIsPresent | kPageIsFile | kPageIsPfnZero;
    arg.category_inverted = kPageIsFile | kPageIsPfnZero;
    arg.return_mask = kPageIsPresent;
    const int found = ioctl(pagemap.fd(), kPagemapScan, &arg);
    if (found < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOTTY || errno == EINVAL) return RegionScan::kUnsupported;
      return RegionScan::kFailed;
    }
    for (int i = 0; i < found; i++) out->push_back({regions[i].start, regions[i].end});
    if (arg.walk_end <= at) break;  // no progress: never spin
    at = arg.walk_end;
  }
  return RegionScan::kDone;
}

}  // namespace ksm
