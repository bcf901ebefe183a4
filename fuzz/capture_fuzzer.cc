// The parsers of `bootmap capture` on arbitrary bytes; the first byte picks the source:
// 0 the text checks (NUL, control bytes, line length), 1 /proc/cpuinfo, 2 /proc/iomem, 3 /proc/mtrr.
// Findings: a crash, hang or unbounded allocation; a rejection without a message naming the
// file; an accepted result the map-file loader would refuse (MAXPHYADDR out of range, a kernel
// range wrapping 2^64 or past 2^52, a variable MTRR the loader rejects).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sim/io/capture/source_file.h"
#include "sim/io/capture/sources.h"
#include "sim/io/map_json.h"

namespace {

using namespace bootmap;

void RequireNamed(const std::string& error) {
  if (error.rfind("fuzz.txt:", 0) != 0 || error.size() <= 10) std::abort();
}

// A map holding `m`'s MTRRs, CPU and used ranges must load (what capture writes is checked so).
void RequireLoads(map::MemoryMap m) {
  m.name = "fuzz";
  m.e820 = {{0, 0x100000, map::e820::kUsable}};
  map::MemoryMap back;
  const io::LoadResult r = io::ParseMap(io::SaveMap(m), "fuzz.json", &back);
  if (!r.ok || back != m) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string error;
  switch (data[0] % 4) {
    case 0:
      if (std::string e = capture::CheckText("fuzz.txt", text); !e.empty()) RequireNamed(e);
      return 0;
    case 1: {
      map::MemoryMap m;
      std::vector<std::string> notes;
      if (!capture::ParseCpuinfo(text, "fuzz.txt", &m.cpu, &notes, &error)) return RequireNamed(error), 0;
      if (m.cpu.maxphyaddr < 32 || m.cpu.maxphyaddr > 52) std::abort();
      RequireLoads(m);
      return 0;
    }
    case 2: {
      capture::KernelRanges k;
      if (!capture::ParseIomemRanges(text, "fuzz.txt", &k, &error)) return RequireNamed(error), 0;
      map::MemoryMap m;
      m.cpu.maxphyaddr = 52;
      m.used = k.used;
      for (const map::UsedRange& u : k.used) {
        if (u.size == 0 || u.base + (u.size - 1) < u.base || (u.base + (u.size - 1)) >> 52) std::abort();
      }
      if (k.framebuffer && k.framebuffer->base + (k.framebuffer->size - 1) < k.framebuffer->base) std::abort();
      RequireLoads(m);
      return 0;
    }
    default: {
      map::MemoryMap m;
      m.cpu.maxphyaddr = 46;
      m.mtrr.emplace();
      m.mtrr->default_known = m.mtrr->fixed_known = false;
      m.mtrr->default_type = MemType::kWB;
      if (!capture::ParseProcMtrr(text, "fuzz.txt", 46, &m.mtrr->variable, &error)) return RequireNamed(error), 0;
      RequireLoads(m);
      return 0;
    }
  }
}
