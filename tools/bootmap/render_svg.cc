#include "tools/bootmap/render_svg.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "sim/emu/enumerate.h"
#include "sim/emu/ept.h"
#include "sim/map/format.h"
#include "sim/map/normalize.h"
#include "tools/bootmap/render_violations.h"

namespace bootmap::cli::render {
namespace {

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

// Physical ranges mapped by each page size (the emulator's enumeration of the tables), merged.
std::array<std::vector<Iv>, 3> PageSizeRanges(const map::MemoryMap& m, const ReplayResult& r) {
  std::array<std::vector<Iv>, 3> by_size;
  auto add = [&](uint64_t pa, uint64_t size, uint64_t page) {
    const int k = page == (uint64_t{1} << 30) ? 2 : page == (uint64_t{1} << 21) ? 1 : 0;
    by_size[k].push_back({pa, U128(pa) + size});
  };
  if (r.mem && core::IsEpt(r.build.paging)) {
    emu::EptState st;
    st.eptp = emu::ept::MakeEptp(r.build.root_pa, core::PagingLevels(r.build.paging));
    st.maxphyaddr = m.cpu.maxphyaddr;
    st.page2m = m.cpu.ept.page2m;  // IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D Appendix A.10)
    st.page1gb = m.cpu.ept.page1gb;
    st.five_level = m.cpu.ept.five_level;
    for (const emu::EptRun& run : emu::EnumerateEpt(*r.mem, st).runs) add(run.hpa, run.size, run.page_size);
  } else if (r.mem) {
    emu::CpuState cpu;
    cpu.cr3 = r.build.root_pa;
    cpu.cr4_la57 = core::PagingLevels(r.build.paging) == 5;
    cpu.maxphyaddr = m.cpu.maxphyaddr;
    cpu.page1gb = m.cpu.page1gb;
    for (const emu::Run& run : emu::Enumerate(*r.mem, cpu).runs) add(run.pa, run.size, run.page_size);
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
  return by_size;
}

std::string ShortVerdict(const ReplayResult& r) {
  const uint64_t n = r.report.violation_count;
  if (r.verified()) return "verified";
  if (n == 0) return "not verified";  // windows left out, or the verifier's input was unusable
  return std::to_string(n) + (n == 1 ? " violation" : " violations");
}

void DrawTitle(const std::string& file, const map::MemoryMap& m, const ReplayResult& r, std::ostream& o) {
  o << "<text class=\"title\" x=\"" << kLeft << "\" y=\"24\" font-size=\"16\">" << Esc(m.name.empty() ? file : m.name)
    << " — profile " << Esc(r.build.profile.empty() ? "(layout)" : r.build.profile) << ", "
    << PagingName(r.build.paging) << " — "
    << ShortVerdict(r)
    << "</text>\n";
  o << "<text x=\"" << kLeft << "\" y=\"42\">leaves 4K " << r.report.leaves[0] << ", 2M " << r.report.leaves[1]
    << ", 1G " << r.report.leaves[2] << " (minimum " << r.report.minimal_total() << "); " << r.report.table_pages
    << " table pages</text>\n";
}

void DrawPhysical(const Scale& s, const map::MemoryMap& m, double y0, double h0, std::ostream& o) {
  o << "<text x=\"" << kLeft << "\" y=\"" << y0 - 6 << "\">physical address space (widths grow with log2 of size)</text>\n";
  o << "<g class=\"physical\">\n";
  for (const Seg& g : s.segs()) {
    const uint64_t size = uint64_t(g.end - g.base);
    o << "<rect class=\"" << (g.kind == "hole" ? "hole" : "region") << "\" data-kind=\"" << g.kind << "\" data-base=\""
      << Hex(g.base) << "\" data-size=\"" << Hex(size) << "\" x=\"" << Num(g.x) << "\" y=\"" << y0 << "\" width=\""
      << Num(g.w) << "\" height=\"" << h0 << "\" fill=\"" << KindColor(g.kind)
      << "\" stroke=\"white\" stroke-width=\"0.5\"><title>" << g.kind << " " << Hex(g.base) << "-"
      << Hex(uint64_t(g.end - 1)) << " (" << map::HumanSize(size) << ")</title></rect>\n";
  }
  if (m.framebuffer) {
    const double x = s.X(m.framebuffer->base);
    o << "<rect class=\"framebuffer\" x=\"" << Num(x) << "\" y=\"" << y0 << "\" width=\""
      << Num(std::max(1.0, s.X(U128(m.framebuffer->base) + m.framebuffer->size) - x)) << "\" height=\"" << h0 / 3
      << "\" fill=\"#ffeb3b\"><title>framebuffer</title></rect>\n";
  }
  o << "</g>\n";
  double last_label = -100;  // address labels where there is room
  for (const Seg& g : s.segs()) {
    if (g.x - last_label < 60) continue;
    last_label = g.x;
    o << "<text class=\"address\" transform=\"translate(" << Num(g.x + 2) << "," << y0 + h0 + 12
      << ") rotate(35)\" font-size=\"9\">" << Hex(g.base) << "</text>\n";
  }
}

// One lane per page size; returns the y below them.
double DrawPageSizes(const Scale& s, const std::array<std::vector<Iv>, 3>& by_size, double y1, std::ostream& o) {
  const char* names[3] = {"4k", "2m", "1g"};
  const char* labels[3] = {"4 KiB", "2 MiB", "1 GiB"};
  const char* colors[3] = {"#283593", "#00838f", "#558b2f"};
  o << "<g class=\"page-sizes\">\n";
  for (int k = 2; k >= 0; --k) {
    const double y = y1 + (2 - k) * 22;
    o << "<text x=\"2\" y=\"" << y + 12 << "\" font-size=\"9\">" << labels[k] << " pages</text>\n";
    o << "<rect x=\"" << kLeft << "\" y=\"" << y << "\" width=\"" << kWidth << "\" height=\"16\" fill=\"#fafafa\"/>\n";
    for (const Iv& iv : by_size[k]) {
      const double x = s.X(iv.lo);
      o << "<rect class=\"leaves\" data-page=\"" << names[k] << "\" data-base=\"" << Hex(iv.lo) << "\" x=\"" << Num(x)
        << "\" y=\"" << y << "\" width=\"" << Num(std::max(0.5, s.X(iv.hi) - x)) << "\" height=\"16\" fill=\""
        << colors[k] << "\"><title>" << labels[k] << " pages over " << Hex(iv.lo) << "-" << Hex(uint64_t(iv.hi - 1))
        << "</title></rect>\n";
    }
  }
  o << "</g>\n";
  return y1 + 3 * 22;
}

// 512 top-level slots, 32 x 16, coloured by window, with the window and kind legends beside.
double DrawSlots(const Scale& s, const ReplayResult& r, double y2, std::ostream& o) {
  const int shift = core::PagingLevels(r.build.paging) == 5 ? 48 : 39;
  std::vector<int> slot_window(512, -1);
  for (const core::MapRequest& q : r.build.requests) {
    if (q.size == 0) continue;
    for (uint64_t k = (q.va >> shift) & 511; k <= (((q.va + (q.size - 1)) >> shift) & 511); ++k)
      if (slot_window[k] < 0) slot_window[k] = q.window;
  }
  o << "<text x=\"" << kLeft << "\" y=\"" << y2 - 8 << "\">virtual layout: " << (shift == 48 ? "PML5" : "PML4")
    << " slots (" << (shift == 48 ? "256 TiB" : "512 GiB") << " each), by window</text>\n<g class=\"slots\">\n";
  for (int k = 0; k < 512; ++k) {
    const int w = slot_window[k];
    const std::string window = w >= 0 && size_t(w) < r.build.windows.size() ? r.build.windows[w].name : "";
    o << "<rect class=\"slot\" data-slot=\"" << k << "\" data-window=\"" << Esc(window) << "\" x=\""
      << kLeft + (k % 32) * 22 << "\" y=\"" << y2 + (k / 32) * 13 << "\" width=\"21\" height=\"12\" fill=\""
      << (w >= 0 ? WindowColor(size_t(w)) : "#f0f0f0") << "\"><title>slot " << k
      << (window.empty() ? "" : ": " + Esc(window)) << "</title></rect>\n";
  }
  DrawSlotMarks(r, shift, kLeft, y2, o);
  o << "</g>\n";
  double ly = y2;
  const double lx = kLeft + 32 * 22 + 30;
  for (size_t i = 0; i < r.build.windows.size(); ++i, ly += 14) {
    if (r.build.windows[i].empty) {
      ly -= 14;
      continue;
    }
    o << "<rect x=\"" << lx << "\" y=\"" << ly << "\" width=\"10\" height=\"10\" fill=\"" << WindowColor(i)
      << "\"/><text x=\"" << lx + 14 << "\" y=\"" << ly + 9 << "\">" << Esc(r.build.windows[i].name) << "</text>\n";
  }
  ly += 10;
  std::vector<std::string> kinds;
  for (const Seg& g : s.segs())
    if (std::find(kinds.begin(), kinds.end(), g.kind) == kinds.end()) kinds.push_back(g.kind);
  for (const std::string& k : kinds) {
    o << "<rect x=\"" << lx << "\" y=\"" << ly << "\" width=\"10\" height=\"10\" fill=\"" << KindColor(k)
      << "\" stroke=\"#999\" stroke-width=\"0.5\"/><text x=\"" << lx + 14 << "\" y=\"" << ly + 9 << "\">" << k
      << "</text>\n";
    ly += 14;
  }
  return std::max(ly, y2 + 16 * 13);
}

// One profile's panel; returns its height.
double Panel(const std::string& file, const map::MemoryMap& m, const Scale& s, const ReplayResult& r,
             std::ostream& o) {
  DrawTitle(file, m, r, o);
  const double y0 = 70, h0 = 40;
  DrawPhysical(s, m, y0, h0, o);
  double y = DrawPageSizes(s, PageSizeRanges(m, r), y0 + h0 + 80, o);
  y = DrawFramesAndMarks(s, m, r, y, o);
  y = DrawSlots(s, r, y + 30, o);
  return DrawViolationLegend(r, kLeft, y + 14, o) + 14;
}

}  // namespace

Scale::Scale(const map::MemoryMap& m) {
  U128 pos = 0;
  for (const map::Region& region : map::NormalizedRegions(m)) {
    if (region.base > pos) segs_.push_back({uint64_t(pos), region.base, "hole"});
    segs_.push_back({region.base, region.end(), std::string(map::RegionKindName(region.kind))});
    pos = region.end();
  }
  double total = 0;
  for (Seg& g : segs_) {
    g.w = 6 + 10 * std::log2(double(g.end - g.base) / 4096.0 + 1);  // every segment visible
    total += g.w;
  }
  double x = kLeft;
  for (Seg& g : segs_) {
    g.w *= kWidth / total;
    g.x = x;
    x += g.w;
  }
}

double Scale::X(U128 pa) const {
  if (segs_.empty() || pa <= segs_.front().base) return kLeft;
  if (pa >= segs_.back().end) return kLeft + kWidth;
  auto it = std::upper_bound(segs_.begin(), segs_.end(), pa, [](U128 a, const Seg& g) { return a < g.end; });
  return it->x + it->w * double(pa - it->base) / double(it->end - it->base);
}

std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') o += '?';
    else o += c;
  }
  return o;
}

std::string Num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string Svg(const std::string& file, const map::MemoryMap& m, const std::vector<const ReplayResult*>& panels) {
  const Scale scale(m);
  std::ostringstream body;
  double height = 0;
  for (size_t i = 0; i < panels.size(); ++i) {
    const ReplayResult& r = *panels[i];
    body << "<g class=\"panel\" data-profile=\"" << Esc(r.build.profile) << "\" data-verified=\""
         << (r.verified() ? "true" : "false") << "\" transform=\"translate(" << Num(kPanelWidth * double(i))
         << ",0)\">\n";
    height = std::max(height, Panel(file, m, scale, r, body));
    body << "</g>\n";
  }
  const double width = kPanelWidth * double(panels.size());
  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << Num(width) << "\" height=\"" << Num(height)
    << "\" viewBox=\"0 0 " << Num(width) << " " << Num(height) << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
    << "<rect width=\"" << Num(width) << "\" height=\"" << Num(height) << "\" fill=\"white\"/>\n"
    << body.str() << "</svg>\n";
  return o.str();
}

}  // namespace bootmap::cli::render
