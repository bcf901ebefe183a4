#include "tools/bootmap/replay_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "sim/verify/from_build.h"

namespace bootmap::cli {

std::string Hex(uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", width, static_cast<unsigned long long>(v));
  return buf;
}

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
  host.layout_file = options.layout_file;
  host.map_source = options.map_source;
  host.paging = options.paging;
  host.seed = options.seed;
  const int runs = std::max(1, options.runs);
  for (int run = 0; run < runs; ++run) {
    auto mem = std::make_unique<emu::PhysMem>(m.cpu.maxphyaddr);
    if (progress) progress->Begin("building tables (run " + std::to_string(run + 1) + " of " + std::to_string(runs) + ")");
    const auto t0 = std::chrono::steady_clock::now();
    core::host::BuildResult b = core::host::BuildTables(m, host, mem.get());
    const auto t1 = std::chrono::steady_clock::now();
    if (progress) progress->End(b.totals.leaves[0] + b.totals.leaves[1] + b.totals.leaves[2]);
    if (!b.ok) {
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

  if (progress) progress->Begin("verifying");
  const auto t0 = std::chrono::steady_clock::now();
  verify::Input in = verify::FromBuild(m, out.build, out.mem.get(), verify::TransitionRanges(m, host));
  out.report = verify::Verify(in, options.verify);
  const auto t1 = std::chrono::steady_clock::now();
  if (progress) progress->End(out.report.leaf_total());
  out.verify_ns = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
  return out;
}

}  // namespace bootmap::cli
