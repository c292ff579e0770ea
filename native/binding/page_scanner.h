#pragma once
#include <napi.h>

namespace ksm {

// PageScanner: the native half of estimate(). Processes may be read at the same time:
//   begin(pid, index)        opens /proc/<pid>/pagemap and mem, returns a session id (throws
//                            the open error: EACCES, ENOENT)
//   scan(id, Float64Array)   Promise<{ pages, hiddenFrames, vanished, code?, syscall? }> over
//                            [begin, end, kind, flags] quadruples, on the thread pool
//   end(id, keep)            closes the session; keep false drops its pages (a process gone)
//   count(settings)          Promise<Float64Array> of CountDuplicates, once no scan is pending;
//                            the records go with it
// Only digests are kept.
void DefinePageScanner(Napi::Env env, Napi::Object exports);

}  // namespace ksm
