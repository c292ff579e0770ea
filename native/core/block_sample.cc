#include "core/block_sample.h"

#include <algorithm>
#include <cerrno>

#include "core/linux_abi.h"
#include "core/page_range.h"
#include "core/proc_file.h"

namespace ksm {
namespace {

// Pieces up to this many pagemap entries apart are read in one pread, the gap included: one
// read of a few KiB costs less than two system calls.
constexpr uint64_t kMaxGapEntries = 64;
constexpr size_t kMaxReadEntries = 2048;

}  // namespace

bool ReadSamplePages(const std::vector<SamplePiece>& pieces, ClassPages pages[kBlockClasses]) {
  if (pieces.empty()) return true;
  ProcFile pagemap("/proc/self/pagemap");
  if (!pagemap.ok()) {
    errno = pagemap.open_errno();
    return false;
  }
  const size_t page_size = PageSize();
  std::vector<uint64_t> entries(kMaxReadEntries);
  uint32_t reads = 0;
  for (size_t i = 0; i < pieces.size();) {
    // A window of pieces in address order (SampleLiveBlocks gives them so within a run).
    const uint64_t first = pieces[i].begin / page_size;
    size_t j = i + 1;
    uint64_t last = first + pieces[i].pages;
    while (j < pieces.size()) {
      const uint64_t next = pieces[j].begin / page_size;
      const uint64_t next_end = next + pieces[j].pages;
      if (next < last || next - last > kMaxGapEntries || next_end - first > kMaxReadEntries) break;
      last = next_end;
      j++;
    }
    if (!pagemap.ReadEntries(first, entries.data(), last - first, &reads)) return false;
    for (; i < j; i++) {
      const SamplePiece& piece = pieces[i];
      const uint64_t* entry = entries.data() + (piece.begin / page_size - first);
      ClassPages& into = pages[piece.block_class];
      for (uint32_t p = 0; p < piece.pages; p++) {
        if ((entry[p] & kPagemapPresent) == 0) continue;
        into.present++;
        if ((entry[p] & kPagemapExclusive) == 0) into.shared++;
      }
    }
  }
  return true;
}

}  // namespace ksm
