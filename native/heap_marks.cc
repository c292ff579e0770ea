#include "heap_marks.h"

#include <sys/mman.h>
#include <sys/prctl.h>

#include <mutex>

#include "range_map.h"

#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif

namespace ksm {
namespace {

struct State {
  std::mutex mutex;
  RangeMap<uint64_t> marks;  // value: owner
};

// Never destroyed: a worker may release its marks while the process exits.
State& state() {
  static State* const instance = new State;
  return *instance;
}

}  // namespace

void RecordHeapMark(uintptr_t begin, uintptr_t end, uint64_t owner) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.marks.Assign(begin, end, owner);
}

void ForgetHeapMarks(uintptr_t begin, uintptr_t end) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.marks.Erase(begin, end);
}

void ReleaseHeapMarks(const std::function<bool(uint64_t owner)>& matches) {
  // EINVAL before Linux 6.4: no process-wide merge, so it is off.
  const bool merge_any = prctl(PR_GET_MEMORY_MERGE, 0UL, 0UL, 0UL, 0UL) > 0;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto& ranges = s.marks.ranges();
  for (auto it = ranges.begin(); it != ranges.end();) {
    if (!matches(it->second.value)) {
      ++it;
      continue;
    }
    // The memory may be unmapped by now (ENOMEM): nothing is left to unmark there.
    if (!merge_any) madvise(reinterpret_cast<void*>(it->first), it->second.end - it->first, MADV_UNMERGEABLE);
    it = ranges.erase(it);
  }
}

void RemarkHeapMarks() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  for (const auto& [begin, range] : s.marks.ranges()) {
    madvise(reinterpret_cast<void*>(begin), range.end - begin, MADV_MERGEABLE);
  }
}

size_t HeapMarkCount() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.marks.size();
}

}  // namespace ksm
