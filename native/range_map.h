#pragma once
#include <cstdint>
#include <iterator>
#include <map>

namespace ksm {

// Disjoint address ranges [begin, end), each carrying a value. Not thread-safe: its owner
// holds a lock around every call.
template <typename T>
class RangeMap {
 public:
  struct Range {
    uintptr_t end;
    T value;
  };
  using Map = std::map<uintptr_t, Range>;

  // Removes [begin, end) from every range, keeping what sticks out on either side.
  void Erase(uintptr_t begin, uintptr_t end) {
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

  // [begin, end) carries value from now on, whatever overlapped it before.
  void Assign(uintptr_t begin, uintptr_t end, const T& value) {
    auto same = ranges_.find(begin);
    if (same != ranges_.end() && same->second.end == end) {
      same->second.value = value;  // marking the same buffer again: the common case, no rebalancing
      return;
    }
    Erase(begin, end);
    ranges_.emplace(begin, Range{end, value});
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
  Map ranges_;
};

}  // namespace ksm
