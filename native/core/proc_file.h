#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace ksm {

// A read-only /proc file of u64 entries (pagemap, kpageflags), closed with its owner.
class ProcFile {
 public:
  explicit ProcFile(const char* path) : fd_(open(path, O_RDONLY | O_CLOEXEC)), open_errno_(fd_ < 0 ? errno : 0) {}
  ~ProcFile() {
    if (fd_ >= 0) close(fd_);
  }
  ProcFile(const ProcFile&) = delete;
  ProcFile& operator=(const ProcFile&) = delete;
  bool ok() const { return fd_ >= 0; }
  // Opening failed for want of privilege (or, for kpageflags, of the file): the answer is then
  // "unknown", not an error. Anything else (EMFILE, ENOMEM) is a failure to report.
  bool Denied() const { return fd_ < 0 && (open_errno_ == EACCES || open_errno_ == EPERM || open_errno_ == ENOENT); }
  int open_errno() const { return open_errno_; }
  int fd() const { return fd_; }

  // Reads exactly `count` u64 entries at entry `index`; false (errno set) on failure. A file
  // that ends early fails with `eof_errno` (pagemap reads as empty once its process has exited).
  bool ReadEntries(uint64_t index, uint64_t* out, size_t count, uint32_t* reads, int eof_errno = EIO) const {
    auto* bytes = reinterpret_cast<char*>(out);
    size_t want = count * sizeof(uint64_t);
    off_t offset = static_cast<off_t>(index * sizeof(uint64_t));
    while (want > 0) {
      const ssize_t got = pread(fd_, bytes, want, offset);
      ++*reads;
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        if (got == 0) errno = eof_errno;
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

}  // namespace ksm
