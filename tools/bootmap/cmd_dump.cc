// bootmap dump: a ptdump-style listing of every mapping in page tables (or EPT) loaded from
// images: coalesced runs, totals per page size and memory type, table counts, anomalies.
#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/emu/enumerate.h"
#include "sim/emu/ept.h"
#include "sim/emu/ia32e_entry.h"
#include "sim/emu/mem_types.h"
#include "sim/io/map_json.h"
#include "sim/map/memory_map.h"
#include "sim/map/normalize.h"
#include "tools/bootmap/command.h"
#include "tools/bootmap/emu_args.h"

namespace bootmap::cli {
namespace {

struct DumpOptions {
  EmuArgs emu;
  std::string ept;
  std::string map_file;
  uint64_t max_leaves = uint64_t{1} << 30;
  bool follow_shared = false;
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
    std::snprintf(line, sizeof line, "%s %s: %llu leaves, %s\n", ept ? "EPT" : "DirectMap", size_names[i],
                  static_cast<unsigned long long>(l.summary.leaves[i]), map::HumanSize(bytes).c_str());
    out << line;
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
  out << "anomalies: " << l.summary.anomaly_count << "\n";
  for (const emu::Anomaly& a : l.summary.anomalies) {
    out << "  " << AnomalyName(a.kind) << ": " << LevelName(a.level) << " @" << Hex(a.entry_pa, 12) << " = "
        << Hex(a.entry, 16) << " for " << Hex(a.va, 16)
        << (a.kind == emu::AnomalyKind::kReservedBits ? " bits " : " table ") << Hex(a.detail) << "\n";
  }
  if (l.summary.anomaly_count > l.summary.anomalies.size()) out << "  ... " << l.summary.anomaly_count - l.summary.anomalies.size() << " more\n";
}

nlohmann::json ToJson(const Listing& l) {
  nlohmann::json runs = nlohmann::json::array();
  for (const Row& r : l.rows) {
    runs.push_back({{"va", Hex(r.va)}, {"size", Hex(r.size)}, {"pa", Hex(r.pa)}, {"page_size", Hex(r.page_size)},
                    {"flags", r.flags}, {"type", r.type}});
  }
  nlohmann::json anomalies = nlohmann::json::array();
  for (const emu::Anomaly& a : l.summary.anomalies) {
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
  return {{"runs", runs},
          {"regions", regions},
          {"mtrr_spans", spans},
          {"leaves", {{"4k", l.summary.leaves[0]}, {"2m", l.summary.leaves[1]}, {"1g", l.summary.leaves[2]}}},
          {"tables", {{"pml5", l.summary.tables[5]}, {"pml4", l.summary.tables[4]}, {"pdpt", l.summary.tables[3]}, {"pd", l.summary.tables[2]},
                      {"pt", l.summary.tables[1]}}},
          {"anomalies", anomalies},
          {"anomaly_count", l.summary.anomaly_count}};
}

// Rows and summary of an enumeration result (IA-32e or EPT); to_row converts one run.
template <class Result, class ToRow>
Listing MakeListing(Result&& r, ToRow to_row) {
  Listing l;
  for (const auto& run : r.runs) l.rows.push_back(to_row(run));
  l.summary = std::move(static_cast<emu::EnumerationSummary&>(r));
  return l;
}

void Setup(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<DumpOptions>();
  AddEmuOptions(app, &o->emu, /*cr3_required=*/false);
  app.add_option("--ept", o->ept, "dump the EPT tree of this EPTP instead of CR3's tables");
  app.add_option("--max-leaves", o->max_leaves, "stop with an error past this many leaf entries");
  app.add_flag("--follow-shared", o->follow_shared, "walk a table again each time it is referenced");
  app.add_option("--map", o->map_file,
                 "a map file (maps/SCHEMA.md): totals per region kind, and large pages spanning MTRR types");
  app.callback([o, exit_code] {
    const bool ept = !o->ept.empty();
    if (ept == !o->emu.cr3.empty()) {
      *exit_code = BadInput("dump needs exactly one of --cr3 or --ept");
      return;
    }
    uint64_t root_reg = 0;
    if (!emu::ParseAddress(ept ? o->ept : o->emu.cr3, &root_reg)) {
      *exit_code = BadInput(std::string(ept ? "--ept" : "--cr3") + ": not an address: '" +
                            (ept ? o->ept : o->emu.cr3) + "'");
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
    std::string error;
    if (!emu::LoadImages(o->emu.images, &mem, &error, &segs)) {
      *exit_code = BadInput(error);
      return;
    }
    uint64_t root = root_reg & emu::ia32e::AddrMask(maxphy);
    if (!InsideImages(segs, root) || (root_reg & emu::ia32e::RsvdAbovePhys(maxphy)) != 0) {
      *exit_code = BadInput(std::string(ept ? "--ept " : "--cr3 ") + Hex(root_reg) + " is outside every image segment");
      return;
    }
    emu::EnumerateOptions eo;
    eo.max_leaves = o->max_leaves;
    eo.follow_shared = o->follow_shared;
    Listing l;
    if (ept) {
      emu::EptState s;
      s.eptp = root_reg;
      s.maxphyaddr = maxphy;
      l = MakeListing(emu::EnumerateEpt(mem, s, eo), [](const emu::EptRun& run) {
        return Row{run.gpa, run.size, run.hpa, run.page_size, EptFlags(run), std::string(map::MemTypeName(run.mem_type))};
      });
    } else {
      emu::CpuState cpu;
      cpu.cr3 = root_reg;
      cpu.cr4_la57 = o->emu.la57;
      cpu.maxphyaddr = maxphy;
      cpu.efer_nxe = !o->emu.no_nxe;
      l = MakeListing(emu::Enumerate(mem, cpu, eo), [](const emu::Run& run) {
        return Row{run.va, run.size, run.pa, run.page_size, Ia32eFlags(run), std::string(map::MemTypeName(run.pat_type))};
      });
    }
    if (!l.summary.ok) {
      *exit_code = BadInput(std::string(ept ? "--ept " : "--cr3 ") + Hex(root_reg) + ": " + l.summary.error);
      return;
    }
    if (!o->map_file.empty()) {
      AddRegionTotals(map::Normalize(memory_map), &l);
      if (memory_map.mtrr) FindMtrrSpans(*memory_map.mtrr, maxphy, &l);
    }
    std::ostringstream out;
    if (o->emu.json) {
      out << ToJson(l).dump(2) << "\n";
    } else {
      PrintText(l, ept, out);
    }
    std::cout << out.str();
    *exit_code = l.summary.anomaly_count == 0 && l.mtrr_spans.empty() ? kExitOk : kExitFound;
  });
}

const bool registered = RegisterCommand(
    "dump", "list every mapping of page tables (or EPT) in memory images: runs, totals, anomalies", &Setup);

}  // namespace
}  // namespace bootmap::cli
