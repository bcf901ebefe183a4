// bootmap render MAP [--profile P | --layout FILE] [--vs Q] [--paging ...] -o out.svg
// Replays the map (build + verify, replay_pipeline.h) and draws the physical address space,
// page sizes, table frames, every violation at its range and the virtual layout
// (render_svg.h); with --vs, a second profile's panel beside the first.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

#include "tools/bootmap/command.h"
#include "tools/bootmap/render_svg.h"
#include "tools/bootmap/replay_pipeline.h"

namespace bootmap::cli {
namespace {

struct Args {
  std::string map_file, profile, layout_file, vs, paging, out;
};

// Bad output path, found before any build: a missing directory, a directory, no write permission.
std::string OutputProblem(const std::string& out) {
  if (out == "-") return "";
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(out);
  if (fs::is_directory(p, ec)) return out + ": cannot write: it is a directory";
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  if (!fs::is_directory(dir, ec)) return out + ": cannot write: no directory " + dir.string();
  if (::access(dir.c_str(), W_OK) != 0 || (fs::exists(p, ec) && ::access(p.c_str(), W_OK) != 0))
    return out + ": cannot write: permission denied";
  return "";
}

int Write(const std::string& out, const std::string& svg) {
  if (out == "-") {
    std::cout << svg;
    return kExitOk;
  }
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << svg;
  f.close();
  if (f) return kExitOk;
  std::remove(out.c_str());  // no partial picture
  return BadInput(out + ": cannot write");
}

int Run(const Args& a) {
  if (const std::string why = OutputProblem(a.out); !why.empty()) return BadInput(why);
  ReplayOptions o;
  o.profile = a.profile;
  o.layout_file = a.layout_file;
  o.verify.max_listed = render::kMaxMarks;  // every drawn mark needs its range
  map::MemoryMap m;
  if (int rc = LoadReplayInput(a.map_file, a.paging, &m, &o); rc != kExitOk) return rc;
  std::vector<ReplayResult> results;
  for (int side = 0; side < (a.vs.empty() ? 1 : 2); ++side) {
    if (side == 1) {
      o.profile = a.vs;
      o.layout_file.clear();
    }
    Progress progress;
    results.push_back(Replay(m, o, &progress));
    const ReplayResult& r = results.back();
    if (r.bad_input) return BadInput(a.map_file + ": " + r.error);
    if (!r.built) {
      std::cerr << "bootmap: " << a.map_file << ": the build failed: " << r.error << "\n";
      return kExitFound;
    }
  }
  std::vector<const ReplayResult*> panels;
  bool verified = true;
  for (const ReplayResult& r : results) {
    panels.push_back(&r);
    verified = verified && r.verified();
  }
  if (int rc = Write(a.out, render::Svg(a.map_file, m, panels)); rc != kExitOk) return rc;
  return verified ? kExitOk : kExitFound;
}

void Setup(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<Args>();
  app.add_option("map", a->map_file, "map file (maps/SCHEMA.md)")->required();
  auto* profile = app.add_option("--profile", a->profile, "named layout (maps/PROFILES.md)");
  app.add_option("--layout", a->layout_file, "layout JSON file")->excludes(profile);
  app.add_option("--vs", a->vs, "a second named profile, drawn beside the first");
  app.add_option("--paging", a->paging, "4, 5, ept or ept5 (default: the layout's or profile's own, else 5 if the map's CPU has LA57, else 4)");
  app.add_option("-o,--output", a->out, "SVG file to write (- for stdout)")->required();
  app.footer("Exit 0: every profile drawn verified; 1: violations (drawn); 2: bad input (no file written).");
  app.callback([a, exit_code] { *exit_code = Run(*a); });
}

const bool registered = RegisterCommand(
    "render", "draw the physical address space, page sizes, table frames, violations and virtual layout as SVG",
    &Setup);

}  // namespace
}  // namespace bootmap::cli
