#pragma once
#include <cstdint>
#include <vector>

#include "core/proc_file.h"

namespace ksm {

struct Region {
  uint64_t begin;
  uint64_t end;
};

enum class RegionScan { kDone, kUnsupported, kFailed };

// The present private anonymous pages of [begin, end) in the process whose pagemap this is, as
// address ranges, by the PAGEMAP_SCAN ioctl (Linux 6.7+): the kernel skips empty page tables
// instead of writing 8 bytes for every page of address space, which for a sanitizer's
// terabytes of shadow memory takes minutes. Pages mapping the kernel's zero page are left out.
// kUnsupported where the kernel lacks the ioctl; kFailed with errno set otherwise.
RegionScan PresentAnonymousRegions(const ProcFile& pagemap, uint64_t begin, uint64_t end, std::vector<Region>* out);

}  // namespace ksm
