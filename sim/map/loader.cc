#include "sim/map/loader.h"

#include "sim/map/format.h"
#include "sim/map/normalize.h"

namespace bootmap::map {
namespace {

constexpr uint64_t kMinLoaderSize = 16 * kPageSize;

std::optional<LoaderFootprint> LowestFreeRam(const MemoryMap& m) {
  for (const Region& r : Normalize(m).regions) {
    if (r.kind != RegionKind::kUsable) continue;
    const uint64_t base = r.base < kDefaultLoaderBase ? kDefaultLoaderBase : r.base;
    if (r.end() >= (unsigned __int128)base + kDefaultLoaderSize) return LoaderFootprint{base, kDefaultLoaderSize};
  }
  return std::nullopt;
}

void AddRanges(MemoryMap* m, const LoaderFootprint& f) {
  const uint64_t code = (f.size / 2) & ~(kPageSize - 1);
  const uint64_t stack = (f.size / 8) & ~(kPageSize - 1);
  const uint64_t data = f.size - code - stack;
  m->used.push_back({"loader-code", f.base, code, RangeRole::kCode});
  m->used.push_back({"loader-data", f.base + code, data, RangeRole::kData});
  m->used.push_back({"loader-stack", f.base + code + data, stack, RangeRole::kStack});
}

std::string Describe(const LoaderFootprint& f) {
  return Hex(f.base) + "+" + HumanSize(f.size) + " (code, data, stack: halves and an eighth)";
}

}  // namespace

std::string AddLoaderFootprint(MemoryMap* m, std::optional<LoaderFootprint> given, std::string* error) {
  if (given) {
    const unsigned __int128 end = (unsigned __int128)given->base + given->size;
    if ((given->base | given->size) % kPageSize != 0 || given->size < kMinLoaderSize ||
        end > ((unsigned __int128)1 << m->cpu.maxphyaddr)) {
      *error = "--loader " + Hex(given->base) + ":" + Hex(given->size) +
               ": base and size must be 4 KiB aligned, size at least 64 KiB, end below 2^MAXPHYADDR";
      return "";
    }
    AddRanges(m, *given);
    return "loader footprint " + Describe(*given) + " from --loader";
  }
  if (!m->used.empty()) return "";
  const std::optional<LoaderFootprint> f = LowestFreeRam(*m);
  if (!f) return "the map names no used ranges and has no 2 MiB of usable RAM at or above 1 MiB: no loader footprint";
  AddRanges(m, *f);
  return "the map names no used ranges: assumed a loader footprint " + Describe(*f) + "; --loader BASE:SIZE sets it";
}

}  // namespace bootmap::map
