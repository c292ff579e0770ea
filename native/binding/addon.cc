// Module registration only: exports.h declares each exported function, under the binding/ file
// that defines it.
#include <napi.h>

#include "binding/exports.h"
#include "core/page_range.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  ksm::SetUpHeapMarks(env);
  exports.Set("pageSize", Napi::Number::New(env, static_cast<double>(ksm::PageSize())));
  exports.Set("allocate", Napi::Function::New(env, ksm::Allocate, "allocate"));
  exports.Set("allocatorStats", Napi::Function::New(env, ksm::AllocatorStatsValue, "allocatorStats"));
  exports.Set("trimAllocator", Napi::Function::New(env, ksm::TrimAllocator, "trimAllocator"));
  exports.Set("advanceAllocatorEpoch", Napi::Function::New(env, ksm::AdvanceAllocatorEpoch, "advanceAllocatorEpoch"));
  exports.Set("sampleAllocator", Napi::Function::New(env, ksm::SampleAllocator, "sampleAllocator"));
  exports.Set("externalBuffersAllowed",
              Napi::Function::New(env, ksm::ExternalBuffersAllowed, "externalBuffersAllowed"));
  exports.Set("advise", Napi::Function::New(env, ksm::Advise, "advise"));
  exports.Set("sweepMarks", Napi::Function::New(env, ksm::SweepMarks, "sweepMarks"));
  exports.Set("probeMergeable", Napi::Function::New(env, ksm::ProbeMergeable, "probeMergeable"));
  exports.Set("inspectPages", Napi::Function::New(env, ksm::InspectPages, "inspectPages"));
  exports.Set("pageSpan", Napi::Function::New(env, ksm::PageSpan, "pageSpan"));
  exports.Set("setProcessMerge", Napi::Function::New(env, ksm::SetProcessMerge, "setProcessMerge"));
  exports.Set("getProcessMerge", Napi::Function::New(env, ksm::GetProcessMerge, "getProcessMerge"));
  ksm::DefinePageScanner(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(ksm, Init)
