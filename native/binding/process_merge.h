#pragma once
#include <napi.h>

namespace ksm {

// setProcessMerge(enabled): prctl(PR_SET_MEMORY_MERGE, 0 | 1, 0, 0, 0).
Napi::Value SetProcessMerge(const Napi::CallbackInfo& info);
// getProcessMerge() -> boolean: prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0).
Napi::Value GetProcessMerge(const Napi::CallbackInfo& info);

}  // namespace ksm
