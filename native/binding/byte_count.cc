#include "binding/byte_count.h"

#include <cmath>
#include <string>

namespace ksm {

size_t ByteCount(const Napi::Value& value, const char* name, double min, double max) {
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= min && number <= max) || number != std::floor(number)) {
    throw Napi::RangeError::New(value.Env(), std::string("invalid ") + name);
  }
  return static_cast<size_t>(number);
}

}  // namespace ksm
