// bootmap replay MAP [--profile P | --layout FILE] [--paging 4|5|ept|ept5] [--seed N] [--runs N] [--json]
// bootmap replay MAP... --summary [--json]: one line per map and the totals (replay_summary.h).
// Load, plan, size, build (timed), verify, report. Exit 0 verified, 1 violations, 2 bad input.
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/core/host/layout.h"
#include "sim/io/json_util.h"
#include "sim/io/map_json.h"
#include "sim/map/format.h"
#include "tools/bootmap/command.h"
#include "tools/bootmap/replay_pipeline.h"
#include "tools/bootmap/replay_summary.h"

namespace bootmap::cli {
namespace {

using ojson = nlohmann::ordered_json;

struct Args {
  std::vector<std::string> maps;
  std::string profile, layout_file, paging, seed = "0", loader;
  int runs = 5;
  size_t max_listed = 20;
  bool json = false, summary = false;
};

ojson Leaves(const uint64_t* l) { return ojson{{"4k", l[0]}, {"2m", l[1]}, {"1g", l[2]}}; }

// The replay --json contract (tools/bootmap/replay.schema.json).
ojson ToJson(const std::string& file, const ReplayResult& r) {
  ojson j;
  j["map"] = file;
  j["profile"] = r.build.profile.empty() ? "(layout)" : r.build.profile;
  j["paging"] = PagingArg(r.build.paging);
  j["paging_reason"] = r.build.paging_reason;
  AddReportJson(r.report, &j);
  j["verified"] = r.verified();
  if (!r.error.empty()) j["error"] = r.error;
  j["build_ns"] = r.build_ns;
  j["build_ns_runs"] = r.build_ns_runs;
  j["verify_ns"] = r.verify_ns;
  j["spot_walks"] = r.report.walks;
  j["root"] = Hex(r.build.root_pa);
  ojson windows = ojson::array();
  for (const auto& w : r.build.windows) {
    ojson o{{"name", w.name}, {"placement", w.placement}, {"empty", w.empty}};
    if (!w.error.empty()) o["error"] = w.error;
    if (!w.empty) {
      o["va"] = Hex(w.place.va_lo);
      o["va_end"] = Hex(w.place.va_hi);
      o["pa"] = Hex(w.place.pa_lo);
      o["pa_end"] = Hex(w.place.pa_hi);
    }
    o["leaves"] = Leaves(w.counts.leaves);
    o["table_pages"] = w.counts.tables;
    windows.push_back(o);
  }
  j["windows"] = windows;
  j["assumptions"] = r.assumptions;
  j["plan_vs_spec"] = r.plan_vs_spec;
  return j;
}

std::string Human(const std::string& file, const ReplayResult& r, uint64_t seed) {
  std::ostringstream o;
  char line[320];
  const auto& b = r.build;
  o << file << ": profile " << (b.profile.empty() ? "(custom layout)" : b.profile) << ", " << PagingName(b.paging)
    << " (" << b.paging_reason << "), seed " << seed << "\n";
  std::snprintf(line, sizeof line, "%-18s %-9s %-39s %-29s %10s %7s %5s %7s\n", "window", "placement", "virtual range",
                "physical source", "4K", "2M", "1G", "tables");
  o << line;
  for (const auto& w : b.windows) {
    if (!w.error.empty()) {
      std::snprintf(line, sizeof line, "%-18s %-9s LEFT OUT: %s\n", w.name.c_str(), w.placement.c_str(), w.error.c_str());
    } else if (w.empty) {
      std::snprintf(line, sizeof line, "%-18s %-9s (selects nothing)\n", w.name.c_str(), w.placement.c_str());
    } else {
      const std::string va = Hex(w.place.va_lo, 16) + "-" + Hex(w.place.va_hi - 1, 16);
      const std::string pa = Hex(w.place.pa_lo, 12) + "-" + Hex(w.place.pa_hi - 1, 12);
      std::snprintf(line, sizeof line, "%-18s %-9s %-39s %-29s %10llu %7llu %5llu %7llu\n", w.name.c_str(),
                    w.placement.c_str(), va.c_str(), pa.c_str(), (unsigned long long)w.counts.leaves[0],
                    (unsigned long long)w.counts.leaves[1], (unsigned long long)w.counts.leaves[2],
                    (unsigned long long)w.counts.tables);
    }
    o << line;
  }
  const verify::Report& v = r.report;
  std::snprintf(line, sizeof line, "%-18s %-9s %-39s %-29s %10llu %7llu %5llu %7llu\n", "total (found)", "", "", "",
                (unsigned long long)v.leaves[0], (unsigned long long)v.leaves[1], (unsigned long long)v.leaves[2],
                (unsigned long long)v.table_pages);
  o << line;
  std::snprintf(line, sizeof line, "%-18s %-9s %-39s %-29s %10llu %7llu %5llu %7llu\n", "minimum", "", "", "",
                (unsigned long long)v.minimal_leaves[0], (unsigned long long)v.minimal_leaves[1],
                (unsigned long long)v.minimal_leaves[2], (unsigned long long)v.minimal_table_pages);
  o << line;
  o << "leaves " << v.leaf_total() << ", minimum " << v.minimal_total() << ", gap " << (v.leaf_gap > 0 ? "+" : "")
    << v.leaf_gap << "; table pages "
    << v.table_pages << " (" << map::HumanSize(v.table_pages * 4096) << "), minimum " << v.minimal_table_pages << "\n";
  std::snprintf(line, sizeof line, "build: median %.1f us of %zu runs; verification %.1f us (%llu runs, %llu spot walks)\n",
                r.build_ns / 1e3, r.build_ns_runs.size(), r.verify_ns / 1e3, (unsigned long long)v.runs,
                (unsigned long long)v.walks);
  o << line;
  o << v.mem_types.text << "\n";
  for (const std::string& a : r.assumptions) o << "assumed: " << a << "\n";
  if (r.plan_vs_spec.empty()) o << "planner vs spec: the planner's requests are exactly the specification\n";
  for (const std::string& d : r.plan_vs_spec) o << "planner vs spec: " << d << "\n";
  if (!r.complete) o << "NOT COMPLETE: " << r.error << "\nwhat was built: ";
  o << VerdictText(v);
  return o.str();
}

void Setup(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<Args>();
  app.add_option("map", a->maps, "map file (maps/SCHEMA.md); several with --summary")->required();
  std::string profiles;
  for (std::string_view p : core::host::ProfileNames()) profiles += (profiles.empty() ? "" : ", ") + std::string(p);
  auto* profile = app.add_option("--profile", a->profile, "named layout: " + profiles);
  app.add_option("--layout", a->layout_file, "layout JSON file")->excludes(profile);
  app.add_option("--paging", a->paging, "4, 5, ept or ept5 (default: the layout's or profile's own, else 5 if the map's CPU has LA57, else 4)");
  app.add_option("--seed", a->seed, "randomise automatic offsets (0: lowest free slots)");
  app.add_option("--runs", a->runs, "builds to time (median reported)")->check(CLI::Range(1, 1000));
  app.add_option("--max-listed", a->max_listed, "violations listed (all are counted)");
  app.add_option("--loader", a->loader, kLoaderHelp);
  app.add_flag("--json", a->json, "one JSON object (tools/bootmap/replay.schema.json)");
  app.add_flag("--summary", a->summary,
               "one line per map and the totals (verified, violations by code, gap, build time, maps/s); "
               "exit 0 only when every map verifies; with --json: tools/bootmap/replay-summary.schema.json");
  app.callback([a, exit_code] {
    ReplayOptions o;
    o.profile = a->profile;
    o.layout_file = a->layout_file;
    o.runs = a->runs;
    o.verify.max_listed = a->max_listed;
    std::string why;
    if (!io::ReadU64(io::Json(a->seed), false, &o.seed, &why)) {
      *exit_code = BadInput("--seed: " + why);
      return;
    }
    if (a->summary) {
      std::optional<core::Paging> paging;
      if (!ParsePaging(a->paging, &paging, &why)) {
        *exit_code = BadInput(why);
        return;
      }
      *exit_code = RunReplaySummary(a->maps, o, a->paging, a->loader, a->json);
      return;
    }
    if (a->maps.size() != 1) {
      *exit_code = BadInput("replay takes one map; several need --summary");
      return;
    }
    const std::string& map_file = a->maps.front();
    map::MemoryMap m;
    if (int rc = LoadReplayInput(map_file, a->paging, &m, &o, a->loader); rc != kExitOk) {
      *exit_code = rc;
      return;
    }
    Progress progress;
    ReplayResult r = Replay(m, o, &progress);
    if (r.bad_input) {
      *exit_code = BadInput(map_file + ": " + r.error);
      return;
    }
    if (!r.report.error.empty()) {
      *exit_code = BadInput(map_file + ": " + r.report.error);
      return;
    }
    if (a->json) {
      std::cout << ToJson(map_file, r).dump(2) << "\n";
    } else if (!r.built) {
      std::cerr << "bootmap: " << map_file << ": the build failed: " << r.error << "\n";
    } else {
      std::cout << Human(map_file, r, o.seed);
    }
    *exit_code = r.verified() ? kExitOk : kExitFound;
  });
}

const bool registered =
    RegisterCommand("replay", "build a map's tables with a profile, verify every translation, report the cost", &Setup);

}  // namespace
}  // namespace bootmap::cli
