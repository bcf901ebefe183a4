// Human-readable renderings of sizes and addresses for command output.
#pragma once
#include <cstdint>
#include <string>

namespace bootmap::map {

// "640 KiB", "3.5 GiB", "1 TiB", "2^64 B"; exact when it can be, one decimal otherwise.
std::string HumanSize(unsigned __int128 bytes);
// "0x0000fd00000000" style: hex, zero-padded to `digits`.
std::string PaddedHex(unsigned __int128 value, int digits = 12);
// "0x9fc00"; zero-padded to `digits` if given.
inline std::string Hex(uint64_t value, int digits = 0) { return PaddedHex(value, digits); }

}  // namespace bootmap::map
