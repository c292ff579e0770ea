// Ownership rule: a block goes back to the allocator only when no ArrayBuffer anywhere can
// reach it any more.
//
// Node-API's external buffers cannot keep that rule. Their finalizer runs when V8 collects
// the ArrayBuffer and ALSO when the environment that made it (a worker thread) is torn down,
// even if the memory has moved on: a BYOB read of a byte stream or
// ArrayBuffer.prototype.transfer() detaches the Buffer and re-wraps the same memory in a new,
// transferable ArrayBuffer, which a worker can post to another thread before it exits.
// Freeing there hands the memory out twice.
//
// So the memory is given to V8 itself, as the backing store of a plain ArrayBuffer: V8 calls
// the store's deleter exactly once, when the last ArrayBuffer over it (in any thread, detached
// and re-wrapped or not) is gone. That deleter is the only way back to FreeBlock; from the
// moment the store exists, no error path frees the block. V8's API is reached through
// v8_bridge.h.
#include <cmath>
#include <vector>

#include "binding/exports.h"
#include "binding/js_values.h"
#include "binding/v8_bridge.h"
#include "core/allocator.h"
#include "core/block_sample.h"
#include "core/heap_marks.h"

namespace ksm {
namespace {

// sampleAllocator's numbers per block class, and its cap on the pages it samples (exports.h).
constexpr int kSampleValues = 5;
constexpr double kMaxSamplePages = 1024;

void ReleaseBlock(void* data, size_t length, void* arena) {
  FreeBlock(static_cast<uint8_t*>(data), length, static_cast<Arena*>(arena));
}

// The largest ArrayBuffer the running V8 makes (V8 aborts past it): buffer.constants.MAX_LENGTH,
// which the JS layer checks first. It is the runtime's, not the headers' this was built with:
// 2^32 up to Node 21, 2^53 - 1 from Node 22.
// Asked once: one process runs one Node.
double MaxArrayBufferLength(Napi::Env env) {
  static const double limit =
      Napi::VersionManagement::GetNodeVersion(env)->major >= 22 ? kMaxSafeInteger : 4294967296.0;
  return limit;
}

}  // namespace

Napi::Value Allocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t length = ByteCount(info[0], "length", 1, MaxArrayBufferLength(env));
  const bool zeroed = !info[1].IsBoolean() || info[1].As<Napi::Boolean>().Value();
  if (!ExternalMemoryAllowed()) return env.Null();  // ArrayBuffers must live inside the sandbox
  Block block;
  const AllocationError error = AllocateBlock(length, zeroed, &block);
  if (error.err != 0) throw SyscallError(env, error.syscall, error.err);
  return NewArrayBufferOver(env, block.data, length, ReleaseBlock, block.arena);
}

Napi::Value AllocatorStatsValue(const Napi::CallbackInfo& info) {
  const AllocatorStats stats = GetAllocatorStats();
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("arenas", static_cast<double>(stats.arenas));
  result.Set("liveBlocks", static_cast<double>(stats.live_blocks));
  result.Set("liveBytes", static_cast<double>(stats.live_bytes));
  result.Set("keptBytes", static_cast<double>(stats.kept_bytes));
  result.Set("unmarkedRanges", static_cast<double>(stats.unmarked_ranges));
  result.Set("heapMarks", static_cast<double>(HeapMarkCount()));
  return result;
}

Napi::Value TrimAllocator(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), TrimIdleAllocator());
}

Napi::Value AdvanceAllocatorEpoch(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), AdvanceEpoch());
}

Napi::Value SampleAllocator(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto mature_epoch = static_cast<uint32_t>(ByteCount(info[0], "matureEpoch", 0, 4294967295.0));
  const size_t max_pages = ByteCount(info[1], "maxPages", 0, kMaxSamplePages);
  std::vector<SamplePiece> pieces;
  pieces.reserve(kBlockClasses * max_pages);
  ClassTotals totals[kBlockClasses];
  SampleLiveBlocks(mature_epoch, max_pages, &pieces, totals);
  ClassPages pages[kBlockClasses];
  const bool read = ReadSamplePages(pieces, pages);
  Napi::Float64Array result = Napi::Float64Array::New(env, kBlockClasses * kSampleValues);
  for (int c = 0; c < kBlockClasses; c++) {
    double* values = result.Data() + c * kSampleValues;
    values[0] = static_cast<double>(totals[c].blocks);
    values[1] = static_cast<double>(totals[c].bytes);
    values[2] = static_cast<double>(totals[c].pages);
    values[3] = read ? static_cast<double>(pages[c].present) : std::nan("");
    values[4] = read ? static_cast<double>(pages[c].shared) : std::nan("");
  }
  return result;
}

Napi::Value ExternalBuffersAllowed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), ExternalMemoryAllowed());
}

}  // namespace ksm
