#include <sys/prctl.h>

#include <cerrno>

#include "binding/exports.h"
#include "binding/js_values.h"
#include "core/allocator.h"
#include "core/heap_marks.h"
#include "core/linux_abi.h"

namespace ksm {

// The kernel rejects non-zero unused arguments with EINVAL, so all five are always passed.
Napi::Value SetProcessMerge(const Napi::CallbackInfo& info) {
  const unsigned long enabled = info[0].As<Napi::Boolean>().Value() ? 1 : 0;
  if (prctl(PR_SET_MEMORY_MERGE, enabled, 0UL, 0UL, 0UL) != 0) {
    throw SyscallError(info.Env(), "prctl", errno);
  }
  // Turning it off clears the mergeable mark on every mapping: put back the ones this process
  // chose, the allocator's (less what its user unmarked) and the user's marks on heap memory.
  if (!enabled) {
    RemarkAllocator();
    RemarkHeapMarks();
  }
  return info.Env().Undefined();
}

Napi::Value GetProcessMerge(const Napi::CallbackInfo& info) {
  const int state = prctl(PR_GET_MEMORY_MERGE, 0UL, 0UL, 0UL, 0UL);
  if (state < 0) throw SyscallError(info.Env(), "prctl", errno);
  return Napi::Boolean::New(info.Env(), state != 0);
}

}  // namespace ksm
