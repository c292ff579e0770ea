#pragma once
#include <napi.h>

#include <cstddef>

namespace ksm {

// A byte count from JavaScript: an integer in [min, max]. The JS layer has validated it with
// Node's errors; this check is the last one before the number reaches a pointer or a syscall,
// so a raw call of the addon cannot get past it either. Throws RangeError "invalid <name>".
size_t ByteCount(const Napi::Value& value, const char* name, double min, double max);

// The largest integer a double holds exactly (Number.MAX_SAFE_INTEGER).
constexpr double kMaxSafeInteger = 9007199254740991.0;

}  // namespace ksm
