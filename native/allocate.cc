#include "allocate.h"

#include <cmath>
#include <cstring>

#include "arena.h"
#include "page_range.h"
#include "syscall_error.h"

namespace ksm {
namespace {

// V8 already counts every ArrayBuffer's byteLength as external memory; what it cannot see is
// the rest of the block's last pages, so only that is reported to it.
int64_t UnseenBytes(const Block& block, size_t length) {
  return static_cast<int64_t>(block.bytes - length);
}

struct Allocation {
  Block block;
  size_t length;
};

void Release(napi_env env, void* /*data*/, void* hint) {
  Allocation* allocation = static_cast<Allocation*>(hint);
  int64_t total;
  napi_adjust_external_memory(env, -UnseenBytes(allocation->block, allocation->length), &total);
  FreeBlock(allocation->block);
  delete allocation;
}

}  // namespace

Napi::Value Allocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double requested = info[0].As<Napi::Number>().DoubleValue();
  if (!(requested >= 1) || requested != std::floor(requested) || requested > 9007199254740991.0) {
    throw Napi::RangeError::New(env, "invalid length");
  }
  const size_t length = static_cast<size_t>(requested);
  // true when the caller writes all `length` bytes itself, so only the rest needs zeroing.
  const bool overwritten = info[1].ToBoolean().Value();

  Allocation* allocation = new Allocation{{}, length};
  const AllocationError error = AllocateBlock(length, &allocation->block);
  if (error.err != 0) {
    delete allocation;
    throw SyscallError(env, error.syscall, error.err);
  }
  if (allocation->block.dirty) {
    // A reused slot: zero what the Buffer shows, and the rest of its last page so that equal
    // data leaves equal pages. Pages past that are never shown and stay as they are.
    const size_t page_size = PageSize();
    const size_t shown_pages_end = (length + page_size - 1) / page_size * page_size;
    const size_t from = overwritten ? length : 0;
    std::memset(allocation->block.data + from, 0, shown_pages_end - from);
  }
  napi_value buffer;
  const napi_status status =
      napi_create_external_buffer(env, length, allocation->block.data, Release, allocation, &buffer);
  if (status != napi_ok) {
    FreeBlock(allocation->block);
    delete allocation;
    if (status == napi_no_external_buffers_allowed) return env.Null();
    NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  }
  int64_t total;
  napi_adjust_external_memory(env, UnseenBytes(allocation->block, length), &total);
  return Napi::Value(env, buffer);
}

Napi::Value AllocatorStatsValue(const Napi::CallbackInfo& info) {
  const AllocatorStats stats = GetAllocatorStats();
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("arenas", static_cast<double>(stats.arenas));
  result.Set("liveBlocks", static_cast<double>(stats.live_blocks));
  result.Set("liveBytes", static_cast<double>(stats.live_bytes));
  result.Set("dirtyBytes", static_cast<double>(stats.dirty_bytes));
  return result;
}

Napi::Value ExternalBuffersAllowed(const Napi::CallbackInfo& info) {
  static uint8_t probe_byte = 0;
  napi_value buffer;
  const napi_status status = napi_create_external_buffer(
      info.Env(), 1, &probe_byte, [](napi_env, void*, void*) {}, nullptr, &buffer);
  if (status == napi_no_external_buffers_allowed) return Napi::Boolean::New(info.Env(), false);
  NAPI_THROW_IF_FAILED(info.Env(), status, Napi::Value());
  return Napi::Boolean::New(info.Env(), true);
}

}  // namespace ksm
