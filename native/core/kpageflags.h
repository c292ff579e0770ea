#pragma once
#include <cstdint>
#include <vector>

#include "core/proc_file.h"

namespace ksm {

constexpr uint64_t kPagemapPresent = uint64_t{1} << 63;
constexpr uint64_t kPagemapFileOrShared = uint64_t{1} << 61;
constexpr uint64_t kPagemapExclusive = uint64_t{1} << 56;
constexpr uint64_t kPagemapFrameMask = (uint64_t{1} << 55) - 1;
constexpr uint64_t kKpfKsm = uint64_t{1} << 21;
constexpr uint64_t kKpfZeroPage = uint64_t{1} << 24;

struct FrameReads {
  uint32_t reads = 0;
  uint64_t frames = 0;  // entries read, gaps between a cluster's frames included
};

// The /proc/kpageflags entry of each frame, in the order given (frames need not be sorted or
// distinct), reading clusters of nearby frames at once. False (errno set) if a read fails.
bool ReadFrameFlags(const ProcFile& kpageflags, const std::vector<uint64_t>& frames, std::vector<uint64_t>* flags,
                    FrameReads* reads);

}  // namespace ksm
