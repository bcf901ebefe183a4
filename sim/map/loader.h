// The loader's own footprint: what a boot touches across the switch to new tables.
// A map that names no code range gets an explicit, documented default (maps/SCHEMA.md).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "sim/map/memory_map.h"

namespace bootmap::map {

struct LoaderFootprint {
  uint64_t base = 0;
  uint64_t size = 0;
};

inline constexpr uint64_t kDefaultLoaderBase = uint64_t{1} << 20;  // lowest candidate
inline constexpr uint64_t kDefaultLoaderSize = uint64_t{2} << 20;

// Adds the footprint as used ranges "loader-code" (first half), "loader-data" and
// "loader-stack" (last eighth), with roles. `given`: that footprint, always. Otherwise, only
// if no used range of the map is code (nothing says where the running loader is): 2 MiB at
// the lowest usable RAM at or above 1 MiB that no used range touches.
// Returns what was assumed ("" if nothing); *error for an unusable `given`.
std::string AddLoaderFootprint(MemoryMap* map, std::optional<LoaderFootprint> given, std::string* error);

}  // namespace bootmap::map
