#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/proc_file.h"

namespace ksm {

// What a page is, as the estimate counts it. The first three come from the mapping it lies in.
enum PageFlag : uint8_t {
  kMergeableIfProcessWide = 1,  // in a mapping KSM can merge at all (private, not I/O or hugetlb)
  kMarkedNow = 2,               // in a mapping whose VmFlags carry mg
  kMarkedByApp = 4,             // marked, and not merely by process-wide merge
  kMergedNow = 8,               // its frame is a KSM page (KPF_KSM)
  kZeroFilled = 16,             // every byte zero
};

// One resident page: only its digest, never its bytes.
struct PageRecord {
  uint64_t hash;
  uint32_t process;  // index in the set being estimated
  uint8_t kind;      // the caller's mapping kind
  uint8_t flags;     // PageFlag bits
};

struct ScanRange {
  uint64_t begin;
  uint64_t end;
  uint8_t kind;
  uint8_t flags;  // kMergeableIfProcessWide, kMarkedNow, kMarkedByApp
};

struct ScanOutcome {
  uint64_t pages = 0;          // present private anonymous pages read and hashed
  uint64_t hidden_frames = 0;  // of those, pages whose frame number was hidden (no CAP_SYS_ADMIN)
  uint64_t vanished = 0;       // present in pagemap, unmapped before they could be read
  int error = 0;               // errno that ended the scan (ESRCH: the process has gone)
  const char* syscall = nullptr;
};

// Reads the present private anonymous pages of `ranges` in the process whose pagemap and mem
// these are (pagemap, and PAGEMAP_SCAN where the kernel has it, for which are present; a pread
// of /proc/<pid>/mem for each run of them) and appends one record per page. Read-only: absent
// pages are never read (that would fault them in), and /proc/<pid>/mem takes plain references
// where process_vm_readv would pin, and pinning a KSM page copies it out of its merge.
// Pages mapped to the kernel's zero page are skipped: KSM never scans them.
ScanOutcome ScanProcessPages(const ProcFile& pagemap, const ProcFile& mem, const ProcFile* kpageflags,
                             const std::vector<ScanRange>& ranges, uint32_t process, std::vector<PageRecord>* out);

}  // namespace ksm
