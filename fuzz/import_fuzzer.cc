// Every importer on arbitrary bytes; the first byte picks the format (low 6 bits mod the
// format count), --kernel-view (bit 6) and --strict (bit 7).
// Findings: a crash, hang or unbounded allocation; a rejection without a message naming
// the source; an error that leaves entries behind; an accepted map with an entry that
// wraps past 2^64, or that the map-file loader rejects or does not read back equal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sim/io/import/import.h"
#include "sim/io/map_json.h"

namespace {

constexpr uint8_t kFormatCount = 10;  // importer::Format kAuto .. kGrubLsmmap

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// [base, base + size) stays below 2^64 (an end of exactly 2^64 is allowed).
bool Fits(uint64_t base, uint64_t size) { return size == 0 || base + (size - 1) >= base; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace bootmap;
  if (size == 0) return 0;
  importer::ImportOptions options;
  options.source = "fuzz.txt";
  options.strict = (data[0] & 0x80) != 0;
  options.kernel_view = (data[0] & 0x40) != 0;
  options.max_entries = 4096;
  options.max_input_bytes = 1 << 20;
  const auto format = static_cast<importer::Format>((data[0] & 0x3f) % kFormatCount);
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const importer::ImportResult r = importer::Import(input, format, options);
  if (!r.ok) {
    if (!StartsWith(r.error, "fuzz.txt:") || r.error.size() <= 10) std::abort();
    if (!r.map.e820.empty() || !r.map.efi.empty()) std::abort();
    return 0;
  }
  if (!r.error.empty()) std::abort();
  for (const std::string& w : r.warnings)
    if (!StartsWith(w, "fuzz.txt:")) std::abort();
  for (const std::string& n : r.notes)
    if (!StartsWith(n, "fuzz.txt:")) std::abort();
  for (const map::E820Entry& e : r.map.e820)
    if (!Fits(e.base, e.size)) std::abort();
  for (const map::EfiDescriptor& d : r.map.efi) {
    if (d.pages > (~uint64_t{0} >> 12)) std::abort();
    if (!Fits(d.base, d.pages << 12)) std::abort();
  }
  // What `bootmap import` writes must load back as the same map.
  map::MemoryMap again;
  const io::LoadResult loaded = io::ParseMap(io::SaveMap(r.map), "saved", &again);
  if (!loaded.ok || !(again == r.map)) std::abort();
  return 0;
}
