// Bit fields declared by bit range, as the SDM draws them; every mask is derived here.
// Freestanding.
#pragma once
#include <stdint.h>

namespace bootmap::core {

// Bits Hi..Lo (inclusive) of a 64-bit word.
template <unsigned Hi, unsigned Lo>
struct Field {
  static_assert(Hi < 64 && Lo <= Hi);
  static constexpr unsigned kLow = Lo;
  static constexpr unsigned kWidth = Hi - Lo + 1;
  static constexpr uint64_t kMask =
      (kWidth == 64 ? ~uint64_t{0} : ((uint64_t{1} << kWidth) - 1)) << Lo;
  static constexpr uint64_t Get(uint64_t word) { return (word & kMask) >> Lo; }
  static constexpr uint64_t Make(uint64_t value) { return (value << Lo) & kMask; }
  static constexpr uint64_t Set(uint64_t word, uint64_t value) {
    return (word & ~kMask) | Make(value);
  }
};
template <unsigned B>
using Bit = Field<B, B>;

// An address field keeps its bits in place (bits Hi..Lo of the address itself).
template <unsigned Hi, unsigned Lo>
struct AddrField {
  static constexpr uint64_t kMask = Field<Hi, Lo>::kMask;
  static constexpr uint64_t Get(uint64_t word) { return word & kMask; }
};

static_assert(Field<51, 12>::kMask == 0x000ffffffffff000ull);
static_assert(Field<63, 0>::kMask == ~uint64_t{0});
static_assert(Bit<63>::kMask == uint64_t{1} << 63);

}  // namespace bootmap::core
