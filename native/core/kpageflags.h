#pragma once
#include <cstdint>
#include <vector>

#include "core/proc_file.h"

namespace ksm {

struct FrameReads {
  uint32_t reads = 0;
  uint64_t frames = 0;  // entries read, gaps between a cluster's frames included
};

// The /proc/kpageflags entry of each frame, in the order given (frames need not be sorted or
// distinct), reading clusters of nearby frames at once. False (errno set) if a read fails.
bool ReadFrameFlags(const ProcFile& kpageflags, const std::vector<uint64_t>& frames, std::vector<uint64_t>* flags,
                    FrameReads* reads);

}  // namespace ksm
