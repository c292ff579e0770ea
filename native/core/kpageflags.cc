#include "core/kpageflags.h"

#include <algorithm>
#include <numeric>

namespace ksm {
namespace {

// The kernel charges for every frame of kpageflags a read covers, and a little for each read
// call; the page allocator scatters a buffer's frames over RAM. So frames closer than this are
// read together, gap included, and farther ones start a new read: far fewer frames than one
// read over the whole span, far fewer calls than one per page (docs/performance.md).
constexpr uint64_t kGapFrames = 8;

}  // namespace

bool ReadFrameFlags(const ProcFile& kpageflags, const std::vector<uint64_t>& frames, std::vector<uint64_t>* flags,
                    FrameReads* reads) {
  flags->assign(frames.size(), 0);
  std::vector<size_t> order(frames.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return frames[a] < frames[b]; });
  std::vector<uint64_t> span_flags;
  for (size_t i = 0; i < order.size();) {
    // One read: from this frame through every following frame within kGapFrames of the last.
    const uint64_t first = frames[order[i]];
    size_t j = i + 1;
    while (j < order.size() && frames[order[j]] - frames[order[j - 1]] <= kGapFrames) j++;
    const uint64_t span = frames[order[j - 1]] - first + 1;
    span_flags.resize(span);
    reads->frames += span;
    if (!kpageflags.ReadEntries(first, span_flags.data(), span, &reads->reads)) return false;
    for (; i < j; i++) (*flags)[order[i]] = span_flags[frames[order[i]] - first];
  }
  return true;
}

}  // namespace ksm
