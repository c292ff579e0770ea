#include "advise.h"

#include <sys/mman.h>

#include <cerrno>
#include <cmath>

#include "arena.h"
#include "memory_view.h"
#include "page_range.h"
#include "syscall_error.h"

namespace ksm {
namespace {

// A byte count the JS layer validated; checked again so no bad number reaches a pointer.
size_t ByteCount(const Napi::Value& value, const char* name) {
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= 0) || number != std::floor(number) || number > 9007199254740991.0) {
    throw Napi::RangeError::New(value.Env(), std::string("invalid ") + name);
  }
  return static_cast<size_t>(number);
}

}  // namespace

Napi::Value Advise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const MemoryView view = GetMemoryView(info[0]);
  const size_t offset = ByteCount(info[1], "offset");
  const size_t length = ByteCount(info[2], "length");
  const bool mergeable = info[3].As<Napi::Boolean>().Value();
  if (offset > view.length || length > view.length - offset) {
    throw Napi::RangeError::New(env, "range is outside the view");
  }

  const uintptr_t address = reinterpret_cast<uintptr_t>(view.data) + offset;
  const PageRange pages = WholePagesWithin(address, length, PageSize());
  if (pages.end > pages.begin) {
    void* first = reinterpret_cast<void*>(address + pages.begin);
    if (madvise(first, pages.end - pages.begin, mergeable ? MADV_MERGEABLE : MADV_UNMERGEABLE) != 0) {
      throw SyscallError(env, "madvise", errno);
    }
    if (!mergeable) NoteUnmarked(address + pages.begin, address + pages.end);
  }

  // One number, not an object: this is the hot path of markMergeable.
  return Napi::Number::New(env, pages.end > pages.begin ? static_cast<double>(offset + pages.begin) : -1);
}

Napi::Value ProbeMergeable(const Napi::CallbackInfo& info) {
  const size_t page_size = PageSize();
  void* page = mmap(nullptr, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) throw SyscallError(info.Env(), "mmap", errno);
  const int err = madvise(page, page_size, MADV_MERGEABLE) == 0 ? 0 : errno;
  munmap(page, page_size);
  return Napi::Number::New(info.Env(), err);
}

}  // namespace ksm
