// bootmap compare MAP [--profiles a,b,c] [--runs N] [--json]
// Side by side for several profiles (default: all): leaves per page size, table pages, build
// time, verdict; one line per profile, the cheapest verified build marked.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <sstream>
#include <utility>

#include "sim/core/host/layout.h"
#include "sim/io/map_json.h"
#include "sim/map/format.h"
#include "tools/bootmap/command.h"
#include "tools/bootmap/replay_pipeline.h"

namespace bootmap::cli {
namespace {

using ojson = nlohmann::ordered_json;

struct Args {
  std::string map_file;
  std::vector<std::string> profiles;
  std::string paging;
  int runs = 1;
  bool json = false;
  std::string loader;
};

struct Row {
  std::string profile;
  ReplayResult r;
};

// The best rows: the spec's verdict first (verified and complete: a profile that leaves out
// RAM, EFI runtime regions or a window is incomplete, never best), then fewest table pages,
// then fewest leaves; rows equal on both are tied, in table order.
std::vector<int> Best(const std::vector<Row>& rows) {
  auto key = [](const verify::Report& x) { return std::pair(x.table_pages, x.leaf_total()); };
  std::vector<int> best;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].r.verified()) continue;
    if (!best.empty() && key(rows[best[0]].r.report) < key(rows[i].r.report)) continue;
    if (!best.empty() && key(rows[i].r.report) < key(rows[best[0]].r.report)) best.clear();
    best.push_back(int(i));
  }
  return best;
}

std::string Verdict(const ReplayResult& r) {
  if (!r.built) return "build failed";
  const auto& by = r.report.by_code;
  const bool incomplete = by[int(verify::Code::kRamUnmapped)] || by[int(verify::Code::kEfiRuntimeUnmapped)] ||
                          by[int(verify::Code::kWindowLeftOut)] || by[int(verify::Code::kTransitionBroken)];
  std::string v = r.report.verified ? "verified"
                                    : std::string(incomplete ? "incomplete, " : "") +
                                          std::to_string(r.report.violation_count) + " violations";
  if (!r.report.verified) {
    std::string codes;
    for (int c = 0; c < verify::kCodeCount; ++c)
      if (r.report.by_code[c]) codes += (codes.empty() ? "" : ",") + std::string(verify::CodeName(verify::Code(c)));
    v += " (" + codes + ")";
  }
  if (!r.complete) v += "; windows left out";
  return v;
}

std::string Table(const std::string& file, const std::vector<Row>& rows, const std::vector<int>& best, bool color) {
  std::ostringstream o;
  char line[512];
  o << file << "\n";
  std::snprintf(line, sizeof line, "  %-16s %-6s %12s %8s %6s %10s %12s %12s  %s\n", "profile", "paging", "4K", "2M",
                "1G", "tables", "table bytes", "build us", "verdict");
  o << line;
  for (size_t i = 0; i < rows.size(); ++i) {
    const ReplayResult& r = rows[i].r;
    const verify::Report& v = r.report;
    const bool is_best = std::find(best.begin(), best.end(), int(i)) != best.end();
    if (!r.built) {
      std::snprintf(line, sizeof line, "  %-16s %-6s %12s %8s %6s %10s %12s %12s  build failed: %s\n",
                    rows[i].profile.c_str(), "-", "-", "-", "-", "-", "-", "-", r.error.c_str());
    } else {
      std::snprintf(line, sizeof line, "%s %-16s %-6s %12llu %8llu %6llu %10llu %12s %12.1f  %s\n", is_best ? "*" : " ",
                    rows[i].profile.c_str(), PagingArg(r.build.paging), (unsigned long long)v.leaves[0],
                    (unsigned long long)v.leaves[1], (unsigned long long)v.leaves[2],
                    (unsigned long long)v.table_pages, map::HumanSize(v.table_pages * 4096).c_str(), r.build_ns / 1e3,
                    Verdict(r).c_str());
    }
    o << (is_best && color ? "\033[1m" : "") << line << (is_best && color ? "\033[0m" : "");
  }
  if (best.empty()) {
    o << "no profile verified\n";
    return o.str();
  }
  o << "* best: ";
  for (size_t i = 0; i < best.size(); ++i) o << (i ? ", " : "") << rows[best[i]].profile;
  const verify::Report& b = rows[best[0]].r.report;
  o << " (verified, fewest table pages: " << b.table_pages << ", then fewest leaves: " << b.leaf_total()
    << (best.size() > 1 ? "; tied" : "") << ")\n";
  return o.str();
}

int Run(const Args& a) {
  std::vector<std::string> profiles = a.profiles;
  if (profiles.empty())
    for (std::string_view p : core::host::ProfileNames()) profiles.emplace_back(p);
  for (const std::string& p : profiles) {
    core::host::HostLayout probe;
    if (!core::host::LoadProfile(p, &probe)) return BadInput("--profiles: unknown profile \"" + p + "\"");
  }
  ReplayOptions o;
  o.runs = a.runs;
  map::MemoryMap m;
  if (int rc = LoadReplayInput(a.map_file, a.paging, &m, &o, a.loader); rc != kExitOk) return rc;
  std::vector<Row> rows;
  Progress progress;
  for (const std::string& p : profiles) {
    o.profile = p;
    Row row{p, Replay(m, o, &progress)};
    row.r.mem.reset();  // tables are not kept across profiles
    if (row.r.bad_input) return BadInput(a.map_file + " (" + p + "): " + row.r.error);
    rows.push_back(std::move(row));
  }
  const std::vector<int> best = Best(rows);
  if (a.json) {
    ojson j;
    j["map"] = a.map_file;
    j["best"] = best.empty() ? ojson(nullptr) : ojson(rows[best[0]].profile);
    ojson tied = ojson::array();
    for (int i : best) tied.push_back(rows[i].profile);
    j["tied_best"] = tied;
    ojson list = ojson::array();
    for (const Row& row : rows) {
      ojson x;
      x["profile"] = row.profile;
      x["built"] = row.r.built;
      if (!row.r.error.empty()) x["error"] = row.r.error;
      x["paging"] = PagingArg(row.r.build.paging);
      AddReportJson(row.r.report, &x);
      x["verified"] = row.r.verified();
      x["build_ns"] = row.r.build_ns;
      list.push_back(x);
    }
    j["profiles"] = list;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << Table(a.map_file, rows, best, ::isatty(1) != 0);
  }
  return kExitOk;
}

void Setup(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<Args>();
  app.add_option("map", a->map_file, "map file (maps/SCHEMA.md)")->required();
  app.add_option("--profiles", a->profiles, "comma-separated profiles (default: all)")->delimiter(',');
  app.add_option("--paging", a->paging, "4, 5, ept or ept5 for every profile (default: each profile's own, else 5 if the map's CPU has LA57, else 4)");
  app.add_option("--runs", a->runs, "builds to time per profile (median)")->check(CLI::Range(1, 1000));
  app.add_option("--loader", a->loader, kLoaderHelp);
  app.add_flag("--json", a->json, "one JSON object");
  app.callback([a, exit_code] { *exit_code = Run(*a); });
}

const bool registered = RegisterCommand("compare", "compare the profiles' cost and verdict on one map", &Setup);

}  // namespace
}  // namespace bootmap::cli
