#pragma once
#include <cstddef>
#include <cstdint>

namespace ksm {

size_t PageSize();

// The whole pages inside [address, address + length), as byte offsets from address.
// begin == end when no whole page fits.
struct PageRange {
  size_t begin;
  size_t end;
};

PageRange WholePagesWithin(uintptr_t address, size_t length, size_t page_size);

}  // namespace ksm
