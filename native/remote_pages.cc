#include "remote_pages.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include "frame_flags.h"
#include "page_hash.h"
#include "page_range.h"

namespace ksm {
namespace {

constexpr size_t kPagemapBatch = 4096;  // entries per pread: 32 KiB of pagemap
constexpr size_t kReadBatch = 256;      // pages per process_vm_readv: 1 MiB, stays in cache for hashing

struct Pending {
  uint64_t address;
  uint64_t entry;  // its pagemap entry
  uint8_t kind;
  uint8_t flags;
};

class Scan {
 public:
  Scan(pid_t pid, const ProcFile* kpageflags, uint32_t process, std::vector<PageRecord>* out)
      : pid_(pid), page_(PageSize()), kpageflags_(kpageflags), process_(process), out_(out),
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
      const ssize_t got = ReadFrom(done);
      if (got < 0) {
        if (errno == EINTR) continue;
        // EFAULT: the first page was unmapped since pagemap listed it; skip just that one.
        if (errno != EFAULT) return Fail("process_vm_readv");
        outcome_.vanished++;
        done++;
        continue;
      }
      const size_t whole = static_cast<size_t>(got) / page_;
      for (size_t i = 0; i < whole; i++) Record(done + i, buffer_.data() + i * page_, flags);
      done += whole;
      // A short read stops at a page that could not be read: the next round starts there.
      if (whole == 0) {
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
  // process_vm_readv of pending pages from `first` on into the buffer, contiguous pages as one
  // remote range (fewer page-table walks and lock round trips in the kernel).
  ssize_t ReadFrom(size_t first) {
    remote_.clear();
    for (size_t i = first; i < pending_.size(); i++) {
      const uint64_t address = pending_[i].address;
      if (!remote_.empty() && reinterpret_cast<uint64_t>(remote_.back().iov_base) + remote_.back().iov_len == address) {
        remote_.back().iov_len += page_;
      } else {
        remote_.push_back({reinterpret_cast<void*>(address), page_});
      }
    }
    const iovec local = {buffer_.data(), (pending_.size() - first) * page_};
    return process_vm_readv(pid_, &local, 1, remote_.data(), remote_.size(), 0);
  }

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

  pid_t pid_;
  size_t page_;
  const ProcFile* kpageflags_;
  uint32_t process_;
  std::vector<PageRecord>* out_;
  std::vector<uint8_t> buffer_;
  std::vector<Pending> pending_;
  std::vector<iovec> remote_;
  std::vector<uint64_t> frames_;
  uint64_t zero_hash_;
  ScanOutcome outcome_;
};

}  // namespace

ScanOutcome ScanProcessPages(pid_t pid, const ProcFile& pagemap, const ProcFile* kpageflags,
                             const std::vector<ScanRange>& ranges, uint32_t process, std::vector<PageRecord>* out) {
  const size_t page = PageSize();
  Scan scan(pid, kpageflags, process, out);
  std::vector<uint64_t> entries(kPagemapBatch);
  uint32_t reads = 0;
  for (const ScanRange& range : ranges) {
    for (uint64_t address = range.begin; address < range.end;) {
      const size_t count = static_cast<size_t>(std::min<uint64_t>(kPagemapBatch, (range.end - address) / page));
      if (count == 0) break;
      // pagemap reads as empty once the process's memory is gone: ESRCH, as process_vm_readv says it.
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
  scan.Flush();
  return scan.outcome();
}

}  // namespace ksm
