// Bit-range helpers: every mask in sim/emu is derived from the bit positions the SDM draws.
#pragma once
#include <cstdint>

namespace bootmap::emu::bits {

constexpr uint64_t Bit(int n) { return uint64_t{1} << n; }
// Bits hi..lo inclusive (hi >= lo), as the SDM's figures write them ("51:12").
constexpr uint64_t Range(int hi, int lo) {
  return (hi - lo >= 63 ? ~uint64_t{0} : ((uint64_t{1} << (hi - lo + 1)) - 1)) << lo;
}
constexpr uint64_t Field(uint64_t v, int hi, int lo) { return (v & Range(hi, lo)) >> lo; }
// Sign-extends v from bit `top` (canonical form of a linear address).
constexpr uint64_t SignExtend(uint64_t v, int top) {
  uint64_t high = Range(63, top);
  return (v & Bit(top)) ? (v | high) : (v & ~high);
}

static_assert(Range(51, 12) == 0x000F'FFFF'FFFF'F000ull);
static_assert(Range(63, 0) == ~uint64_t{0});
static_assert(Field(0x1234, 11, 8) == 0x2);
static_assert(SignExtend(Bit(47), 47) == 0xFFFF'8000'0000'0000ull);

}  // namespace bootmap::emu::bits
