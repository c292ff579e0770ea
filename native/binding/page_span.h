#pragma once
#include <napi.h>

namespace ksm {

// pageSpan(view) -> { address, start, end }: the address of the view's first byte and the
// byte offsets of its whole pages, for reading per-page kernel files about it.
Napi::Value PageSpan(const Napi::CallbackInfo& info);

}  // namespace ksm
