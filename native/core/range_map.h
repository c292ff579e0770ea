#pragma once
#include <cstdint>
#include <iterator>
#include <map>
#include <new>

namespace ksm {

// Disjoint address ranges [begin, end), each carrying a value. Not thread-safe: its owner
// holds a lock around every call. Never throws, as a V8 deleter calls it: where memory runs out
// (a process at its mapping limit, where malloc cannot map more), a range that cannot be stored
// is dropped, and Assign says so, for owners whose record must exist (the allocator's).
template <typename T>
class RangeMap {
 public:
  struct Range {
    uintptr_t end;
    T value;
  };
  using Map = std::map<uintptr_t, Range>;

  // Removes [begin, end) from every range, keeping what sticks out on either side.
  void Erase(uintptr_t begin, uintptr_t end) noexcept {
    try {
      EraseOrThrow(begin, end);
    } catch (const std::bad_alloc&) {
      // A part sticking out could not be kept; the rest is erased.
    }
  }

  // [begin, end) carries value from now on, whatever overlapped it before. False when memory ran
  // out: [begin, end) is then in no range at all.
  bool Assign(uintptr_t begin, uintptr_t end, const T& value) noexcept {
    auto same = ranges_.find(begin);
    if (same != ranges_.end() && same->second.end == end) {
      same->second.value = value;  // marking the same buffer again: the common case, no rebalancing
      return true;
    }
    Erase(begin, end);
    try {
      ranges_.emplace(begin, Range{end, value});
      return true;
    } catch (const std::bad_alloc&) {
      return false;
    }
  }

  bool Overlaps(uintptr_t begin, uintptr_t end) const {
    auto it = ranges_.lower_bound(begin);
    if (it != ranges_.end() && it->first < end) return true;
    return it != ranges_.begin() && std::prev(it)->second.end > begin;
  }

  Map& ranges() { return ranges_; }
  const Map& ranges() const { return ranges_; }
  bool empty() const { return ranges_.empty(); }
  size_t size() const { return ranges_.size(); }

 private:
  void EraseOrThrow(uintptr_t begin, uintptr_t end) {
    auto it = ranges_.lower_bound(begin);
    if (it != ranges_.begin()) {
      auto before = std::prev(it);
      if (before->second.end > begin) {
        const Range whole = before->second;
        before->second.end = begin;
        if (whole.end > end) ranges_.emplace(end, Range{whole.end, whole.value});
      }
    }
    while (it != ranges_.end() && it->first < end) {
      if (it->second.end > end) ranges_.emplace(end, it->second);
      it = ranges_.erase(it);
    }
  }

  Map ranges_;
};

}  // namespace ksm
