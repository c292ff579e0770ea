#include "pagemap.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

#include "memory_view.h"
#include "page_range.h"
#include "syscall_error.h"

namespace ksm {
namespace {

constexpr uint64_t kPresent = uint64_t{1} << 63;
constexpr uint64_t kFrameMask = (uint64_t{1} << 55) - 1;
constexpr uint64_t kKpfKsm = uint64_t{1} << 21;
constexpr uint64_t kKpfZeroPage = uint64_t{1} << 24;
// The kernel charges for every frame of kpageflags a read covers, and a little for each read
// call; the page allocator scatters a buffer's frames over RAM. So frames closer than this are
// read together, gap included, and farther ones start a new read: far fewer frames than one
// read over the whole span, far fewer calls than one per page (docs/performance.md).
constexpr uint64_t kGapFrames = 8;

class File {
 public:
  explicit File(const char* path) : fd_(open(path, O_RDONLY | O_CLOEXEC)), open_errno_(fd_ < 0 ? errno : 0) {}
  ~File() {
    if (fd_ >= 0) close(fd_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  bool ok() const { return fd_ >= 0; }
  // Opening failed for want of privilege (or, for kpageflags, of the file): the answer is then
  // "unknown", not an error. Anything else (EMFILE, ENOMEM) is a failure to report.
  bool Denied() const { return fd_ < 0 && (open_errno_ == EACCES || open_errno_ == EPERM || open_errno_ == ENOENT); }
  int open_errno() const { return open_errno_; }

  // Reads exactly `count` u64 entries at entry `index`; false (errno set) on failure.
  bool ReadEntries(uint64_t index, uint64_t* out, size_t count, uint32_t* reads) {
    auto* bytes = reinterpret_cast<char*>(out);
    size_t want = count * sizeof(uint64_t);
    off_t offset = static_cast<off_t>(index * sizeof(uint64_t));
    while (want > 0) {
      const ssize_t got = pread(fd_, bytes, want, offset);
      ++*reads;
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        if (got == 0) errno = EIO;
        return false;
      }
      bytes += got;
      want -= static_cast<size_t>(got);
      offset += got;
    }
    return true;
  }

 private:
  int fd_;
  int open_errno_;
};

}  // namespace

Napi::Value InspectPages(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const MemoryView view = GetMemoryView(info[0]);
  const size_t page_size = PageSize();
  const uintptr_t address = reinterpret_cast<uintptr_t>(view.data);
  const PageRange range = WholePagesWithin(address, view.length, page_size);
  const size_t pages = (range.end - range.begin) / page_size;

  Napi::Object result = Napi::Object::New(env);
  Napi::Object reads = Napi::Object::New(env);
  // The span too, so inspect() can check the marks without a second call.
  result.Set("address", Napi::Number::New(env, static_cast<double>(address)));
  result.Set("start", Napi::Number::New(env, static_cast<double>(range.begin)));
  result.Set("end", Napi::Number::New(env, static_cast<double>(range.end)));
  result.Set("pages", Napi::Number::New(env, static_cast<double>(pages)));
  result.Set("reads", reads);
  uint32_t pagemap_reads = 0;
  uint32_t kpageflags_reads = 0;
  uint64_t kpageflags_frames = 0;  // entries read, gaps between a cluster's frames included
  reads.Set("pagemap", Napi::Number::New(env, 0));
  reads.Set("kpageflags", Napi::Number::New(env, 0));
  reads.Set("kpageflagsFrames", Napi::Number::New(env, 0));
  if (pages == 0) {
    for (const char* count : {"present", "merged", "zeroPages"}) result.Set(count, Napi::Number::New(env, 0));
    return result;
  }

  File pagemap("/proc/self/pagemap");
  if (!pagemap.ok()) {
    if (pagemap.Denied()) return result;  // not dumpable: nothing is known
    throw SyscallError(env, "open", pagemap.open_errno());
  }
  std::vector<uint64_t> entries(pages);
  if (!pagemap.ReadEntries((address + range.begin) / page_size, entries.data(), pages, &pagemap_reads)) {
    throw SyscallError(env, "pread", errno);
  }
  reads.Set("pagemap", Napi::Number::New(env, pagemap_reads));

  size_t present = 0;
  std::vector<uint64_t> frames;
  frames.reserve(pages);
  for (const uint64_t entry : entries) {
    if ((entry & kPresent) == 0) continue;
    present++;
    if ((entry & kFrameMask) != 0) frames.push_back(entry & kFrameMask);
  }
  result.Set("present", Napi::Number::New(env, static_cast<double>(present)));
  // Without CAP_SYS_ADMIN every frame number reads as zero.
  if (present > 0 && frames.empty()) return result;

  File kpageflags("/proc/kpageflags");
  if (!kpageflags.ok()) {
    if (kpageflags.Denied()) return result;
    throw SyscallError(env, "open", kpageflags.open_errno());
  }
  size_t merged = 0;
  size_t zero_pages = 0;
  std::sort(frames.begin(), frames.end());
  std::vector<uint64_t> flags;
  for (size_t i = 0; i < frames.size();) {
    // One read: from this frame through every following frame within kGapFrames of the last.
    const uint64_t first = frames[i];
    size_t j = i + 1;
    while (j < frames.size() && frames[j] - frames[j - 1] <= kGapFrames) j++;
    const uint64_t span = frames[j - 1] - first + 1;
    flags.resize(span);
    kpageflags_frames += span;
    if (!kpageflags.ReadEntries(first, flags.data(), span, &kpageflags_reads)) {
      throw SyscallError(env, "pread", errno);
    }
    for (; i < j; i++) {
      const uint64_t page_flags = flags[frames[i] - first];
      if (page_flags & kKpfKsm) merged++;
      if (page_flags & kKpfZeroPage) zero_pages++;
    }
  }
  reads.Set("kpageflags", Napi::Number::New(env, kpageflags_reads));
  reads.Set("kpageflagsFrames", Napi::Number::New(env, static_cast<double>(kpageflags_frames)));
  result.Set("merged", Napi::Number::New(env, static_cast<double>(merged)));
  result.Set("zeroPages", Napi::Number::New(env, static_cast<double>(zero_pages)));
  return result;
}

}  // namespace ksm
