#pragma once
#include <cstdint>
#include <vector>

#include "core/process_pages.h"

namespace ksm {

struct CountSettings {
  uint32_t processes;
  uint32_t kinds;
  uint64_t max_page_sharing;  // sharers per KSM page; 0: no limit (kernels before 4.13)
  bool use_zero_pages;        // zero-filled pages merge with the zero page, not with each other
};

// The three ways of turning merge on that an estimate compares, by the PageFlag a page needs.
constexpr uint8_t kChoices[] = {kMarkedNow, kMergeableIfProcessWide, kMarkedByApp};
constexpr size_t kChoiceValues = 3;   // per choice: pages_sharing, pages_shared, ksm_zero_pages
// per process and kind: pages, zero-filled, merged, twin within, twin across, twin anywhere
constexpr size_t kKindValues = 6;

// Groups the records by digest (sorting them) and counts, as one array of doubles:
// first, for each choice of kChoices, what ksmd would reach (kChoiceValues), then for each
// process and each kind (process-major) kKindValues. A zero-filled page is never counted as
// a twin: zero pages are reported apart.
std::vector<double> CountDuplicates(std::vector<PageRecord>* records, const CountSettings& settings);

}  // namespace ksm
