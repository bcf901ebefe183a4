// bootmap dump: a ptdump-style listing of every mapping in page tables (or EPT) loaded from
// images: coalesced runs, totals per page size (per window with a map and layout) and memory
// type, table counts, anomalies. A shared table is walked at every entry that references it,
// as the MMU does, and its frame counted once.
#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/core/host/build.h"
#include "sim/emu/enumerate.h"
#include "sim/emu/ept.h"
#include "sim/emu/ia32e_entry.h"
#include "sim/emu/mem_types.h"
#include "sim/io/json_util.h"
#include "sim/io/map_json.h"
#include "sim/map/loader.h"
#include "sim/map/memory_map.h"
#include "sim/map/normalize.h"
#include "tools/bootmap/command.h"
#include "tools/bootmap/emu_args.h"

namespace bootmap::cli {
namespace {

struct DumpOptions {
  EmuArgs emu;
  std::string ept;
  std::string map_file, profile, layout_file, seed = "0";
  uint64_t max_leaves = uint64_t{1} << 30;
  bool no_follow_shared = false, follow_shared_flag = false;
};

// Leaves and bytes per page size inside one window's va extent (or outside every window).
struct WindowTotals {
  std::string name;
  uint64_t va = 0, size = 0;
  std::array<uint64_t, 3> leaves{}, bytes{};
};

// One listing row, the same for IA-32e and EPT runs.
struct Row {
  uint64_t va, size, pa, page_size;
  std::vector<std::string> flags;
  std::string type;
};

struct Listing {
  std::vector<Row> rows;
  emu::EnumerationSummary summary;
  // With --map: bytes mapped per region kind (and "hole") per page size, and large pages
  // that span MTRR types (SDM Vol. 3A 12.11.9).
  std::map<std::string, std::array<uint64_t, 3>> by_region;
  std::vector<const Row*> mtrr_spans;
  std::vector<uint64_t> mtrr_span_pages;
  // With --map: the layout's windows (profile, --layout or the map's own) and what lies outside.
  std::string layout_name, assumed;  // assumed: the loader footprint the plan assumed, if any
  std::vector<WindowTotals> windows;
  std::array<uint64_t, 3> outside_bytes{};
  bool followed = true;  // shared tables walked at every reference
};

int SizeIndex(uint64_t page_size) { return page_size >= (uint64_t{1} << 30) ? 2 : page_size >= (2u << 20) ? 1 : 0; }

// Attributes every mapped byte to the normalised region (or hole) it lands in, per page size.
void AddRegionTotals(const map::NormalizedMap& nm, Listing* l) {
  const std::vector<map::Region>& regions = nm.regions;
  for (const Row& r : l->rows) {
    uint64_t pa = r.pa, left = r.size;
    auto it = std::upper_bound(regions.begin(), regions.end(), pa,
                               [](uint64_t v, const map::Region& g) { return v < g.base; });
    if (it != regions.begin() && std::prev(it)->end() > pa) --it;
    while (left > 0) {
      uint64_t chunk;
      std::string kind;
      if (it != regions.end() && it->base <= pa) {
        unsigned __int128 end = it->end();
        chunk = end - pa < left ? static_cast<uint64_t>(end - pa) : left;
        kind = std::string(map::RegionKindName(it->kind));
        ++it;
      } else {
        chunk = it != regions.end() && it->base - pa < left ? it->base - pa : left;
        kind = "hole";
      }
      l->by_region[kind][SizeIndex(r.page_size)] += chunk;
      pa += chunk;
      left -= chunk;
    }
  }
}

// Pages of a row (aligned to its page size) with a byte in [lo, hi).
uint64_t PagesIn(const Row& r, uint64_t lo, uint64_t hi) {
  const uint64_t a = std::max(r.va, lo), b = std::min(r.va + r.size, hi);  // b: no wrap, rows end below 2^64
  if (b <= a) return 0;
  return (b - 1 - r.va) / r.page_size - (a - r.va) / r.page_size + 1;
}

// Totals per window of the layout's plan (va extents; windows do not overlap in va).
void AddWindowTotals(const core::host::BuildResult& plan, Listing* l) {
  l->layout_name = plan.profile.empty() ? "(layout)" : plan.profile;
  for (const core::host::WindowReport& w : plan.windows) {
    if (w.place.empty || !w.error.empty()) continue;
    l->windows.push_back({w.name, w.place.va_lo, w.place.va_hi - w.place.va_lo, {}, {}});
  }
  for (const Row& r : l->rows) {
    const int i = SizeIndex(r.page_size);
    uint64_t inside = 0;
    for (WindowTotals& w : l->windows) {
      const uint64_t end = w.va + w.size;
      w.leaves[i] += PagesIn(r, w.va, end);
      const uint64_t a = std::max(r.va, w.va), b = std::min(r.va + r.size, end);
      if (b > a) {
        w.bytes[i] += b - a;
        inside += b - a;
      }
    }
    l->outside_bytes[i] += r.size - inside;
  }
}

void FindMtrrSpans(const map::Mtrrs& mtrrs, uint8_t maxphyaddr, Listing* l) {
  for (const Row& r : l->rows) {
    uint64_t page = 0;
    if (r.page_size > 4096 && emu::FindPageSpanningMtrrTypes(mtrrs, r.pa, r.size, r.page_size, maxphyaddr, &page)) {
      l->mtrr_spans.push_back(&r);
      l->mtrr_span_pages.push_back(page);
    }
  }
}

std::vector<std::string> Ia32eFlags(const emu::Run& r) {
  std::vector<std::string> f = {r.writable ? "RW" : "RO", r.user ? "USR" : "SUP", r.nx ? "NX" : "X"};
  if (r.global) f.push_back("GLB");
  if (r.pkey != 0) f.push_back("PKEY" + std::to_string(r.pkey));
  return f;
}

std::vector<std::string> EptFlags(const emu::EptRun& r) {
  std::string rwx = std::string(r.r ? "R" : "-") + (r.w ? "W" : "-") + (r.x ? "X" : "-") + (r.ux ? "U" : "");
  std::vector<std::string> f = {rwx};
  if (r.ipat) f.push_back("IPAT");
  return f;
}

const char* AnomalyName(emu::AnomalyKind k) {
  switch (k) {
    case emu::AnomalyKind::kSharedTable: return "shared-table";
    case emu::AnomalyKind::kSelfReference: return "self-reference";
    case emu::AnomalyKind::kReservedBits: return "reserved-bits";
  }
  return "?";
}

// Followed shared tables are no anomaly: the MMU walks them at every reference, so their
// leaves are listed at every address (an alias a layout did not ask for is verify's finding).
uint64_t AnomalyCount(const Listing& l) {
  return l.summary.anomaly_count - (l.followed ? l.summary.shared_tables : 0);
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

void PrintText(const Listing& l, bool ept, std::ostream& out) {
  const char* level_names[] = {"", "PT", "PD", "PDPT", "PML4", "PML5"};
  out << (ept ? "EPT tables:" : "tables:");
  for (int level = 5; level >= 1; --level) {
    if (l.summary.tables[level] != 0) out << " " << level_names[level] << " " << l.summary.tables[level];
  }
  out << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-37s %10s %4s  %-18s %-4s %s\n", ept ? "guest-physical range" : "virtual range",
                "size", "page", "flags", "type", ept ? "host pa" : "pa");
  out << line;
  std::map<std::string, uint64_t> by_type;
  for (const Row& r : l.rows) {
    std::snprintf(line, sizeof line, "%s-%s %10s %4s  %-18s %-4s %s\n", Hex(r.va, 16).c_str(),
                  Hex(r.va + r.size, 16).c_str(), map::HumanSize(r.size).c_str(), PageSizeName(r.page_size),
                  Join(r.flags).c_str(), r.type.c_str(), Hex(r.pa, 12).c_str());
    out << line;
    by_type[r.type] += r.size;
  }
  const char* size_names[] = {"4K", "2M", "1G"};
  for (int i = 0; i < 3; ++i) {
    uint64_t bytes = l.summary.leaves[i] << (12 + 9 * i);
    std::snprintf(line, sizeof line, "%s %s: %llu leaves, %s\n", ept ? "EPT" : "all", size_names[i],
                  static_cast<unsigned long long>(l.summary.leaves[i]), map::HumanSize(bytes).c_str());
    out << line;
  }
  for (const WindowTotals& w : l.windows) {
    out << "window " << w.name << " (" << l.layout_name << ", " << Hex(w.va, 16) << "-" << Hex(w.va + w.size, 16) << "):";
    for (int i = 0; i < 3; ++i) out << " " << size_names[i] << " " << w.leaves[i] << " leaves, " << map::HumanSize(w.bytes[i]) << ";";
    out << "\n";
  }
  if (!l.assumed.empty()) out << "assumed: " << l.assumed << "\n";
  if (!l.windows.empty()) {
    out << "outside every window:";
    for (int i = 0; i < 3; ++i) out << " " << size_names[i] << " " << map::HumanSize(l.outside_bytes[i]) << ";";
    out << "\n";
  }
  if (l.summary.shared_tables != 0) {
    out << "shared tables: " << l.summary.shared_tables << " references to tables reached before"
        << (l.followed ? " (walked at each, counted once)" : " (not walked again: --no-follow-shared; their leaves there are not listed)")
        << "\n";
  }
  for (const auto& [type, bytes] : by_type) out << "type " << type << ": " << map::HumanSize(bytes) << "\n";
  for (const auto& [kind, bytes] : l.by_region) {
    out << "region " << kind << ":";
    for (int i = 0; i < 3; ++i) {
      if (bytes[i] != 0) out << " " << size_names[i] << " " << map::HumanSize(bytes[i]);
    }
    out << "\n";
  }
  for (size_t i = 0; i < l.mtrr_spans.size(); ++i) {
    const Row& r = *l.mtrr_spans[i];
    uint64_t page = l.mtrr_span_pages[i];
    out << "MTRR span: " << PageSizeName(r.page_size) << " page at " << Hex(r.va + (page - r.pa), 16) << " (pa "
        << Hex(page, 12) << ") covers more than one MTRR type\n";
  }
  out << "anomalies: " << AnomalyCount(l) << "\n";
  uint64_t listed = 0;
  for (const emu::Anomaly& a : l.summary.anomalies) {
    if (l.followed && a.kind == emu::AnomalyKind::kSharedTable) continue;
    ++listed;
    out << "  " << AnomalyName(a.kind) << ": " << LevelName(a.level) << " @" << Hex(a.entry_pa, 12) << " = "
        << Hex(a.entry, 16) << " for " << Hex(a.va, 16)
        << (a.kind == emu::AnomalyKind::kReservedBits ? " bits " : " table ") << Hex(a.detail) << "\n";
  }
  if (AnomalyCount(l) > listed) out << "  ... " << AnomalyCount(l) - listed << " more\n";
}

nlohmann::json ToJson(const Listing& l) {
  nlohmann::json runs = nlohmann::json::array();
  for (const Row& r : l.rows) {
    runs.push_back({{"va", Hex(r.va)}, {"size", Hex(r.size)}, {"pa", Hex(r.pa)}, {"page_size", Hex(r.page_size)},
                    {"flags", r.flags}, {"type", r.type}});
  }
  nlohmann::json anomalies = nlohmann::json::array();
  for (const emu::Anomaly& a : l.summary.anomalies) {
    if (l.followed && a.kind == emu::AnomalyKind::kSharedTable) continue;
    anomalies.push_back({{"kind", AnomalyName(a.kind)}, {"level", a.level}, {"va", Hex(a.va)},
                         {"entry_pa", Hex(a.entry_pa)}, {"entry", Hex(a.entry)}, {"detail", Hex(a.detail)}});
  }
  nlohmann::json regions = nlohmann::json::object();
  for (const auto& [kind, bytes] : l.by_region) {
    regions[kind] = {{"4k", Hex(bytes[0])}, {"2m", Hex(bytes[1])}, {"1g", Hex(bytes[2])}};
  }
  nlohmann::json spans = nlohmann::json::array();
  for (size_t i = 0; i < l.mtrr_spans.size(); ++i) {
    const Row& r = *l.mtrr_spans[i];
    uint64_t page = l.mtrr_span_pages[i];
    spans.push_back({{"va", Hex(r.va + (page - r.pa))}, {"pa", Hex(page)}, {"page_size", Hex(r.page_size)}});
  }
  nlohmann::json windows = nlohmann::json::array();
  for (const WindowTotals& w : l.windows) {
    windows.push_back({{"name", w.name}, {"va", Hex(w.va)}, {"size", Hex(w.size)},
                       {"leaves", {{"4k", w.leaves[0]}, {"2m", w.leaves[1]}, {"1g", w.leaves[2]}}},
                       {"bytes", {{"4k", Hex(w.bytes[0])}, {"2m", Hex(w.bytes[1])}, {"1g", Hex(w.bytes[2])}}}});
  }
  nlohmann::json outside = {{"4k", Hex(l.outside_bytes[0])}, {"2m", Hex(l.outside_bytes[1])}, {"1g", Hex(l.outside_bytes[2])}};
  return {{"runs", runs},
          {"windows", windows},
          {"outside_windows_bytes", l.windows.empty() ? nlohmann::json(nullptr) : outside},
          {"shared_tables", l.summary.shared_tables},
          {"followed_shared", l.followed},
          {"regions", regions},
          {"mtrr_spans", spans},
          {"leaves", {{"4k", l.summary.leaves[0]}, {"2m", l.summary.leaves[1]}, {"1g", l.summary.leaves[2]}}},
          {"tables", {{"pml5", l.summary.tables[5]}, {"pml4", l.summary.tables[4]}, {"pdpt", l.summary.tables[3]}, {"pd", l.summary.tables[2]},
                      {"pt", l.summary.tables[1]}}},
          {"anomalies", anomalies},
          {"anomaly_count", AnomalyCount(l)}};
}

// Rows and summary of an enumeration result (IA-32e or EPT); to_row converts one run.
template <class Result, class ToRow>
Listing MakeListing(Result&& r, ToRow to_row) {
  Listing l;
  for (const auto& run : r.runs) l.rows.push_back(to_row(run));
  l.summary = std::move(static_cast<emu::EnumerationSummary&>(r));
  return l;
}

// The layout's windows for the map (a plan only: no tables are built).
int PlanWindows(const DumpOptions& o, map::MemoryMap m, bool la57, core::host::BuildResult* plan, std::string* assumed) {
  core::host::HostOptions host;
  host.profile = o.profile;
  host.layout_file = o.layout_file;
  host.map_source = o.map_file;
  host.plan_only = true;
  std::string why;
  if (!io::ReadU64(io::Json(o.seed), false, &host.seed, &why)) return BadInput("--seed: " + why);
  if (la57) host.paging = core::Paging::kX86Level5;
  // Transition windows select the loader's footprint: the documented default when the map names none.
  *assumed = map::AddLoaderFootprint(&m, std::nullopt, &why);
  if (!why.empty()) return BadInput(o.map_file + ": " + why);
  *plan = core::host::BuildTables(m, host, nullptr);
  if (!plan->built) return BadInput(o.map_file + ": the layout cannot be planned: " + plan->error);
  return kExitOk;
}

void Setup(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<DumpOptions>();
  AddEmuOptions(app, &o->emu);
  app.add_option("--ept", o->ept, "dump the EPT tree of this EPTP instead of CR3's tables");
  app.add_option("--max-leaves", o->max_leaves, "stop with an error past this many leaf entries");
  auto* no_follow = app.add_flag("--no-follow-shared", o->no_follow_shared,
                                 "walk a shared table only at its first reference (its leaves elsewhere are not "
                                 "listed; each further reference is an anomaly)");
  app.add_flag("--follow-shared", o->follow_shared_flag, "walk a shared table at every reference (the default)")
      ->excludes(no_follow);
  app.add_option("--map", o->map_file,
                 "a map file (maps/SCHEMA.md): totals per region kind and per window of the layout, and large "
                 "pages spanning MTRR types");
  auto* profile = app.add_option("--profile", o->profile, "with --map: the layout whose windows are totalled");
  app.add_option("--layout", o->layout_file, "with --map: a layout JSON file")->excludes(profile);
  app.add_option("--seed", o->seed, "with --map: automatic offsets as the loader chose them");
  app.callback([o, exit_code] {
    const bool ept = !o->ept.empty();
    if (ept && !o->emu.cpu.cr3.empty()) {
      *exit_code = BadInput("dump takes --cr3 or --ept, not both");
      return;
    }
    uint64_t root_reg = 0;
    if (ept && !emu::ParseAddress(o->ept, &root_reg)) {
      *exit_code = BadInput("--ept: not an address: '" + o->ept + "'");
      return;
    }
    const uint8_t maxphy = static_cast<uint8_t>(o->emu.maxphyaddr);
    map::MemoryMap memory_map;
    if (!o->map_file.empty()) {
      io::LoadResult loaded = io::LoadMapFile(o->map_file, &memory_map);
      if (!loaded.ok) {
        *exit_code = BadInput(loaded.error);
        return;
      }
    }
    emu::PhysMem mem(maxphy);
    std::vector<emu::ImageSegment> segs;
    std::vector<emu::CoreCpuNote> notes;
    std::string error, source;
    if (!emu::LoadImages(o->emu.images, &mem, &error, &segs, &notes)) {
      *exit_code = BadInput(error);
      return;
    }
    emu::CpuState cpu;
    if (!ept) {
      if (!ResolveCpu(o->emu.cpu, notes, &cpu, &source, &error)) {
        *exit_code = BadInput(error);
        return;
      }
      root_reg = cpu.cr3;
    }
    uint64_t root = root_reg & emu::ia32e::AddrMask(maxphy);
    if (!InsideImages(segs, root) || (root_reg & emu::ia32e::RsvdAbovePhys(maxphy)) != 0) {
      *exit_code = BadInput(std::string(ept ? "--ept " : "--cr3 ") + Hex(root_reg) + " is outside every image segment");
      return;
    }
    emu::EnumerateOptions eo;
    eo.max_leaves = o->max_leaves;
    eo.follow_shared = !o->no_follow_shared;
    Listing l;
    if (ept) {
      emu::EptState s;
      s.eptp = root_reg;
      s.maxphyaddr = maxphy;
      l = MakeListing(emu::EnumerateEpt(mem, s, eo), [](const emu::EptRun& run) {
        return Row{run.gpa, run.size, run.hpa, run.page_size, EptFlags(run), std::string(map::MemTypeName(run.mem_type))};
      });
    } else {
      cpu.maxphyaddr = maxphy;
      l = MakeListing(emu::Enumerate(mem, cpu, eo), [](const emu::Run& run) {
        return Row{run.va, run.size, run.pa, run.page_size, Ia32eFlags(run), std::string(map::MemTypeName(run.pat_type))};
      });
    }
    if (!l.summary.ok) {
      *exit_code = BadInput(std::string(ept ? "--ept " : "--cr3 ") + Hex(root_reg) + ": " + l.summary.error);
      return;
    }
    l.followed = eo.follow_shared;
    if (!o->map_file.empty()) {
      if (!o->profile.empty() || !o->layout_file.empty() || !memory_map.layout_json.empty()) {
        core::host::BuildResult plan;
        if (int rc = PlanWindows(*o, memory_map, cpu.cr4_la57, &plan, &l.assumed); rc != kExitOk) {
          *exit_code = rc;
          return;
        }
        AddWindowTotals(plan, &l);
      }
      AddRegionTotals(map::Normalize(memory_map), &l);
      if (memory_map.mtrr) FindMtrrSpans(*memory_map.mtrr, maxphy, &l);
    }
    std::ostringstream out;
    if (o->emu.json) {
      nlohmann::json j = ToJson(l);
      if (!source.empty()) j["cpu_source"] = source;
      out << j.dump(2) << "\n";
    } else {
      if (!source.empty()) out << "cpu: " << source << "\n";
      PrintText(l, ept, out);
    }
    std::cout << out.str();
    *exit_code = AnomalyCount(l) == 0 && l.mtrr_spans.empty() ? kExitOk : kExitFound;
  });
}

const bool registered = RegisterCommand(
    "dump", "list every mapping of page tables (or EPT) in memory images: runs, totals, anomalies", &Setup);

}  // namespace
}  // namespace bootmap::cli
