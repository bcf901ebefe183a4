// Human-readable renderings of sizes and addresses for command output.
#pragma once
#include <cstdint>
#include <string>

namespace bootmap::map {

// "640 KiB", "3.5 GiB", "1 TiB", "2^64 B"; exact when it can be, one decimal otherwise.
std::string HumanSize(unsigned __int128 bytes);
// "0x0000fd00000000" style: hex, zero-padded to `digits`.
std::string PaddedHex(unsigned __int128 value, int digits = 12);

}  // namespace bootmap::map
