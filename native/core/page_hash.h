#pragma once
#include <cstddef>
#include <cstdint>

namespace ksm {

// A 64-bit digest of a page's bytes, for counting identical pages: four independent
// multiply-rotate lanes over 8-byte words (so the CPU runs them in parallel), folded together
// and avalanched. Not cryptographic; two different pages collide with odds near 2^-64.
// `length` must be a multiple of 32.
uint64_t HashPage(const uint8_t* bytes, size_t length);

}  // namespace ksm
