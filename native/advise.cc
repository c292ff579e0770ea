#include "advise.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <vector>

#include "arena.h"
#include "byte_count.h"
#include "heap_marks.h"
#include "memory_view.h"
#include "page_range.h"
#include "syscall_error.h"

namespace ksm {
namespace {

// Each environment (main thread, worker) has an id, the high half of the owners of its marks.
struct EnvironmentMarks {
  uint32_t id;
};

// At an environment's teardown its FinalizationRegistry never runs again: its ArrayBuffers are
// gone with it, so their marks go too.
void ReleaseEnvironmentMarks(Napi::Env /*env*/, EnvironmentMarks* marks) {
  const uint64_t id = marks->id;
  ReleaseHeapMarks([id](uint64_t owner) { return owner >> 32 == id; });
  delete marks;
}

uint64_t OwnerOf(Napi::Env env, const Napi::Value& local_owner) {
  const uint32_t local = local_owner.IsNumber() ? local_owner.As<Napi::Number>().Uint32Value() : 0;
  if (local == 0) return 0;
  return uint64_t{env.GetInstanceData<EnvironmentMarks>()->id} << 32 | local;
}

}  // namespace

void SetUpHeapMarks(Napi::Env env) {
  static std::atomic<uint32_t> last_id{0};
  env.SetInstanceData<EnvironmentMarks, ReleaseEnvironmentMarks>(new EnvironmentMarks{++last_id});
}

Napi::Value Advise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const MemoryView view = GetMemoryView(info[0]);
  const size_t offset = ByteCount(info[1], "offset", 0, kMaxSafeInteger);
  const size_t length = ByteCount(info[2], "length", 0, kMaxSafeInteger);
  const bool mergeable = info[3].As<Napi::Boolean>().Value();
  const uint64_t owner = OwnerOf(env, info[4]);
  if (offset > view.length || length > view.length - offset) {
    throw Napi::RangeError::New(env, "range is outside the view");
  }

  const uintptr_t address = reinterpret_cast<uintptr_t>(view.data) + offset;
  const PageRange pages = WholePagesWithin(address, length, PageSize());
  if (pages.end > pages.begin) {
    const uintptr_t begin = address + pages.begin;
    const uintptr_t end = address + pages.end;
    if (madvise(reinterpret_cast<void*>(begin), end - begin, mergeable ? MADV_MERGEABLE : MADV_UNMERGEABLE) != 0) {
      throw SyscallError(env, "madvise", errno);
    }
    if (!NoteAdvised(begin, end, mergeable)) {
      if (!mergeable) {
        ForgetHeapMarks(begin, end);
      } else if (owner != 0) {
        RecordHeapMark(begin, end, owner);
      }
    }
  }

  // One number, not an object: this is the hot path of markMergeable.
  return Napi::Number::New(env, pages.end > pages.begin ? static_cast<double>(offset + pages.begin) : -1);
}

Napi::Value ReleaseMarks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Array locals = info[0].As<Napi::Array>();
  std::vector<uint64_t> owners;
  owners.reserve(locals.Length());  // may throw std::bad_alloc: then nothing is released
  for (uint32_t i = 0; i < locals.Length(); i++) owners.push_back(OwnerOf(env, locals.Get(i)));
  std::sort(owners.begin(), owners.end());
  ReleaseHeapMarks([&owners](uint64_t owner) { return std::binary_search(owners.begin(), owners.end(), owner); });
  return env.Undefined();
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
