#include "tools/bootmap/replay_summary.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "tools/bootmap/command.h"

namespace bootmap::cli {
namespace {

using ojson = nlohmann::ordered_json;

struct Line {
  std::string map, status, error;  // status: verified, violations, not-built, bad-input
  verify::Report report;
  uint64_t build_ns = 0;
};

Line ReplayOne(const std::string& file, ReplayOptions options, const std::string& paging, const std::string& loader) {
  Line line;
  line.map = file;
  map::MemoryMap m;
  options.map_source = file;
  if (!ParsePaging(paging, &options.paging, &line.error) ||
      !LoadMapWithLoader(file, loader, &m, &options.assumed_loader, true, &line.error)) {
    line.status = "bad-input";
    return line;
  }
  ReplayResult r = Replay(m, options, nullptr);
  line.build_ns = r.build_ns;
  line.report = std::move(r.report);
  if (r.bad_input || !line.report.error.empty()) {
    line.status = "bad-input";
    line.error = file + ": " + (r.bad_input ? r.error : line.report.error);
  } else if (!r.built) {
    line.status = "not-built";
    line.error = r.error;
  } else {
    line.status = r.verified() ? "verified" : "violations";
    if (!r.complete) line.error = r.error;
  }
  return line;
}

std::string Codes(const std::array<uint64_t, verify::kCodeCount>& by_code) {
  std::string s;
  for (int c = 0; c < verify::kCodeCount; ++c) {
    if (by_code[c]) s += (s.empty() ? "" : ",") + std::string(verify::CodeName(verify::Code(c))) + " " + std::to_string(by_code[c]);
  }
  return s;
}

void PrintHuman(const std::vector<Line>& lines, double seconds) {
  std::array<uint64_t, verify::kCodeCount> codes{};
  size_t verified = 0;
  int64_t gap = 0;
  uint64_t build_ns = 0;
  int w = 3;
  for (const Line& l : lines) w = std::max(w, int(l.map.size()));
  std::printf("%-*s %-10s %6s %12s %12s  %s\n", w, "map", "verdict", "gap", "build us", "mem types", "violations / why");
  for (const Line& l : lines) {
    const bool ran = l.status == "verified" || l.status == "violations";
    std::printf("%-*s %-10s %6lld %12.1f %12s  %s\n", w, l.map.c_str(), l.status.c_str(),
                ran ? (long long)l.report.leaf_gap : 0LL, l.build_ns / 1e3, ran ? l.report.mem_types.source.c_str() : "-",
                (!l.error.empty() ? l.error : ran && l.report.violation_count == 0 ? "-" : Codes(l.report.by_code)).c_str());
    verified += l.status == "verified";
    gap += ran ? l.report.leaf_gap : 0;
    build_ns += l.build_ns;
    for (int c = 0; c < verify::kCodeCount; ++c) codes[c] += l.report.by_code[c];
  }
  std::printf("total: %zu maps, %zu verified, %zu not; violations: %s; gap %lld; build %.1f us; %.2f s (%.1f maps/s)\n",
              lines.size(), verified, lines.size() - verified, codes == decltype(codes){} ? "none" : Codes(codes).c_str(),
              (long long)gap, build_ns / 1e3, seconds, seconds > 0 ? lines.size() / seconds : 0.0);
}

ojson Json(const std::vector<Line>& lines, double seconds) {
  ojson maps = ojson::array(), codes = ojson::object();
  size_t verified = 0;
  int64_t gap = 0;
  uint64_t build_ns = 0;
  for (const Line& l : lines) {
    ojson o{{"map", l.map}, {"status", l.status}};
    if (!l.error.empty()) o["error"] = l.error;
    if (l.status == "verified" || l.status == "violations") {
      ojson by = ojson::object();
      for (int c = 0; c < verify::kCodeCount; ++c) {
        if (!l.report.by_code[c]) continue;
        const std::string name(verify::CodeName(verify::Code(c)));
        by[name] = l.report.by_code[c];
        codes[name] = codes.value(name, uint64_t{0}) + l.report.by_code[c];
      }
      o["violation_count"] = l.report.violation_count;
      o["violations_by_code"] = by;
      o["leaf_gap"] = l.report.leaf_gap;
      o["table_pages"] = l.report.table_pages;
      o["mem_types"] = l.report.mem_types.source;
      gap += l.report.leaf_gap;
    }
    o["build_ns"] = l.build_ns;
    build_ns += l.build_ns;
    verified += l.status == "verified";
    maps.push_back(o);
  }
  return ojson{{"maps", maps},
               {"totals", {{"maps", lines.size()}, {"verified", verified}, {"not_verified", lines.size() - verified},
                           {"violations_by_code", codes}, {"leaf_gap", gap}, {"build_ns", build_ns},
                           {"seconds", seconds}, {"maps_per_second", seconds > 0 ? lines.size() / seconds : 0.0}}}};
}

}  // namespace

int RunReplaySummary(const std::vector<std::string>& maps, const ReplayOptions& options, const std::string& paging,
                     const std::string& loader, bool json) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Line> lines;
  lines.reserve(maps.size());
  for (const std::string& m : maps) lines.push_back(ReplayOne(m, options, paging, loader));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (json) {
    std::cout << Json(lines, seconds).dump(2) << "\n";
  } else {
    PrintHuman(lines, seconds);
  }
  for (const Line& l : lines) {
    if (l.status != "verified") return kExitFound;
  }
  return kExitOk;
}

}  // namespace bootmap::cli
