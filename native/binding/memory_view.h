#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace ksm {

// The bytes behind an ArrayBuffer, TypedArray (Buffer included) or DataView.
struct MemoryView {
  uint8_t* data;
  size_t length;
};

// Throws a TypeError for anything else; the JS layer has already rejected such values.
MemoryView GetMemoryView(const Napi::Value& value);

}  // namespace ksm
