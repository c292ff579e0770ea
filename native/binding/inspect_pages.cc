#include <cerrno>
#include <cstdint>
#include <vector>

#include "binding/exports.h"
#include "binding/js_values.h"
#include "core/kpageflags.h"
#include "core/linux_abi.h"
#include "core/page_range.h"

namespace ksm {
namespace {

// Sets the view's page span on `result`: address, the address of its first byte, and start and
// end, the byte offsets of its whole pages. Returns those offsets.
PageRange SetPageSpan(Napi::Object result, uintptr_t address, size_t length, size_t page_size) {
  Napi::Env env = result.Env();
  const PageRange pages = WholePagesWithin(address, length, page_size);
  // malloc and mmap hand out addresses below 2^47 unless a caller asks for more: exact as doubles.
  result.Set("address", Napi::Number::New(env, static_cast<double>(address)));
  result.Set("start", Napi::Number::New(env, static_cast<double>(pages.begin)));
  result.Set("end", Napi::Number::New(env, static_cast<double>(pages.end)));
  return pages;
}

}  // namespace

Napi::Value PageSpan(const Napi::CallbackInfo& info) {
  const MemoryView view = GetMemoryView(info[0]);
  Napi::Object result = Napi::Object::New(info.Env());
  SetPageSpan(result, reinterpret_cast<uintptr_t>(view.data), view.length, PageSize());
  return result;
}

Napi::Value InspectPages(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const MemoryView view = GetMemoryView(info[0]);
  const size_t page_size = PageSize();
  const uintptr_t address = reinterpret_cast<uintptr_t>(view.data);

  Napi::Object result = Napi::Object::New(env);
  Napi::Object reads = Napi::Object::New(env);
  // The span too, so inspect() can check the marks without a second call.
  const PageRange range = SetPageSpan(result, address, view.length, page_size);
  const size_t pages = (range.end - range.begin) / page_size;
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

  ProcFile pagemap("/proc/self/pagemap");
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
    if ((entry & kPagemapPresent) == 0) continue;
    present++;
    if ((entry & kPagemapFrameMask) != 0) frames.push_back(entry & kPagemapFrameMask);
  }
  result.Set("present", Napi::Number::New(env, static_cast<double>(present)));
  // Without CAP_SYS_ADMIN every frame number reads as zero.
  if (present > 0 && frames.empty()) return result;

  ProcFile kpageflags("/proc/kpageflags");
  if (!kpageflags.ok()) {
    if (kpageflags.Denied()) return result;
    throw SyscallError(env, "open", kpageflags.open_errno());
  }
  std::vector<uint64_t> flags;
  FrameReads frame_reads;
  if (!ReadFrameFlags(kpageflags, frames, &flags, &frame_reads)) throw SyscallError(env, "pread", errno);
  kpageflags_reads = frame_reads.reads;
  kpageflags_frames = frame_reads.frames;
  size_t merged = 0;
  size_t zero_pages = 0;
  for (const uint64_t page_flags : flags) {
    if (page_flags & kKpfKsm) merged++;
    if (page_flags & kKpfZeroPage) zero_pages++;
  }
  reads.Set("kpageflags", Napi::Number::New(env, kpageflags_reads));
  reads.Set("kpageflagsFrames", Napi::Number::New(env, static_cast<double>(kpageflags_frames)));
  result.Set("merged", Napi::Number::New(env, static_cast<double>(merged)));
  result.Set("zeroPages", Napi::Number::New(env, static_cast<double>(zero_pages)));
  return result;
}

}  // namespace ksm
