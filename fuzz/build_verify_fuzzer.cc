// The whole pipeline on hostile maps: an action stream decodes a memory map (E820 and/or
// EFI, 1..256 entries), CPU facts, optional MTRRs and a layout (a profile or random
// windows); then plan -> size -> build -> verify.
// Findings: a crash, hang or sanitizer report; a build that fails without a message;
// SizeTables disagreeing with the frames the build took; two builds of one input that
// differ in any table byte (checked for one input in four); any verifier violation (or
// refused input) for the default profile; for every profile and random layout, any
// builder-fault code (the tables differ from the specification) and any difference between
// the planner's requests and the specification. Layout-design codes (write-exec,
// cacheable-non-ram, ...) are what legacy profiles and random layouts commit: not findings.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/map_decoder.h"
#include "sim/core/builder.h"
#include "sim/core/host/build.h"
#include "sim/core/host/layout.h"
#include "sim/io/map_json.h"
#include "sim/map/format.h"
#include "sim/verify/from_build.h"
#include "sim/verify/verify.h"

namespace {

using namespace bootmap;

// Codes that mean the core built something other than the specification asks for.
bool BuilderFault(verify::Code c) {
  using verify::Code;
  switch (c) {
    case Code::kUnmapped: case Code::kWrongPa: case Code::kUnexpected: case Code::kWrongWritable:
    case Code::kWrongUser: case Code::kWrongExec: case Code::kWrongMemType: case Code::kReservedBits:
    case Code::kWrongGlobal: case Code::kWrongPkey: case Code::kTableOutsideRam:
    case Code::kTableOverlapsUsed: case Code::kTableOverlapsFramebuffer: case Code::kTableOverlapsTransition:
    case Code::kTableOnFirmwareMemory:
    case Code::kTableShared: case Code::kTableUnreported: case Code::kBadPlacement: case Code::kLeavesNotMinimal:
    case Code::kTablesNotMinimal: case Code::kBelowMinimum: case Code::kSpotWalkMismatch: case Code::kPageOverCap:
      return true;
    default:
      return false;
  }
}

std::string JsonHex(uint64_t v) { return "\"" + map::Hex(v) + "\""; }  // a JSON string

// A layout of 1..4 random windows (maps/PROFILES.md), as JSON text.
std::string RandomLayout(FuzzedDataProvider& fdp) {
  std::string json = "{";
  if (fdp.ConsumeBool()) json += "\"profile\":\"bootmap\",";
  json += "\"windows\":[";
  const int windows = fdp.ConsumeIntegralInRange(1, 4);
  for (int i = 0; i < windows; ++i) {
    json += i ? ",{" : "{";
    json += "\"name\":\"w" + std::to_string(i) + "\"";
    const uint8_t kinds = fdp.ConsumeIntegralInRange<uint8_t>(0, 3);
    if (kinds == 0) json += ",\"kinds\":\"all\"";
    else if (kinds == 1) json += ",\"kinds\":\"ram\"";
    else if (kinds == 2) {
      const uint16_t set = fdp.ConsumeIntegral<uint16_t>();
      json += ",\"kinds\":[";
      bool first = true;
      for (int k = 0; k < kRegionKindCount; ++k) {
        if (!(set & (1u << k))) continue;
        json += std::string(first ? "" : ",") + "\"" + std::string(map::RegionKindName(RegionKind(k))) + "\"";
        first = false;
      }
      json += "]";
    }
    if (fdp.ConsumeBool()) json += ",\"framebuffer\":true";
    if (fdp.ConsumeBool()) json += ",\"used\":true";
    if (fdp.ConsumeBool()) json += ",\"transition\":true";
    if (fdp.ConsumeBool()) json += ",\"min\":" + JsonHex(fdp.ConsumeIntegral<uint64_t>() >> fdp.ConsumeIntegralInRange(0, 63));
    if (fdp.ConsumeBool()) json += ",\"max\":" + JsonHex(fdp.ConsumeIntegral<uint64_t>() >> fdp.ConsumeIntegralInRange(0, 63));
    json += std::string(",\"span\":\"") + fdp.PickValueInArray({"regions", "whole", "whole-to-max"}) + "\"";
    json += std::string(",\"round\":\"") + fdp.PickValueInArray({"4 KiB", "2 MiB", "1 GiB"}) + "\"";
    const char* placement = fdp.PickValueInArray({"identity", "offset", "linear", "auto"});
    json += std::string(",\"placement\":\"") + placement + "\"";
    if (std::strcmp(placement, "offset") == 0 || std::strcmp(placement, "linear") == 0) {
      json += ",\"base\":" + JsonHex(fdp.PickValueInArray<uint64_t>({0xffff888000000000, 0xffffc00000000000,
                                                                 0xffffffff80000000, 0x100000000000,
                                                                 0xff11000000000000}) +
                                 fdp.ConsumeIntegral<uint32_t>() * uint64_t{4096});
    }
    if (std::strcmp(placement, "auto") == 0) json += ",\"max_slots\":" + std::to_string(fdp.ConsumeIntegralInRange(0, 4));
    json += std::string(",\"writable\":") + (fdp.ConsumeBool() ? "true" : "false");
    json += std::string(",\"nx\":") + (fdp.ConsumeBool() ? "true" : "false");
    json += std::string(",\"user\":") + (fdp.ConsumeBool() ? "true" : "false");
    json += std::string(",\"global\":") + (fdp.ConsumeBool() ? "true" : "false");
    json += std::string(",\"type\":\"") + fdp.PickValueInArray({"by-kind", "WB", "WT", "WC", "WP", "UC", "UC-"}) + "\"";
    json += std::string(",\"max_page\":\"") + fdp.PickValueInArray({"4 KiB", "2 MiB", "1 GiB"}) + "\"}";
  }
  json += "]";
  if (fdp.ConsumeBool()) {
    json += ",\"transition\":[{\"base\":" + JsonHex(fdp.ConsumeIntegralInRange<uint64_t>(0, 1 << 20) * 4096) +
            ",\"size\":" + JsonHex(fdp.ConsumeIntegralInRange<uint64_t>(1, 512) * 4096) + "}]";
  }
  return json + "}";
}

core::PhysWindow WindowOf(emu::PhysMem* mem) {
  return {mem, [](void* c, uint64_t pa) {
            return reinterpret_cast<uint64_t*>(static_cast<emu::PhysMem*>(c)->FrameForWrite(pa));
          }};
}

bool SameRequest(const core::MapRequest& a, const core::MapRequest& b) {
  return a.va == b.va && a.pa == b.pa && a.size == b.size && core::SameMapping(a, b) && a.max_level == b.max_level &&
         a.window == b.window;
}

const map::MemoryMap* g_map = nullptr;  // the input being run, printed with a finding

// Prints the finding and the decoded map (as a map file, for `bootmap replay`), then aborts.
[[noreturn]] void Finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "build_verify_fuzzer: %s\n%s\n", what, detail.c_str());
  if (g_map != nullptr) std::fprintf(stderr, "the map:\n%s\n", io::SaveMap(*g_map).c_str());
  std::abort();
}

