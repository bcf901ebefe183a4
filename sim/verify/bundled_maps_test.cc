// Every bundled map x every profile x every paging mode, built by the production core and
// checked by the verifier. Builds needing more than kFrameLimit table frames (the legacy
// 4 KiB profiles on large maps) stop cleanly in the core and are skipped here; bootloader-0.10
// runs only with BOOTMAP_SLOW_TESTS=1 and is measured in bench/verify_bench.cc.
// BOOTMAP_TIMES=1 prints builds slower than 300 ms.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "sim/core/host/build.h"
#include "sim/core/host/layout.h"
#include "sim/io/map_json.h"
#include "sim/verify/from_build.h"
#include "sim/verify/verify.h"

namespace bootmap::verify {
namespace {

constexpr uint64_t kFrameLimit = 1 << 13;  // 32 MiB of tables

std::vector<std::string> BundledMaps() {
  const char* root = std::getenv("BOOTMAP_ROOT");
  std::vector<std::string> out;
  for (const char* dir : {"/maps/real", "/maps/synthetic"})
    for (const auto& e : std::filesystem::directory_iterator(std::string(root ? root : ".") + dir))
      if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string Codes(const Report& r) {
  std::string s;
  for (int c = 0; c < kCodeCount; ++c)
    if (r.by_code[c]) s += std::string(CodeName(Code(c))) + "=" + std::to_string(r.by_code[c]) + " ";
  for (const Violation& v : r.violations) s += "\n  " + std::string(CodeName(v.code)) + ": " + v.message;
  return s;
}

// Codes that mean the builder did not do what the plan asked (never acceptable from the core).
constexpr Code kBuilderFaults[] = {Code::kUnmapped,        Code::kWrongPa,          Code::kUnexpected,
                                   Code::kWrongWritable,   Code::kWrongUser,        Code::kWrongExec,
                                   Code::kWrongMemType,    Code::kReservedBits,     Code::kTableOutsideRam,
                                   Code::kTableOverlapsUsed, Code::kTableOverlapsFramebuffer, Code::kTableOnFirmwareMemory, Code::kTableShared,
                                   Code::kTableUnreported, Code::kLeavesNotMinimal, Code::kTablesNotMinimal,
                                   Code::kSpotWalkMismatch, Code::kEnumerationFailed};

// The core's tables match its plan everywhere (no builder fault, no gap); the default profile verifies.
TEST(BundledMaps, EveryProfileAndPaging) {
  int built = 0, skipped = 0;
  for (const std::string& file : BundledMaps()) {
    map::MemoryMap m;
    io::LoadResult loaded = io::LoadMapFile(file, &m);
    ASSERT_TRUE(loaded.ok) << loaded.error;
    const std::string base = std::filesystem::path(file).filename().string();
    for (std::string_view profile : core::host::ProfileNames()) {
      // The legacy 4 KiB identity map of everything: even sizing it takes seconds (2^28 .. 2^40 leaves).
      if (profile == "bootloader-0.10" && !std::getenv("BOOTMAP_SLOW_TESTS")) continue;
      for (std::optional<core::Paging> paging :
           {std::optional<core::Paging>(), std::optional(core::Paging::kX86Level4), std::optional(core::Paging::kX86Level5),
            std::optional(core::Paging::kEptLevel4), std::optional(core::Paging::kEptLevel5)}) {
        core::host::HostOptions o;
        o.profile = std::string(profile);
        o.paging = paging;
        o.max_table_frames = kFrameLimit;
        emu::PhysMem mem(m.cpu.maxphyaddr);
        const auto t0 = std::chrono::steady_clock::now();
        const core::host::BuildResult b = core::host::BuildTables(m, o, &mem);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (std::getenv("BOOTMAP_TIMES") && ms > 300) fprintf(stderr, "%s %s %s: build %.0f ms %s\n", file.c_str(), o.profile.c_str(), paging ? FormatName(FormatOf(*paging)) : "-", ms, b.error.c_str());
        const std::string what = base + " " + o.profile + " paging " + (paging ? FormatName(FormatOf(*paging)) : "default");
        if (!b.built) {
          ++skipped;
          EXPECT_FALSE(b.error.empty()) << what;
          continue;
        }
        ++built;
        const Report r = Verify(FromBuild(m, b, &mem));
        ASSERT_TRUE(r.error.empty()) << what << ": " << r.error;
        for (Code c : kBuilderFaults) EXPECT_EQ(r.by_code[int(c)], 0u) << what << ": " << CodeName(c) << Codes(r);
        // Large pages across type boundaries (a profile's choice, reported) undercut the minimum.
        if (r.by_code[int(Code::kLargePageSpansTypes)] == 0) {
          EXPECT_EQ(r.leaves, r.minimal_leaves) << what;
        } else {
          EXPECT_LE(r.leaf_total(), r.minimal_total()) << what;
        }
        if (profile == core::host::kDefaultProfile && !paging && b.ok) {
          EXPECT_TRUE(r.verified) << what << Codes(r);
        }
      }
    }
  }
  EXPECT_GT(built, 40);
  RecordProperty("built", built);
  RecordProperty("skipped", skipped);
}

}  // namespace
}  // namespace bootmap::verify
