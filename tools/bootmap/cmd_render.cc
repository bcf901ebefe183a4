// bootmap render MAP [--profile P | --layout FILE] [--paging ...] -o out.svg
// A picture of the physical address space (each region and hole gets a width that grows with
// the logarithm of its size, so a 4 KiB entry near 1 TiB stays visible), the page sizes that
// map each region, and the virtual layout by top-level slot.
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "sim/core/host/layout.h"
#include "sim/emu/enumerate.h"
#include "sim/emu/ept.h"
#include "sim/io/map_json.h"
#include "sim/map/format.h"
#include "tools/bootmap/command.h"
#include "tools/bootmap/replay_pipeline.h"

namespace bootmap::cli {
namespace {

using U128 = unsigned __int128;

struct Args {
  std::string map_file, profile, layout_file, paging, out;
};

struct Seg {
  uint64_t base = 0;
  U128 end = 0;
  std::string kind;  // region kind name, or "hole"
  double x = 0, w = 0;
};

struct Iv {
  uint64_t lo;
  U128 hi;
};

const char* KindColor(const std::string& k) {
  static const std::map<std::string, const char*> colors = {
      {"usable", "#4caf50"},        {"boot-services", "#8bc34a"}, {"loader", "#cddc39"},
      {"runtime-code", "#ff9800"},  {"runtime-data", "#ffb74d"},  {"acpi-reclaim", "#03a9f4"},
      {"acpi-nvs", "#0288d1"},      {"persistent", "#9c27b0"},    {"mmio", "#e91e63"},
      {"mmio-port", "#ad1457"},     {"soft-reserved", "#795548"}, {"unaccepted", "#bdbdbd"},
      {"unusable", "#616161"},      {"reserved", "#f44336"},      {"hole", "#eeeeee"}};
  auto it = colors.find(k);
  return it == colors.end() ? "#9e9e9e" : it->second;
}

const char* WindowColor(size_t i) {
  static const char* colors[] = {"#1e88e5", "#8e24aa", "#00897b", "#fb8c00", "#3949ab", "#6d4c41", "#c0ca33", "#5e35b1"};
  return colors[i % 8];
}

std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string Num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string Svg(const std::string& file, const map::MemoryMap& m, const ReplayResult& r) {
  // Segments: regions and the holes between them, from 0 to the highest end.
  const map::NormalizedMap n = map::Normalize(m);
  std::vector<Seg> segs;
  U128 pos = 0;
  for (const map::Region& region : n.regions) {
    if (region.base > pos) segs.push_back({uint64_t(pos), region.base, "hole"});
    segs.push_back({region.base, region.end(), std::string(map::RegionKindName(region.kind))});
    pos = region.end();
  }
  constexpr double kLeft = 40, kWidth = 1120;
  double total = 0;
  for (Seg& s : segs) {
    s.w = 6 + 10 * std::log2(double(s.end - s.base) / 4096.0 + 1);  // every segment visible
    total += s.w;
  }
  double x = kLeft;
  for (Seg& s : segs) {
    s.w *= kWidth / total;
    s.x = x;
    x += s.w;
  }

  // Physical ranges mapped by each page size (from the emulator's enumeration of the tables).
  std::array<std::vector<Iv>, 3> by_size;
  auto add = [&](uint64_t pa, uint64_t size, uint64_t page) {
    const int k = page == (uint64_t{1} << 30) ? 2 : page == (uint64_t{1} << 21) ? 1 : 0;
    by_size[k].push_back({pa, U128(pa) + size});
  };
  if (r.mem) {
    if (core::IsEpt(r.build.paging)) {
      emu::EptState st;
      st.eptp = emu::ept::MakeEptp(r.build.root_pa, core::PagingLevels(r.build.paging));
      st.maxphyaddr = m.cpu.maxphyaddr;
      st.page1gb = m.cpu.page1gb;
      for (const emu::EptRun& run : emu::EnumerateEpt(*r.mem, st).runs) add(run.hpa, run.size, run.page_size);
    } else {
      emu::CpuState cpu;
      cpu.cr3 = r.build.root_pa;
      cpu.cr4_la57 = core::PagingLevels(r.build.paging) == 5;
      cpu.maxphyaddr = m.cpu.maxphyaddr;
      cpu.page1gb = m.cpu.page1gb;
      for (const emu::Run& run : emu::Enumerate(*r.mem, cpu).runs) add(run.pa, run.size, run.page_size);
    }
  }
  for (auto& v : by_size) {
    std::sort(v.begin(), v.end(), [](const Iv& a, const Iv& b) { return a.lo < b.lo; });
    std::vector<Iv> merged;
    for (const Iv& i : v) {
      if (!merged.empty() && i.lo <= merged.back().hi) merged.back().hi = std::max(merged.back().hi, i.hi);
      else merged.push_back(i);
    }
    v = std::move(merged);
  }

  std::ostringstream o;
  const double height = 560;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\" height=\"" << height << "\" viewBox=\"0 0 1200 "
    << height << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  o << "<rect width=\"1200\" height=\"" << height << "\" fill=\"white\"/>\n";
  o << "<text x=\"" << kLeft << "\" y=\"24\" font-size=\"16\">" << Esc(m.name.empty() ? file : m.name) << " — profile "
    << Esc(r.build.profile.empty() ? "(layout)" : r.build.profile) << ", " << PagingName(r.build.paging) << "</text>\n";
  o << "<text x=\"" << kLeft << "\" y=\"42\">leaves 4K " << r.report.leaves[0] << ", 2M " << r.report.leaves[1]
    << ", 1G " << r.report.leaves[2] << "; " << r.report.table_pages << " table pages; "
    << (r.verified() ? "verified" : std::to_string(r.report.violation_count) + " violations") << "</text>\n";

  // Physical address space.
  const double y0 = 70, h0 = 40;
  o << "<text x=\"" << kLeft << "\" y=\"" << y0 - 6 << "\">physical address space (widths grow with log2 of size)</text>\n";
  o << "<g id=\"physical\">\n";
  for (const Seg& s : segs) {
    const uint64_t size = uint64_t(s.end - s.base);
    o << "<rect class=\"" << (s.kind == "hole" ? "hole" : "region") << "\" data-kind=\"" << s.kind
      << "\" data-base=\"" << Hex(s.base) << "\" data-size=\"" << Hex(size) << "\" x=\"" << Num(s.x) << "\" y=\"" << y0
      << "\" width=\"" << Num(s.w) << "\" height=\"" << h0 << "\" fill=\"" << KindColor(s.kind)
      << "\" stroke=\"white\" stroke-width=\"0.5\"><title>" << s.kind << " " << Hex(s.base) << "-"
      << Hex(uint64_t(s.end - 1)) << " (" << map::HumanSize(size) << ")</title></rect>\n";
  }
  if (m.framebuffer) {
    for (const Seg& s : segs) {
      const U128 lo = std::max<U128>(s.base, m.framebuffer->base),
                 hi = std::min<U128>(s.end, U128(m.framebuffer->base) + m.framebuffer->size);
      if (hi <= lo) continue;
      const double span = double(s.end - s.base);
      o << "<rect class=\"framebuffer\" x=\"" << Num(s.x + s.w * double(lo - s.base) / span) << "\" y=\"" << y0
        << "\" width=\"" << Num(std::max(1.0, s.w * double(hi - lo) / span)) << "\" height=\"" << h0 / 3
        << "\" fill=\"#ffeb3b\"><title>framebuffer</title></rect>\n";
    }
  }
  o << "</g>\n";
  // Address labels where there is room.
  double last_label = -100;
  for (const Seg& s : segs) {
    if (s.x - last_label < 60) continue;
    last_label = s.x;
    o << "<text class=\"address\" transform=\"translate(" << Num(s.x + 2) << "," << y0 + h0 + 12
      << ") rotate(35)\" font-size=\"9\">" << Hex(s.base) << "</text>\n";
  }
  // Page sizes mapping each segment, positioned linearly inside it.
  const char* names[3] = {"4k", "2m", "1g"};
  const char* labels[3] = {"4 KiB", "2 MiB", "1 GiB"};
  const char* colors[3] = {"#283593", "#00838f", "#558b2f"};
  const double y1 = y0 + h0 + 80;
  o << "<g id=\"page-sizes\">\n";
  for (int k = 2; k >= 0; --k) {
    const double y = y1 + (2 - k) * 22;
    o << "<text x=\"2\" y=\"" << y + 12 << "\" font-size=\"9\">" << labels[k] << "</text>\n";
    o << "<rect x=\"" << kLeft << "\" y=\"" << y << "\" width=\"" << kWidth << "\" height=\"16\" fill=\"#fafafa\"/>\n";
    size_t i = 0;
    for (const Seg& s : segs) {
      while (i < by_size[k].size() && by_size[k][i].hi <= s.base) ++i;
      const double span = double(s.end - s.base);
      for (size_t j = i; j < by_size[k].size() && by_size[k][j].lo < s.end; ++j) {
        const U128 lo = std::max<U128>(s.base, by_size[k][j].lo), hi = std::min<U128>(s.end, by_size[k][j].hi);
        if (hi <= lo) continue;
        o << "<rect class=\"leaves\" data-page=\"" << names[k] << "\" data-base=\"" << Hex(uint64_t(lo))
          << "\" x=\"" << Num(s.x + s.w * double(lo - s.base) / span) << "\" y=\"" << y << "\" width=\""
          << Num(std::max(0.5, s.w * double(hi - lo) / span)) << "\" height=\"16\" fill=\"" << colors[k]
          << "\"><title>" << labels[k] << " pages over " << Hex(uint64_t(lo)) << "-" << Hex(uint64_t(hi - 1))
          << "</title></rect>\n";
      }
    }
  }
  o << "</g>\n";

  // Virtual layout: 512 top-level slots, 32 x 16.
  const int shift = core::PagingLevels(r.build.paging) == 5 ? 48 : 39;
  std::vector<int> slot_window(512, -1);
  for (const core::MapRequest& q : r.build.requests) {
    if (q.size == 0) continue;
    for (uint64_t s = (q.va >> shift) & 511; s <= (((q.va + (q.size - 1)) >> shift) & 511); ++s)
      if (slot_window[s] < 0) slot_window[s] = q.window;
  }
  const double y2 = y1 + 3 * 22 + 40;
  o << "<text x=\"" << kLeft << "\" y=\"" << y2 - 8 << "\">virtual layout: " << (shift == 48 ? "PML5" : "PML4")
    << " slots (" << (shift == 48 ? "256 TiB" : "512 GiB") << " each), by window</text>\n<g id=\"slots\">\n";
  for (int s = 0; s < 512; ++s) {
    const int w = slot_window[s];
    const std::string window = w >= 0 && size_t(w) < r.build.windows.size() ? r.build.windows[w].name : "";
    o << "<rect class=\"slot\" data-slot=\"" << s << "\" data-window=\"" << Esc(window) << "\" x=\""
      << kLeft + (s % 32) * 22 << "\" y=\"" << y2 + (s / 32) * 13 << "\" width=\"21\" height=\"12\" fill=\""
      << (w >= 0 ? WindowColor(size_t(w)) : "#f0f0f0") << "\"><title>slot " << s
      << (window.empty() ? "" : ": " + Esc(window)) << "</title></rect>\n";
  }
  o << "</g>\n";
  // Legends.
  double ly = y2;
  const double lx = kLeft + 32 * 22 + 30;
  for (size_t i = 0; i < r.build.windows.size(); ++i) {
    if (r.build.windows[i].empty) continue;
    o << "<rect x=\"" << lx << "\" y=\"" << ly << "\" width=\"10\" height=\"10\" fill=\"" << WindowColor(i)
      << "\"/><text x=\"" << lx + 14 << "\" y=\"" << ly + 9 << "\">" << Esc(r.build.windows[i].name) << "</text>\n";
    ly += 14;
  }
  ly += 10;
  std::vector<std::string> kinds;
  for (const Seg& s : segs)
    if (std::find(kinds.begin(), kinds.end(), s.kind) == kinds.end()) kinds.push_back(s.kind);
  for (const std::string& k : kinds) {
    o << "<rect x=\"" << lx << "\" y=\"" << ly << "\" width=\"10\" height=\"10\" fill=\"" << KindColor(k)
      << "\" stroke=\"#999\" stroke-width=\"0.5\"/><text x=\"" << lx + 14 << "\" y=\"" << ly + 9 << "\">" << k
      << "</text>\n";
    ly += 14;
  }
  o << "</svg>\n";
  return o.str();
}

int Run(const Args& a) {
  ReplayOptions o;
  o.profile = a.profile;
  o.layout_file = a.layout_file;
  map::MemoryMap m;
  if (int rc = LoadReplayInput(a.map_file, a.paging, &m, &o); rc != kExitOk) return rc;
  Progress progress;
  ReplayResult r = Replay(m, o, &progress);
  if (r.bad_input) return BadInput(a.map_file + ": " + r.error);
  if (!r.built) {
    std::cerr << "bootmap: " << a.map_file << ": the build failed: " << r.error << "\n";
    return kExitFound;
  }
  const std::string svg = Svg(a.map_file, m, r);
  if (a.out == "-") {
    std::cout << svg;
  } else {
    std::ofstream f(a.out, std::ios::binary | std::ios::trunc);
    f << svg;
    f.close();
    if (!f) return BadInput(a.out + ": cannot write");
  }
  return kExitOk;
}

void Setup(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<Args>();
  app.add_option("map", a->map_file, "map file (maps/SCHEMA.md)")->required();
  auto* profile = app.add_option("--profile", a->profile, "named layout");
  app.add_option("--layout", a->layout_file, "layout JSON file")->excludes(profile);
  app.add_option("--paging", a->paging, "4, 5, ept or ept5");
  app.add_option("-o,--output", a->out, "SVG file to write (- for stdout)")->required();
  app.callback([a, exit_code] { *exit_code = Run(*a); });
}

const bool registered = RegisterCommand("render", "draw the physical address space, page sizes and virtual layout as SVG", &Setup);

}  // namespace
}  // namespace bootmap::cli