uint64_t InputHash(const uint8_t* data, size_t size) {  // FNV-1a
  uint64_t h = 0xcbf29ce484222325;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3;
  return h;
}

// A second build of the same input takes the same frames and writes the same bytes.
void CheckDeterministic(const map::MemoryMap& m, const core::host::HostOptions& options,
                        const core::host::BuildResult& b, const emu::PhysMem& mem) {
  emu::PhysMem mem2(m.cpu.maxphyaddr);
  const core::host::BuildResult b2 = core::host::BuildTables(m, options, &mem2);
  if (!b2.built || b2.ok != b.ok || b2.root_pa != b.root_pa || b2.table_frames != b.table_frames ||
      b2.requests.size() != b.requests.size()) {
    Finding("non-deterministic build", b.error + " / " + b2.error);
  }
  for (size_t i = 0; i < b.requests.size(); ++i)
    if (!SameRequest(b.requests[i], b2.requests[i])) Finding("non-deterministic plan", std::to_string(i));
  for (uint64_t pa : b.table_frames) {
    const uint8_t* x = mem.FrameForRead(pa);
    const uint8_t* y = mem2.FrameForRead(pa);
    if ((x == nullptr) != (y == nullptr) || (x && std::memcmp(x, y, emu::kFrameSize) != 0))
      Finding("non-deterministic table bytes", JsonHex(pa));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  map::MemoryMap m = fuzz::DecodeMap(fdp, {});
  // One input in eight builds before ExitBootServices; chosen by hash so the decoding (and
  // every committed input) stays as it was.
  if ((InputHash(data, size) >> 8) % 8 == 0) m.stage = map::Stage::kBeforeExitBootServices;
  core::host::HostOptions options;
  const auto& profiles = core::host::ProfileNames();
  const size_t pick = fdp.ConsumeIntegralInRange<size_t>(0, profiles.size());
  if (pick < profiles.size()) options.profile = std::string(profiles[pick]);
  else m.layout_json = RandomLayout(fdp);
  if (fdp.ConsumeBool()) {
    options.paging = fdp.PickValueInArray({core::Paging::kX86Level4, core::Paging::kX86Level5,
                                           core::Paging::kEptLevel4, core::Paging::kEptLevel5});
  }
  options.seed = fdp.ConsumeIntegralInRange<uint64_t>(0, 3);
  options.max_table_frames = 128;  // bounds every exec: larger layouts fail cleanly
  const bool checked = options.profile == core::host::kDefaultProfile;
  g_map = &m;

  emu::PhysMem mem(m.cpu.maxphyaddr);
  const core::host::BuildResult b = core::host::BuildTables(m, options, &mem);
  if (!b.built) {
    if (b.error.empty()) Finding("build failed without a message", "");
    return 0;
  }
  if (!b.ok && b.error.empty()) Finding("partial build without a message", "");

  // Sizing: the dry run predicts exactly the frames the build took.
  const core::BuildOptions bo = b.build_options;
  emu::PhysMem scratch(m.cpu.maxphyaddr);
  const core::Result<uint64_t> sized =
      core::SizeTables(bo, WindowOf(&scratch), core::kNoRoot, b.requests.data(), b.requests.size());
  if (!sized.ok() || sized.value != b.table_frames.size()) {
    Finding("sized != used", "sized " + std::to_string(sized.value) + " (" + sized.error.reason + "), used " +
                                 std::to_string(b.table_frames.size()));
  }

  // Determinism: a second build writes the same bytes into the same frames. One input in
  // four (chosen by its bytes, so a finding replays) pays for the second build.
  if (InputHash(data, size) % 4 == 0) CheckDeterministic(m, options, b, mem);

  // The oracle: every profile is walked (crash-only); the default one must verify.
  verify::Options vo;
  vo.samples = 16;
  vo.max_boundary_walks = 1024;
  vo.max_listed = 4;
  vo.budgets.max_leaves = uint64_t{1} << 22;
  const verify::Input in = verify::FromBuild(m, b, &mem);
  const verify::Report report = verify::Verify(in, vo);
  if (checked && b.ok && (!report.error.empty() || !report.verified)) {
    std::string detail = report.error;
    for (const verify::Violation& v : report.violations)
      detail += std::string(verify::CodeName(v.code)) + ": " + v.message + "\n";
    for (size_t i = 0; i < b.requests.size() && i < 64; ++i) detail += core::host::DescribeRequest(b, uint32_t(i)) + "\n";
    Finding("the default profile does not verify", detail);
  }
  if (!b.ok || !report.error.empty()) return 0;
  std::string faults;
  for (int c = 0; c < verify::kCodeCount; ++c)
    if (report.by_code[c] && BuilderFault(verify::Code(c)))
      faults += std::string(verify::CodeName(verify::Code(c))) + " " + std::to_string(report.by_code[c]) + "\n";
  for (const std::string& d : verify::PlanVersusSpec(b, report)) faults += "planner vs spec: " + d + "\n";
  if (!faults.empty()) {
    for (const verify::Violation& v : report.violations) faults += std::string(verify::CodeName(v.code)) + ": " + v.message + "\n";
    for (size_t i = 0; i < b.requests.size() && i < 64; ++i) faults += core::host::DescribeRequest(b, uint32_t(i)) + "\n";
    Finding("tables or plan differ from the specification", (b.profile.empty() ? "layout" : b.profile) + "\n" + faults);
  }
  return 0;
}
