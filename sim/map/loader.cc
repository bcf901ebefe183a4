#include "sim/map/loader.h"

#include "sim/map/format.h"
#include "sim/map/normalize.h"

namespace bootmap::map {
namespace {

constexpr uint64_t kMinLoaderSize = 16 * kPageSize;

using U128 = unsigned __int128;

// The first page-aligned base >= `base` where [base, base + size) misses every used range.
uint64_t PastUsed(const MemoryMap& m, uint64_t base, uint64_t size) {
  for (bool moved = true; moved;) {
    moved = false;
    for (const UsedRange& u : m.used) {
      const U128 end = (U128)u.base + u.size;
      if (u.size != 0 && u.base < (U128)base + size && end > base) {
        base = uint64_t((end + kPageSize - 1) / kPageSize * kPageSize);
        moved = true;
      }
    }
  }
  return base;
}

// 2 MiB of usable RAM at or above 1 MiB that no used range touches, lowest first.
std::optional<LoaderFootprint> LowestFreeRam(const MemoryMap& m) {
  for (const Region& r : NormalizedRegions(m)) {
    if (r.kind != RegionKind::kUsable) continue;
    uint64_t base = r.base < kDefaultLoaderBase ? kDefaultLoaderBase : r.base;
    base = PastUsed(m, (base + kPageSize - 1) / kPageSize * kPageSize, kDefaultLoaderSize);
    if (r.end() >= (U128)base + kDefaultLoaderSize) return LoaderFootprint{base, kDefaultLoaderSize};
  }
  return std::nullopt;
}

bool NamesCode(const MemoryMap& m) {
  for (const UsedRange& u : m.used)
    if (u.role == RangeRole::kCode) return true;
  return false;
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
  if (NamesCode(*m)) return "";
  const std::string why = m->used.empty() ? "the map names no used ranges" : "the map names no code range";
  const std::optional<LoaderFootprint> f = LowestFreeRam(*m);
  if (!f) return why + " and has no free 2 MiB of usable RAM at or above 1 MiB: no loader footprint";
  AddRanges(m, *f);
  return why + ": assumed a loader footprint " + Describe(*f) + "; --loader BASE:SIZE sets it";
}

}  // namespace bootmap::map
