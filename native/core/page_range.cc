#include "core/page_range.h"

#include <unistd.h>

namespace ksm {

size_t PageSize() {
  static const size_t page_size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page_size;
}

PageRange WholePagesWithin(uintptr_t address, size_t length, size_t page_size) {
  const uintptr_t mask = page_size - 1;
  const uintptr_t first = (address + mask) & ~mask;
  const uintptr_t last = (address + length) & ~mask;
  if (length == 0 || first >= last) return {0, 0};
  return {first - address, last - address};
}

}  // namespace ksm
