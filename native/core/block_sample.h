#pragma once
#include <cstddef>
#include <vector>

#include "core/allocator.h"

namespace ksm {

// What /proc/self/pagemap says of the sampled pages of one block class.
struct ClassPages {
  size_t present = 0;  // resident
  size_t shared = 0;   // of them, not mapped by this process alone: merged by ksmd (or the zero page)
};

// Reads the pagemap entries of `pieces` (from SampleLiveBlocks), nearby pieces in one pread,
// into `pages` by class. False (errno set) when pagemap cannot be opened or read; the bit it
// relies on ("exclusively mapped", bit 56) is readable without privilege since Linux 4.2.
bool ReadSamplePages(const std::vector<SamplePiece>& pieces, ClassPages pages[kBlockClasses]);

}  // namespace ksm
