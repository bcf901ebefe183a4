// Memory-type sources in replay and verify output, and replay MAP... --summary.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tools/bootmap/run_for_test.h"
#include "tools/bootmap/schema_for_test.h"

namespace bootmap::cli {
namespace {

using nlohmann::json;
using testing::RunBootmap;

constexpr const char* kQemu = "maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json";
constexpr const char* kMtrrTrim = "maps/synthetic/mtrr-trim.json";

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The QEMU map with `mtrr` added, written to a temporary file.
std::string WithMtrr(const std::string& tag, const json& mtrr) {
  json m = json::parse(testing::Slurp(testing::Root() + "/" + kQemu));
  m["mtrr"] = mtrr;
  const std::string path = std::string(::testing::TempDir()) + "/mtrr-" + tag + "-" + std::to_string(::getpid()) + ".json";
  std::ofstream(path) << m.dump();
  return path;
}

// Every verdict says where its memory types come from: the map's MTRRs or the assumption.
TEST(MemTypes, ReplaySaysTheSource) {
  auto r = RunBootmap(std::string("replay ") + kQemu);
  EXPECT_TRUE(Has(r.out, "\nmemory types: assumed (the map has no MTRRs: PAT types alone, MTRRs WB everywhere)\n"))
      << r.out;
  r = RunBootmap(std::string("replay ") + kMtrrTrim);
  EXPECT_TRUE(Has(r.out, "\nmemory types: from the map's MTRRs (default UC, 0 fixed, ")) << r.out;
  EXPECT_EQ(json::parse(RunBootmap(std::string("replay --json ") + kMtrrTrim).out)["mem_types"]["source"], "mtrr");
  EXPECT_EQ(json::parse(RunBootmap(std::string("replay --json ") + kQemu).out)["mem_types"]["source"], "assumed");
  EXPECT_EQ(json::parse(RunBootmap(std::string("replay --json --paging ept ") + kQemu).out)["mem_types"]["source"],
            "ept");
}

// verify over tables built elsewhere says the same: no MTRRs in the map, the types are assumed;
// the synthetic map with MTRRs, from the map's MTRRs.
TEST(MemTypes, VerifySaysTheSource) {
  for (const std::string map : {kQemu, kMtrrTrim}) {
    const std::string img = std::string(::testing::TempDir()) + "/memtypes-" + std::to_string(::getpid()) + ".elf";
    const auto b = RunBootmap("build " + map + " --image '" + img + "'");
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const size_t at = b.out.find("root table ");
    ASSERT_NE(at, std::string::npos) << b.out;
    const std::string cr3 = b.out.substr(at + 11, b.out.find(' ', at + 11) - at - 11);
    const std::string args = "verify --map " + map + " --image '" + img + "' --cr3 " + cr3 + " --pat 0x0407050600070106";
    const auto r = RunBootmap(args);
    const bool mtrr = map == kMtrrTrim;
    EXPECT_TRUE(Has(r.out, mtrr ? "\nmemory types: from the map's MTRRs (default UC" : "\nmemory types: assumed (")) << r.out;
    EXPECT_EQ(json::parse(RunBootmap(args + " --json").out)["mem_types"]["source"], mtrr ? "mtrr" : "assumed");
    std::remove(img.c_str());
  }
}

// MTRRs whose default and fixed ranges are unknown (/proc/mtrr): a cacheable-non-ram finding is an
// assumption where the unknown part decides, a violation where a real variable range does.
TEST(MemTypes, PartlyUnknownMtrrsSplitTheFindings) {
  const json wb4g = {{"base", "0x0"}, {"mask", "0xff00000000"}, {"type", "WB"}};  // [0, 4 GiB) under 40 bits
  struct Case {
    std::string tag;
    json mtrr;
    int violations, assumed;
    const char* source;
  } cases[] = {
      {"none", {{"default", "unknown"}, {"fixed", "unknown"}}, 0, 10, "mtrr-partial"},
      {"wb4g", {{"default", "unknown"}, {"fixed", "unknown"}, {"variable", {wb4g}}}, 7, 3, "mtrr-partial"},
      {"known", {{"default", "UC"}, {"variable", {wb4g}}}, 10, 0, "mtrr"},
  };
  for (const Case& c : cases) {
    const std::string map = WithMtrr(c.tag, c.mtrr);
    const auto r = RunBootmap("replay --profile limine --json '" + map + "'");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["violations_by_code"].value("cacheable-non-ram", 0), c.violations) << c.tag;
    EXPECT_EQ(j["assumed_by_code"].value("cacheable-non-ram", 0), c.assumed) << c.tag;
    EXPECT_EQ(j["mem_types"]["source"], c.source) << c.tag;
    const auto human = RunBootmap("replay --profile limine '" + map + "'");
    if (c.assumed) {
      EXPECT_TRUE(Has(human.out, "assumed: the map's MTRRs leave the default type and fixed ranges unknown: WB "
                                 "assumed where they decide; " + std::to_string(c.assumed) + " cacheable-non-ram"))
          << human.out;
    }
    // The canonical form keeps "unknown".
    const auto check = RunBootmap("check --json '" + map + "'");
    EXPECT_EQ(Has(check.out, "\"default\": \"unknown\", \"fixed\": \"unknown\""), c.tag != "known") << check.out;
    std::remove(map.c_str());
  }
}

// One line per map and the totals; exit 0 only when all verify.
TEST(ReplaySummary, LinesAndTotals) {
  auto r = RunBootmap(std::string("replay --summary --runs 1 ") + kQemu + " " + kMtrrTrim);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, kQemu)) << r.out;
  EXPECT_TRUE(Has(r.out, "total: 2 maps, 2 verified, 0 not; violations: none; gap 0; build ")) << r.out;
  EXPECT_TRUE(Has(r.out, " maps/s)\n")) << r.out;
  // A legacy profile's violations, and a map that does not load: each on its line, summed in the totals.
  const std::string bad = std::string(::testing::TempDir()) + "/bad-" + std::to_string(::getpid()) + ".json";
  std::ofstream(bad) << "{\"format\": \"bootmap-map/1\", \"name\": \"x\", \"e820\": [{\"base\": \"0x0\"}]}";
  r = RunBootmap("replay --summary --runs 1 --profile limine " + std::string(kQemu) + " " + kQemu + " '" + bad + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Has(r.out, "violations   ")) << r.out;
  EXPECT_TRUE(Has(r.out, "large-page-spans-types 2,transition-broken 1\n")) << r.out;
  EXPECT_TRUE(Has(r.out, "bad-input")) << r.out;
  EXPECT_TRUE(Has(r.out, bad + ":/e820/0: missing field \"size\"")) << r.out;
  EXPECT_TRUE(Has(r.out, "total: 3 maps, 0 verified, 3 not; violations: large-page-spans-types 4,transition-broken 2;"))
      << r.out;
  r = RunBootmap("replay --summary --json --runs 1 --profile limine " + std::string(kQemu) + " '" + bad + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(testing::SchemaErrors(r.out, "tools/bootmap/replay-summary.schema.json"), std::vector<std::string>{});
  EXPECT_FALSE(testing::SchemaErrors(R"({"maps": [{"map": "x"}], "totals": {}})",
                                     "tools/bootmap/replay-summary.schema.json")
                   .empty());
  const json j = json::parse(r.out);
  ASSERT_EQ(j["maps"].size(), 2u);
  EXPECT_EQ(j["maps"][0]["status"], "violations");
  EXPECT_EQ(j["maps"][0]["violations_by_code"]["large-page-spans-types"], 2);
  EXPECT_EQ(j["maps"][0]["mem_types"], "assumed");
  EXPECT_EQ(j["maps"][1]["status"], "bad-input");
  EXPECT_EQ(j["totals"]["maps"], 2);
  EXPECT_EQ(j["totals"]["verified"], 0);
  EXPECT_EQ(j["totals"]["violations_by_code"]["transition-broken"], 1);
  EXPECT_GT(j["totals"]["maps_per_second"].get<double>(), 0.0);
  std::remove(bad.c_str());
  // Several maps without --summary, or a bad --paging, are usage errors.
  EXPECT_EQ(RunBootmap(std::string("replay ") + kQemu + " " + kQemu).exit_code, 2);
  EXPECT_EQ(RunBootmap(std::string("replay --summary --paging 6 ") + kQemu).exit_code, 2);
}

}  // namespace
}  // namespace bootmap::cli
