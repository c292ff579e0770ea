#include "core/process_pages.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/kpageflags.h"
#include "core/linux_abi.h"
#include "core/page_hash.h"
#include "core/page_range.h"
#include "core/pagemap_scan.h"

namespace ksm {
namespace {

constexpr size_t kPagemapBatch = 4096;  // entries per pread: 32 KiB of pagemap
constexpr size_t kReadBatch = 256;      // pages per batch: 1 MiB, still in cache when hashed

struct Pending {
  uint64_t address;
  uint64_t entry;  // its pagemap entry
  uint8_t kind;
  uint8_t flags;
};

class Scan {
 public:
  Scan(const ProcFile& mem, const ProcFile* kpageflags, uint32_t process, std::vector<PageRecord>* out)
      : mem_(mem), page_(PageSize()), kpageflags_(kpageflags), process_(process), out_(out),
        buffer_(kReadBatch * page_) {
    std::vector<uint8_t> zeros(page_, 0);
    zero_hash_ = HashPage(zeros.data(), page_);
    pending_.reserve(kReadBatch);
  }

  bool Add(const Pending& page) {
    pending_.push_back(page);
    return pending_.size() < kReadBatch || Flush();
  }

  // Reads and records every pending page; false once an error ends the scan.
  bool Flush() {
    std::vector<uint64_t> flags;
    if (!FrameFlagsOfPending(&flags)) return false;
    size_t done = 0;
    while (done < pending_.size()) {
      // One pread for each run of adjacent pages.
      size_t run = 1;
      while (done + run < pending_.size() && pending_[done + run].address == pending_[done].address + run * page_)
        run++;
      uint8_t* into = buffer_.data() + done * page_;
      const ssize_t got = pread(mem_.fd(), into, run * page_, static_cast<off_t>(pending_[done].address));
      if (got < 0) {
        if (errno == EINTR) continue;
        // EIO: the first page was unmapped since pagemap listed it; skip just that one.
        if (errno != EIO && errno != EFAULT) return Fail("pread");
        outcome_.vanished++;
        done++;
        continue;
      }
      // /proc/<pid>/mem reads as empty once the process's memory is gone.
      if (got == 0) {
        errno = ESRCH;
        return Fail("pread");
      }
      const size_t whole = static_cast<size_t>(got) / page_;
      for (size_t i = 0; i < whole; i++) Record(done + i, into + i * page_, flags);
      done += whole;
      // A short read stops at a page that could not be read: skip it.
      if (whole < run) {
        outcome_.vanished++;
        done++;
      }
    }
    pending_.clear();
    return true;
  }

  bool Fail(const char* syscall) {
    outcome_.error = errno;
    outcome_.syscall = syscall;
    return false;
  }

  ScanOutcome outcome() const { return outcome_; }

 private:
  // kpageflags of the pending pages' frames where they are visible (else zeros).
  bool FrameFlagsOfPending(std::vector<uint64_t>* flags) {
    frames_.clear();
    for (const Pending& page : pending_) frames_.push_back(page.entry & kPagemapFrameMask);
    const bool visible = kpageflags_ != nullptr &&
                         std::all_of(frames_.begin(), frames_.end(), [](uint64_t frame) { return frame != 0; });
    if (!visible) {
      flags->assign(pending_.size(), 0);
      return true;
    }
    FrameReads reads;
    return ReadFrameFlags(*kpageflags_, frames_, flags, &reads) || Fail("pread");
  }

  void Record(size_t index, const uint8_t* bytes, const std::vector<uint64_t>& frame_flags) {
    const Pending& page = pending_[index];
    const uint64_t hash = HashPage(bytes, page_);
    const bool zero = hash == zero_hash_;
    const bool frame_hidden = (page.entry & kPagemapFrameMask) == 0 || kpageflags_ == nullptr;
    // The shared zero page: by its frame's flag where frames are visible; otherwise an all-zero
    // page this process does not map alone (its own zeroed anonymous pages it does).
    if (frame_hidden ? zero && (page.entry & kPagemapExclusive) == 0 : (frame_flags[index] & kKpfZeroPage) != 0) return;
    uint8_t flags = page.flags;
    if (zero) flags |= kZeroFilled;
    if (!frame_hidden && (frame_flags[index] & kKpfKsm) != 0) flags |= kMergedNow;
    outcome_.pages++;
    if (frame_hidden) outcome_.hidden_frames++;
    out_->push_back({hash, process_, page.kind, flags});
  }

  const ProcFile& mem_;
  size_t page_;
  const ProcFile* kpageflags_;
  uint32_t process_;
  std::vector<PageRecord>* out_;
  std::vector<uint8_t> buffer_;
  std::vector<Pending> pending_;
  std::vector<uint64_t> frames_;
  uint64_t zero_hash_;
  ScanOutcome outcome_;
};

}  // namespace

ScanOutcome ScanProcessPages(const ProcFile& pagemap, const ProcFile& mem, const ProcFile* kpageflags,
                             const std::vector<ScanRange>& ranges, uint32_t process, std::vector<PageRecord>* out) {
  const size_t page = PageSize();
  Scan scan(mem, kpageflags, process, out);
  std::vector<uint64_t> entries(kPagemapBatch);
  std::vector<Region> regions;
  bool region_scan = true;  // until the kernel says it has no PAGEMAP_SCAN
  uint32_t reads = 0;
  for (const ScanRange& range : ranges) {
    regions.clear();
    const RegionScan found =
        region_scan ? PresentAnonymousRegions(pagemap, range.begin, range.end, &regions) : RegionScan::kUnsupported;
    if (found == RegionScan::kFailed) {
      scan.Fail("ioctl");
      return scan.outcome();
    }
    if (found == RegionScan::kUnsupported) {  // before 6.7: every page of the range, from pagemap
      region_scan = false;
      regions.assign(1, {range.begin, range.end});
    }
    for (const Region& region : regions) {
      for (uint64_t address = region.begin; address < region.end;) {
        const size_t count = static_cast<size_t>(std::min<uint64_t>(kPagemapBatch, (region.end - address) / page));
        if (count == 0) break;
        // pagemap reads as empty once the process's memory is gone: ESRCH.
        if (!pagemap.ReadEntries(address / page, entries.data(), count, &reads, ESRCH)) {
          scan.Fail("pread");
          return scan.outcome();
        }
        for (size_t i = 0; i < count; i++) {
          const uint64_t entry = entries[i];
          // Present, and anonymous: file pages and shared memory are not KSM's to merge.
          if ((entry & kPagemapPresent) == 0 || (entry & kPagemapFileOrShared) != 0) continue;
          if (!scan.Add({address + i * page, entry, range.kind, range.flags})) return scan.outcome();
        }
        address += count * page;
      }
    }
  }
  scan.Flush();
  return scan.outcome();
}

}  // namespace ksm
