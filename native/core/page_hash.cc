#include "core/page_hash.h"

#include <cstring>
#include <initializer_list>

namespace ksm {
namespace {

// Odd 64-bit constants with well-spread bits (the primes of the xxHash family).
constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;

inline uint64_t Rotate(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

inline uint64_t Lane(uint64_t lane, uint64_t word) { return Rotate(lane + word * kPrime2, 31) * kPrime1; }

inline uint64_t Word(const uint8_t* at) {
  uint64_t word;
  std::memcpy(&word, at, sizeof(word));  // alignment-safe; compiles to one load
  return word;
}

}  // namespace

uint64_t HashPage(const uint8_t* bytes, size_t length) {
  uint64_t a = kPrime1 + kPrime2, b = kPrime2, c = 0, d = 0 - kPrime1;
  for (size_t at = 0; at < length; at += 32) {
    a = Lane(a, Word(bytes + at));
    b = Lane(b, Word(bytes + at + 8));
    c = Lane(c, Word(bytes + at + 16));
    d = Lane(d, Word(bytes + at + 24));
  }
  uint64_t h = Rotate(a, 1) + Rotate(b, 7) + Rotate(c, 12) + Rotate(d, 18);
  for (const uint64_t lane : {a, b, c, d}) h = (h ^ Lane(0, lane)) * kPrime1 + kPrime3;
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  return h ^ (h >> 32);
}

}  // namespace ksm
