#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace ksm {

inline size_t PageSize() {
  static const size_t page_size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page_size;
}

// The whole pages inside [address, address + length), as byte offsets from address.
// begin == end when no whole page fits.
struct PageRange {
  size_t begin;
  size_t end;
};

inline PageRange WholePagesWithin(uintptr_t address, size_t length, size_t page_size) {
  const uintptr_t mask = page_size - 1;
  const uintptr_t first = (address + mask) & ~mask;
  const uintptr_t last = (address + length) & ~mask;
  if (length == 0 || first >= last) return {0, 0};
  return {first - address, last - address};
}

}  // namespace ksm
