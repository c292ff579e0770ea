#include "core/duplicate_count.h"

#include <algorithm>

namespace ksm {
namespace {

struct Saving {
  uint64_t sharing;
  uint64_t shared;
};

// What ksmd makes of n identical mergeable pages: KSM pages of at most `limit` sharers each
// (a stable node chain past the limit); a lone page left over has nothing to merge with.
Saving MergeOf(uint64_t n, uint64_t limit) {
  if (n < 2) return {0, 0};
  if (limit == 0 || n <= limit) return {n - 1, 1};
  const uint64_t full = n / limit;
  const uint64_t rest = n % limit;
  return {full * (limit - 1) + (rest >= 2 ? rest - 1 : 0), full + (rest >= 2 ? 1 : 0)};
}

}  // namespace

std::vector<double> CountDuplicates(std::vector<PageRecord>* records, const CountSettings& settings) {
  std::sort(records->begin(), records->end(), [](const PageRecord& a, const PageRecord& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.process < b.process;
  });
  std::vector<double> out(std::size(kChoices) * kChoiceValues +
                          size_t{settings.processes} * settings.kinds * kKindValues);
  double* choices = out.data();
  double* kinds = out.data() + std::size(kChoices) * kChoiceValues;
  const std::vector<PageRecord>& all = *records;
  for (size_t begin = 0; begin < all.size();) {
    size_t end = begin + 1;
    while (end < all.size() && all[end].hash == all[begin].hash) end++;
    const bool zero = (all[begin].flags & kZeroFilled) != 0;
    for (size_t c = 0; c < std::size(kChoices); c++) {
      const uint64_t n = std::count_if(all.begin() + begin, all.begin() + end,
                                       [&](const PageRecord& r) { return (r.flags & kChoices[c]) != 0; });
      if (zero && settings.use_zero_pages) {
        choices[c * kChoiceValues + 2] += static_cast<double>(n);
      } else {
        const Saving saving = MergeOf(n, settings.max_page_sharing);
        choices[c * kChoiceValues] += static_cast<double>(saving.sharing);
        choices[c * kChoiceValues + 1] += static_cast<double>(saving.shared);
      }
    }
    const bool across = all[begin].process != all[end - 1].process;  // sorted by process within
    for (size_t run = begin; run < end;) {  // each process's pages of this digest
      size_t run_end = run + 1;
      while (run_end < end && all[run_end].process == all[run].process) run_end++;
      for (size_t i = run; i < run_end; i++) {
        const PageRecord& r = all[i];
        if (r.process >= settings.processes || r.kind >= settings.kinds) continue;
        double* counts = kinds + (size_t{r.process} * settings.kinds + r.kind) * kKindValues;
        counts[0] += 1;
        if (zero) counts[1] += 1;
        if (r.flags & kMergedNow) counts[2] += 1;
        if (!zero && run_end - run >= 2) counts[3] += 1;
        if (!zero && across) counts[4] += 1;
        if (!zero && end - begin >= 2) counts[5] += 1;
      }
      run = run_end;
    }
    begin = end;
  }
  return out;
}

}  // namespace ksm
