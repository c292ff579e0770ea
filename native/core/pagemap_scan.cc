#include "core/pagemap_scan.h"

#include <sys/ioctl.h>

#include <cerrno>

#include "core/linux_abi.h"

namespace ksm {
namespace {

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
