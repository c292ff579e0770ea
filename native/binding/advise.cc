#include <sys/mman.h>

#include <atomic>
#include <cerrno>

#include "binding/exports.h"
#include "binding/js_values.h"
#include "binding/v8_bridge.h"
#include "core/allocator.h"
#include "core/heap_marks.h"
#include "core/page_range.h"

namespace ksm {
namespace {

// Each environment (main thread, worker) has an id, the owner of its marks.
struct EnvironmentMarks {
  uint32_t id;
};

// At an environment's teardown its marks go, held elsewhere or not: the sweeps its JS layer
// scheduled will not run.
void ReleaseEnvironmentMarks(Napi::Env /*env*/, EnvironmentMarks* marks) {
  const uint64_t id = marks->id;
  ReleaseHeapMarks([id](uint64_t owner) { return owner == id; });
  delete marks;
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
  const bool record = info[4].ToBoolean().Value();
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
      } else if (record) {
        RecordHeapMark(begin, end, env.GetInstanceData<EnvironmentMarks>()->id, HoldMemoryOf(info[0]));
      }
    }
  }

  // One number, not an object: this is the hot path of markMergeable.
  return Napi::Number::New(env, pages.end > pages.begin ? static_cast<double>(offset + pages.begin) : -1);
}

Napi::Value SweepMarks(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(SweepHeapMarks()));
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
