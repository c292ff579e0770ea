#pragma once
#include <napi.h>

namespace ksm {

// PageScanner: the native half of estimate(). One process at a time:
//   begin(pid, index)      opens /proc/<pid>/pagemap (throws its open error: EACCES, ENOENT)
//   scan(Float64Array)     Promise<{ pages, hiddenFrames, vanished, code?, syscall? }> over
//                          [begin, end, kind, flags] quadruples, on the thread pool
//   end(keep)              closes it; keep false drops the pages it recorded (a process gone)
//   count(settings)        Promise<Float64Array> of CountDuplicates, once every process is done
// Only digests are kept. One call at a time: another while a promise is pending throws.
void DefinePageScanner(Napi::Env env, Napi::Object exports);

}  // namespace ksm
