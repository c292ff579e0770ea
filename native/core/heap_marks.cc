#include "core/heap_marks.h"

#include <sys/mman.h>
#include <sys/prctl.h>

#include <iterator>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "core/linux_abi.h"
#include "core/range_map.h"

namespace ksm {
namespace {

struct HeapMark {
  uint64_t owner;
  std::shared_ptr<void> memory;
};

struct State {
  std::mutex mutex;
  RangeMap<HeapMark> marks;
};

// Never destroyed: a worker may release its marks while the process exits.
State& state() {
  static State* const instance = new State;
  return *instance;
}

// EINVAL before Linux 6.4: no process-wide merge, so it is off.
bool MergeAny() { return prctl(PR_GET_MEMORY_MERGE, 0UL, 0UL, 0UL, 0UL) > 0; }

// Unmarks and erases the marks in [first, last). What they held is moved to `let_go`, which
// has room for it, for the caller to drop once the lock is released: the last reference frees
// the memory, and that may run any ArrayBuffer deleter.
template <typename Iterator>
void Release(State& s, bool merge_any, Iterator first, Iterator last, std::vector<std::shared_ptr<void>>* let_go) {
  for (auto it = first; it != last; ++it) {
    if (!merge_any) madvise(reinterpret_cast<void*>(it->first), it->second.end - it->first, MADV_UNMERGEABLE);
    let_go->push_back(std::move(it->second.value.memory));
  }
  s.marks.ranges().erase(first, last);
}

}  // namespace

void RecordHeapMark(uintptr_t begin, uintptr_t end, uint64_t owner, std::shared_ptr<void> memory) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.marks.Assign(begin, end, HeapMark{owner, std::move(memory)});
}

void ForgetHeapMarks(uintptr_t begin, uintptr_t end) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.marks.Erase(begin, end);  // the user's view is alive: nothing is freed here
}

namespace {

// Takes the lock and room to let go of every mark, then walks the marks in runs, each from
// `first` to `split(first)`, and releases the runs `release(first, last)` picks. The marks left;
// with no room, nothing is released (a later call tries again).
template <typename Split, typename Pick>
size_t ReleaseRuns(Split split, Pick release) {
  const bool merge_any = MergeAny();
  State& s = state();
  std::vector<std::shared_ptr<void>> let_go;  // dropped after the lock (declared before it)
  std::lock_guard<std::mutex> lock(s.mutex);
  try {
    let_go.reserve(s.marks.size());
  } catch (const std::bad_alloc&) {
    return s.marks.size();
  }
  auto& ranges = s.marks.ranges();
  for (auto first = ranges.begin(); first != ranges.end();) {
    const auto last = split(first, ranges.end());
    if (release(first, last)) Release(s, merge_any, first, last, &let_go);
    first = last;
  }
  return s.marks.size();
}

}  // namespace

size_t SweepHeapMarks() {
  // The ranges of one memory lie within it, and memories held cannot overlap, so each memory's
  // ranges are neighbours in address order: a run of them holds as many references as it has
  // ranges, and if that is all there are, no ArrayBuffer has the memory any more.
  return ReleaseRuns(
      [](auto first, auto end) {
        const void* memory = first->second.value.memory.get();
        while (first != end && first->second.value.memory.get() == memory) ++first;
        return first;
      },
      [](auto first, auto last) {
        const std::shared_ptr<void>& memory = first->second.value.memory;
        return !memory || memory.use_count() == std::distance(first, last);
      });
}

void ReleaseHeapMarks(const std::function<bool(uint64_t owner)>& matches) {
  // At an environment's teardown; without room, its marks stay, still holding their memory.
  ReleaseRuns([](auto first, auto) { return std::next(first); },
              [&matches](auto first, auto) { return matches(first->second.value.owner); });
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
