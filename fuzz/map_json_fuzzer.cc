// The map-file loader on arbitrary bytes: it must never crash, hang or allocate without
// bound; every rejection carries a message naming the source; every accepted map saves
// canonically, loads back equal, and normalises to sorted disjoint regions.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sim/io/map_json.h"
#include "sim/map/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace bootmap;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const io::MapLimits limits{.max_file_bytes = 1 << 20, .max_depth = 16, .max_entries = 4096};
  map::MemoryMap m;
  io::LoadResult r = io::ParseMap(text, "fuzz.json", &m, limits);
  if (!r.ok) {
    if (r.error.rfind("fuzz.json:", 0) != 0 || r.error.size() <= 11) std::abort();
    return 0;
  }
  map::MemoryMap again;
  if (!io::ParseMap(io::SaveMap(m), "saved", &again, limits).ok || !(again == m)) std::abort();
  const map::NormalizedMap n = map::Normalize(m);
  for (std::size_t i = 0; i < n.regions.size(); ++i) {
    if (n.regions[i].size == 0) std::abort();
    if (i > 0 && n.regions[i - 1].end() > n.regions[i].base) std::abort();
  }
  return 0;
}
