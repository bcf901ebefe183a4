#include "tools/bootmap/replay_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

#include "sim/io/json_util.h"
#include "sim/io/map_json.h"
#include "sim/map/loader.h"
#include "sim/verify/from_build.h"
#include "tools/bootmap/command.h"

namespace bootmap::cli {

bool ParsePaging(const std::string& text, std::optional<core::Paging>* out, std::string* why) {
  if (text.empty()) return true;
  if (text == "4") *out = core::Paging::kX86Level4;
  else if (text == "5") *out = core::Paging::kX86Level5;
  else if (text == "ept") *out = core::Paging::kEptLevel4;
  else if (text == "ept5") *out = core::Paging::kEptLevel5;
  else {
    *why = "--paging: expected 4, 5, ept or ept5, got \"" + text + "\"";
    return false;
  }
  return true;
}

const char* PagingArg(core::Paging p) { return verify::FormatName(verify::FormatOf(p)); }

const char* PagingName(core::Paging p) {
  switch (p) {
    case core::Paging::kX86Level4: return "IA-32e 4-level";
    case core::Paging::kX86Level5: return "IA-32e 5-level";
    case core::Paging::kEptLevel4: return "EPT 4-level";
    case core::Paging::kEptLevel5: return "EPT 5-level";
  }
  return "?";
}

ReplayResult Replay(const map::MemoryMap& m, const ReplayOptions& options, Progress* progress) {
  ReplayResult out;
  core::host::HostOptions host;
  host.profile = options.profile;
  if (!options.layout_file.empty()) {  // parsed once for all runs, not inside the timed builds
    auto layout = std::make_shared<core::host::HostLayout>();
    if (std::string e = core::host::LoadLayoutFile(options.layout_file, layout.get()); !e.empty()) {
      out.bad_input = true;
      out.error = std::move(e);
      return out;
    }
    host.layout = std::move(layout);
  }
  host.map_source = options.map_source;
  host.paging = options.paging;
  host.seed = options.seed;
  if (progress) host.progress = {[](void* p, uint64_t leaves) { static_cast<Progress*>(p)->Set(leaves); }, progress};
  const int runs = std::max(1, options.runs);
  for (int run = 0; run < runs; ++run) {
    auto mem = std::make_unique<emu::PhysMem>(m.cpu.maxphyaddr);
    if (progress) progress->Begin("building tables (run " + std::to_string(run + 1) + " of " + std::to_string(runs) + ")");
    const auto t0 = std::chrono::steady_clock::now();
    core::host::BuildResult b = core::host::BuildTables(m, host, mem.get());
    const auto t1 = std::chrono::steady_clock::now();
    if (progress) progress->End(b.totals.leaves[0] + b.totals.leaves[1] + b.totals.leaves[2]);
    if (!b.built) {
      out.bad_input = b.bad_input;
      out.error = b.error;
      out.build = std::move(b);
      return out;
    }
    out.build_ns_runs.push_back(uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
    out.build = std::move(b);
    out.mem = std::move(mem);
  }
  std::vector<uint64_t> sorted = out.build_ns_runs;
  std::sort(sorted.begin(), sorted.end());
  out.build_ns = sorted[sorted.size() / 2];
  out.built = true;
  out.complete = out.build.ok;
  if (!out.complete) out.error = out.build.error;

  if (progress) progress->Begin("verifying");
  const auto t0 = std::chrono::steady_clock::now();
  verify::Input in = verify::FromBuild(m, out.build, out.mem.get());
  out.report = verify::Verify(in, options.verify);
  const auto t1 = std::chrono::steady_clock::now();
  if (progress) progress->End(out.report.leaf_total());
  out.verify_ns = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
  if (!options.assumed_loader.empty()) out.assumptions.push_back(options.assumed_loader);
  out.assumptions.insert(out.assumptions.end(), out.report.assumptions.begin(), out.report.assumptions.end());
  out.plan_vs_spec = verify::PlanVersusSpec(out.build, out.report);
  return out;
}

bool LoadMapWithLoader(const std::string& map_file, const std::string& loader, map::MemoryMap* m,
                       std::string* assumed, bool assume_default, std::string* error) {
  std::optional<map::LoaderFootprint> given;
  if (loader == "none") assume_default = false;
  else if (!loader.empty()) {
    const size_t colon = loader.find(':');
    map::LoaderFootprint f;
    std::string why;
    if (colon == std::string::npos || !io::ParseU64Text(loader.substr(0, colon), false, &f.base, &why) ||
        !io::ParseU64Text(loader.substr(colon + 1), true, &f.size, &why))
      return *error = "--loader \"" + loader + "\": expected BASE:SIZE such as 0x100000:2MiB" +
                      (why.empty() ? "" : " (" + why + ")"), false;
    given = f;
  }
  io::LoadResult loaded = io::LoadMapFile(map_file, m);
  if (!loaded.ok) return *error = loaded.error, false;
  if (!given && !assume_default) return true;
  std::string why;
  *assumed = map::AddLoaderFootprint(m, given, &why);
  if (!why.empty()) return *error = map_file + ": " + why, false;
  return true;
}

int LoadMapWithLoader(const std::string& map_file, const std::string& loader, map::MemoryMap* m,
                      std::string* assumed, bool assume_default) {
  std::string error;
  return LoadMapWithLoader(map_file, loader, m, assumed, assume_default, &error) ? kExitOk : BadInput(error);
}

int LoadReplayInput(const std::string& map_file, const std::string& paging, map::MemoryMap* m, ReplayOptions* o,
                    const std::string& loader) {
  o->map_source = map_file;
  std::string why;
  if (!ParsePaging(paging, &o->paging, &why)) return BadInput(why);
  return LoadMapWithLoader(map_file, loader, m, &o->assumed_loader);
}

std::string VerdictText(const verify::Report& v) {
  std::ostringstream o;
  if (v.verified && v.scope) {
    o << "verified in the checked ranges: every expected byte there translates as asked, nothing else is mapped there\n";
    return o.str();
  }
  if (v.verified) {
    o << "verified: every expected byte translates as asked, nothing else is mapped\n";
    return o.str();
  }
  if (!v.error.empty()) {
    o << "NOT VERIFIED: " << v.error << "\n";
    return o.str();
  }
  o << "NOT VERIFIED: " << v.violation_count << " violation" << (v.violation_count == 1 ? "" : "s") << " (";
  bool first = true;
  for (int c = 0; c < verify::kCodeCount; ++c) {
    if (!v.by_code[c]) continue;
    o << (first ? "" : ", ") << verify::CodeName(verify::Code(c)) << " " << v.by_code[c];
    first = false;
  }
  o << ")\n";
  for (const verify::Violation& x : v.violations) o << "  " << verify::CodeName(x.code) << ": " << x.message << "\n";
  if (v.violation_count > v.violations.size()) o << "  ... and " << v.violation_count - v.violations.size() << " more\n";
  return o.str();
}

void AddReportJson(const verify::Report& r, nlohmann::ordered_json* out) {
  using ojson = nlohmann::ordered_json;
  ojson& j = *out;
  auto leaves = [](const std::array<uint64_t, 3>& l) { return ojson{{"4k", l[0]}, {"2m", l[1]}, {"1g", l[2]}}; };
  j["verified"] = r.verified;
  ojson v = ojson::array();
  for (const verify::Violation& x : r.violations) {
    ojson o = {{"code", verify::CodeName(x.code)}, {"message", x.message}};
    o["va"] = x.has_va ? ojson(Hex(x.va)) : ojson(nullptr);  // the canonical address, or none
    o["pa"] = Hex(x.pa);
    o["size"] = Hex(x.size);
    v.push_back(std::move(o));
  }
  j["violations"] = v;
  j["violation_count"] = r.violation_count;
  ojson by = ojson::object();
  for (int c = 0; c < verify::kCodeCount; ++c)
    if (r.by_code[c]) by[std::string(verify::CodeName(verify::Code(c)))] = r.by_code[c];
  j["violations_by_code"] = by;
  j["leaves"] = leaves(r.leaves);
  j["minimal_leaves"] = leaves(r.minimal_leaves);
  j["leaf_gap"] = r.leaf_gap;
  ojson assumed = ojson::object();
  for (int c = 0; c < verify::kCodeCount; ++c)
    if (r.assumed_by_code[c]) assumed[std::string(verify::CodeName(verify::Code(c)))] = r.assumed_by_code[c];
  j["assumed_by_code"] = assumed;
  j["assumptions"] = r.assumptions;
  j["mem_types"] = ojson{{"source", r.mem_types.source}, {"text", r.mem_types.text}};
  j["table_pages"] = r.table_pages;
  j["minimal_table_pages"] = r.minimal_table_pages;
  j["table_bytes"] = r.table_pages * 4096;
  j["spot_walks"] = r.walks;
}

}  // namespace bootmap::cli
