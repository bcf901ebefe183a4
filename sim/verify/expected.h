// What a translation must be: the unit the specification produces and the verifier checks.
#pragma once
#include <cstdint>

#include "sim/map/mem_type.h"

namespace bootmap::verify {

inline constexpr uint64_t k4K = uint64_t{1} << 12;
inline constexpr uint64_t k2M = uint64_t{1} << 21;
inline constexpr uint64_t k1G = uint64_t{1} << 30;

enum class Format : uint8_t { kIa32e4, kIa32e5, kEpt4, kEpt5 };
constexpr bool IsEpt(Format f) { return f == Format::kEpt4 || f == Format::kEpt5; }
constexpr int Levels(Format f) { return (f == Format::kIa32e5 || f == Format::kEpt5) ? 5 : 4; }
const char* FormatName(Format f);  // "4", "5", "ept", "ept5"

// One expected mapping: [va, va + size) -> [pa, pa + size). For EPT, va is guest-physical.
struct Expected {
  uint64_t va = 0, pa = 0, size = 0;
  bool writable = false, user = false, nx = false, global = false;
  MemType type = MemType::kWB;  // the PAT type (IA-32e) or EPT type asked for
  uint64_t max_page = k1G;      // largest page allowed (4 KiB, 2 MiB or 1 GiB)
  uint16_t window = 0;          // index into Input::windows
};

}  // namespace bootmap::verify
