// bootmap build MAP [--profile P | --layout FILE] [--paging 4|5|ept|ept5] [--seed N]
//                   [--ceiling ADDR] [--image OUT]
// --image writes the table frames as an ELF core (sim/core/host/image.h).
// Runs the production core on a map: per window the virtual range, leaves per page
// size and table frames; totals; the output memory map with the table frames marked.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "sim/core/host/build.h"
#include "sim/core/host/image.h"
#include "sim/core/host/layout.h"
#include "sim/io/json_util.h"
#include "sim/io/map_json.h"
#include "tools/bootmap/command.h"
#include "tools/bootmap/replay_pipeline.h"

namespace bootmap::cli {
namespace {

struct BuildOptions {
  std::string map_file;
  std::string profile;
  std::string layout_file;
  std::string paging;
  std::string seed = "0";
  std::string ceiling;
  std::string image;
  std::string loader;
};

std::string Report(const core::host::BuildResult& r, const std::string& file, uint64_t seed) {
  std::ostringstream o;
  char line[256];
  o << file << ": profile " << (r.profile.empty() ? "(custom layout)" : r.profile) << ", "
    << PagingName(r.paging) << " (" << r.paging_reason << "), seed " << seed << "\n";
  o << "root table " << Hex(r.root_pa) << (core::IsEpt(r.paging) ? " (EPTP)" : " (CR3)")
    << ", IA32_PAT " << Hex(r.pat_msr, 16) << "\n";
  std::snprintf(line, sizeof line, "%-18s %-9s %-39s %-31s %9s %7s %5s %7s\n", "window", "placement",
                "virtual range", "physical extent", "4K", "2M", "1G", "tables");
  o << line;
  for (const auto& w : r.windows) {
    if (w.empty) {
      std::snprintf(line, sizeof line, "%-18s %-9s %s\n", w.name.c_str(), w.placement.c_str(),
                    w.error.empty() ? "(selects nothing)" : "(left out: see the error)");
    } else {
      const std::string va = Hex(w.place.va_lo, 16) + "-" + Hex(w.place.va_hi - 1, 16);
      const std::string pa = Hex(w.place.pa_lo, 12) + "-" + Hex(w.place.pa_hi - 1, 12);
      std::snprintf(line, sizeof line, "%-18s %-9s %-39s %-31s %9llu %7llu %5llu %7llu\n", w.name.c_str(),
                    w.placement.c_str(), va.c_str(), pa.c_str(),
                    (unsigned long long)w.counts.leaves[0], (unsigned long long)w.counts.leaves[1],
                    (unsigned long long)w.counts.leaves[2], (unsigned long long)w.counts.tables);
    }
    o << line;
  }
  std::snprintf(line, sizeof line, "%-18s %-9s %-39s %-31s %9llu %7llu %5llu %7llu\n", "total", "", "", "",
                (unsigned long long)r.totals.leaves[0], (unsigned long long)r.totals.leaves[1],
                (unsigned long long)r.totals.leaves[2], (unsigned long long)r.totals.tables);
  o << line;
  o << "table frames: " << r.table_frames.size() << " (" << r.table_frames.size() * 4
    << " KiB, the root included), " << r.requests.size() << " map requests\n";
  o << "output memory map:\n";
  for (const auto& region : r.output_map) {
    std::snprintf(line, sizeof line, "  %s-%s %.*s\n", Hex(region.base, 12).c_str(),
                  Hex(region.base + region.size - 1, 12).c_str(), int(region.kind.size()), region.kind.data());
    o << line;
  }
  return o.str();
}

void Setup(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<BuildOptions>();
  app.add_option("map", opts->map_file, "map file (maps/SCHEMA.md)")->required();
  std::string profiles;
  for (std::string_view p : core::host::ProfileNames()) profiles += (profiles.empty() ? "" : ", ") + std::string(p);
  auto* profile = app.add_option("--profile", opts->profile, "named layout: " + profiles + " (maps/PROFILES.md)");
  app.add_option("--layout", opts->layout_file, "layout JSON file (maps/PROFILES.md)")->excludes(profile);
  app.add_option("--paging", opts->paging, "4, 5, ept or ept5 (default: the layout's or profile's own, else 5 if the map's CPU has LA57, else 4)");
  app.add_option("--seed", opts->seed, "randomise automatic offsets (0: lowest free slots)");
  app.add_option("--ceiling", opts->ceiling, "table frames must lie below this address");
  app.add_option("--loader", opts->loader, kLoaderHelp);
  app.add_option("--image", opts->image,
                 "write the table frames as an ELF core for `walk`/`dump --image OUT --cr3 ROOT`");
  app.callback([opts, exit_code] {
    core::host::HostOptions o;
    o.profile = opts->profile;
    o.layout_file = opts->layout_file;
    o.map_source = opts->map_file;
    std::string why;
    if (!io::ReadU64(io::Json(opts->seed), false, &o.seed, &why)) {
      *exit_code = BadInput("--seed: " + why);
      return;
    }
    if (!opts->ceiling.empty() && !io::ReadU64(io::Json(opts->ceiling), true, &o.frame_ceiling, &why)) {
      *exit_code = BadInput("--ceiling: " + why);
      return;
    }
    if (!opts->paging.empty()) {
      if (opts->paging == "4") o.paging = core::Paging::kX86Level4;
      else if (opts->paging == "5") o.paging = core::Paging::kX86Level5;
      else if (opts->paging == "ept") o.paging = core::Paging::kEptLevel4;
      else if (opts->paging == "ept5") o.paging = core::Paging::kEptLevel5;
      else {
        *exit_code = BadInput("--paging: expected 4, 5, ept or ept5, got \"" + opts->paging + "\"");
        return;
      }
    }
    map::MemoryMap m;
    std::string assumed;
    if (int rc = LoadMapWithLoader(opts->map_file, opts->loader, &m, &assumed); rc != kExitOk) {
      *exit_code = rc;
      return;
    }

    emu::PhysMem mem(m.cpu.maxphyaddr);
    core::host::BuildResult r = core::host::BuildTables(m, o, &mem);
    if (!r.built) {
      std::cerr << "bootmap: " << opts->map_file << ": " << r.error << "\n";
      *exit_code = r.bad_input ? kExitBadInput : kExitFound;
      return;
    }
    const std::string report =
        (assumed.empty() ? "" : "assumed: " + assumed + "\n") + Report(r, opts->map_file, o.seed);
    if (!opts->image.empty()) {
      const std::string bytes = core::host::EncodeTablesCore(r.table_frames, mem, core::host::CpuStateOf(r));
      std::ofstream out(opts->image, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), std::streamsize(bytes.size()));
      out.close();
      if (!out) {
        *exit_code = BadInput(opts->image + ": cannot write the image");
        return;
      }
    }
    std::cout << report;
    // Built, but some windows could not be placed: say so, exit 1.
    for (const auto& w : r.windows)
      if (!w.error.empty()) std::cerr << "bootmap: " << opts->map_file << ": " << w.error << "\n";
    *exit_code = r.ok ? kExitOk : kExitFound;
  });
}

const bool registered = RegisterCommand("build", "build page tables for a map with the production core", &Setup);

}  // namespace
}  // namespace bootmap::cli
