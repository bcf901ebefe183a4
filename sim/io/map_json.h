// Map files (maps/SCHEMA.md, "bootmap-map/1"): load with precise errors, save canonically.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/map/memory_map.h"

namespace bootmap::io {

inline constexpr std::string_view kMapFormat = "bootmap-map/1";

struct MapLimits {
  uint64_t max_file_bytes = 512ull << 20;  // 512 MiB
  int max_depth = 16;
  uint64_t max_entries = 4'000'000;        // per array (e820, efi, used, mtrr.variable)
};

// "FILE:/json/pointer: problem", or "FILE: problem" for whole-file errors.
struct LoadResult {
  bool ok = false;
  std::string error;
};

// `source` names the input in error messages (a path, or "<stdin>").
LoadResult ParseMap(std::string_view text, std::string_view source, map::MemoryMap* out,
                    const MapLimits& limits = {});
LoadResult LoadMapFile(const std::string& path, map::MemoryMap* out,
                       const MapLimits& limits = {});

// Canonical JSON text (2-space indent, hex strings for addresses, trailing newline).
std::string SaveMap(const map::MemoryMap& map);

}  // namespace bootmap::io
