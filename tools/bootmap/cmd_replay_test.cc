#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "tools/bootmap/run_for_test.h"

namespace bootmap::cli {
namespace {

using nlohmann::json;
using testing::RunBootmap;

// A JSON Schema subset (type (one or a list), enum, required, properties, items, additionalProperties, minimum,
// pattern, $ref to #/$defs) — enough to hold replay --json to tools/bootmap/replay.schema.json.
void Validate(const json& schema, const json& root, const json& v, const std::string& at, std::vector<std::string>* errs) {
  const json& s = schema.contains("$ref")
                      ? root["$defs"][schema["$ref"].get<std::string>().substr(std::string("#/$defs/").size())]
                      : schema;
  if (s.contains("type")) {
    const json types = s["type"].is_array() ? s["type"] : json::array({s["type"]});
    bool ok = false;
    for (const json& type : types) {
      const std::string t = type;
      ok |= (t == "object" && v.is_object()) || (t == "array" && v.is_array()) || (t == "string" && v.is_string()) ||
            (t == "boolean" && v.is_boolean()) || (t == "integer" && v.is_number_integer()) ||
            (t == "null" && v.is_null());
    }
    if (!ok) return errs->push_back(at + ": expected " + types.dump() + ", got " + v.dump());
  }
  if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
    errs->push_back(at + ": " + v.dump() + " is not one of " + s["enum"].dump());
  if (s.contains("minimum") && v.is_number_integer() && v.get<int64_t>() < s["minimum"].get<int64_t>())
    errs->push_back(at + ": below minimum");
  if (s.contains("pattern") && v.is_string() && !std::regex_match(v.get<std::string>(), std::regex(s["pattern"].get<std::string>())))
    errs->push_back(at + ": " + v.dump() + " does not match " + s["pattern"].get<std::string>());
  if (s.contains("required"))
    for (const auto& k : s["required"])
      if (!v.contains(k.get<std::string>())) errs->push_back(at + ": missing \"" + k.get<std::string>() + "\"");
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (s.contains("properties") && s["properties"].contains(it.key()))
        Validate(s["properties"][it.key()], root, it.value(), at + "/" + it.key(), errs);
      else if (s.contains("additionalProperties") && s["additionalProperties"].is_object())
        Validate(s["additionalProperties"], root, it.value(), at + "/" + it.key(), errs);
    }
  }
  if (v.is_array() && s.contains("items"))
    for (size_t i = 0; i < v.size(); ++i) Validate(s["items"], root, v[i], at + "/" + std::to_string(i), errs);
}

std::vector<std::string> SchemaErrors(const std::string& text) {
  const json schema = json::parse(testing::Slurp(testing::Root() + "/tools/bootmap/replay.schema.json"));
  const json v = json::parse(text, nullptr, false);
  if (v.is_discarded()) return {"not JSON: " + text.substr(0, 200)};
  std::vector<std::string> errs;
  Validate(schema, schema, v, "", &errs);
  return errs;
}

constexpr const char* kQemu = "maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json";

// The default profile on the QEMU AMD-hole map verifies with no gap; the table names each window.
TEST(Replay, DefaultProfileVerifies) {
  auto r = RunBootmap(std::string("replay ") + kQemu + " --runs 2");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("profile bootmap, IA-32e 4-level"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("direct-map"), std::string::npos);
  EXPECT_NE(r.out.find("gap 0"), std::string::npos);
  EXPECT_NE(r.out.find("of 2 runs"), std::string::npos);
  EXPECT_NE(r.out.find("verified: every expected byte"), std::string::npos);
  EXPECT_TRUE(r.err.empty()) << r.err;  // no progress line when stderr is not a terminal
}

// replay --json follows the documented schema, for a verified and a violating replay.
TEST(Replay, JsonFollowsSchema) {
  for (const char* profile : {"bootmap", "limine", "ept-identity"}) {
    auto r = RunBootmap(std::string("replay ") + kQemu + " --runs 1 --json --profile " + profile);
    const auto errs = SchemaErrors(r.out);
    EXPECT_TRUE(errs.empty()) << profile << ": " << ::testing::PrintToString(errs);
    const json j = json::parse(r.out);
    EXPECT_EQ(j["profile"], profile);
    EXPECT_EQ(r.exit_code, j["verified"].get<bool>() ? 0 : 1);
  }
}

// The schema check itself fails on a broken object (so the test above can fail).
TEST(Replay, SchemaCheckRejectsBrokenObjects) {
  EXPECT_FALSE(SchemaErrors(R"({"map": "x"})").empty());
  auto r = RunBootmap(std::string("replay ") + kQemu + " --runs 1 --json");
  json j = json::parse(r.out);
  j["leaves"]["4k"] = "many";
  EXPECT_FALSE(SchemaErrors(j.dump()).empty());
  j = json::parse(r.out);
  j["root"] = "4096";
  EXPECT_FALSE(SchemaErrors(j.dump()).empty());
}

// Limine's 1 GiB pages over reserved space are reported with their codes; exit 1.
TEST(Replay, LegacyProfileReportsItsViolations) {
  auto r = RunBootmap(std::string("replay ") + kQemu + " --runs 1 --json --profile limine");
  EXPECT_EQ(r.exit_code, 1);
  const json j = json::parse(r.out);
  EXPECT_FALSE(j["verified"].get<bool>());
  // No MTRRs in the map: cacheable-non-ram is an assumed verdict, counted apart and said so.
  EXPECT_FALSE(j["violations_by_code"].contains("cacheable-non-ram"));
  EXPECT_GT(j["assumed_by_code"]["cacheable-non-ram"].get<int>(), 0);
  EXPECT_NE(j["assumptions"].dump().find("no MTRRs given"), std::string::npos);
  EXPECT_GT(j["violations_by_code"]["large-page-spans-types"].get<int>(), 0);
  EXPECT_EQ(j["violations"][0]["code"].get<std::string>().find_first_not_of("abcdefghijklmnopqrstuvwxyz-"),
            std::string::npos);
}

// Every bundled map replays with the default profile and paging; the ones that build verify with no gap.
TEST(Replay, EveryBundledMapDefault) {
  std::vector<std::string> maps;
  for (const char* dir : {"maps/real", "maps/synthetic"})
    for (const auto& e : std::filesystem::directory_iterator(testing::Root() + "/" + dir))
      if (e.path().extension() == ".json") maps.push_back(std::string(dir) + "/" + e.path().filename().string());
  ASSERT_GE(maps.size(), 6u);
  for (const std::string& m : maps) {
    auto r = RunBootmap("replay " + m + " --runs 1 --json");
    ASSERT_NE(r.exit_code, 2) << m << r.err;
    const json j = json::parse(r.out);
    EXPECT_TRUE(SchemaErrors(r.out).empty()) << m;
    EXPECT_FALSE(j.contains("error")) << m << ": " << j.value("error", "");
    EXPECT_EQ(j["leaf_gap"], 0) << m;
    EXPECT_EQ(j["table_pages"], j["minimal_table_pages"]) << m;
    EXPECT_EQ(j["violations_by_code"].value("unmapped", 0), 0) << m;
    EXPECT_EQ(j["violations_by_code"].value("unexpected-mapping", 0), 0) << m;
  }
}

// Bad input exits 2 with nothing on stdout.
TEST(Replay, BadInput) {
  auto r = RunBootmap(std::string("replay ") + kQemu + " --profile nosuch");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("unknown profile \"nosuch\""), std::string::npos) << r.err;
  r = RunBootmap("replay /nonexistent.json --json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(RunBootmap(std::string("replay ") + kQemu + " --paging 6").exit_code, 2);
  EXPECT_EQ(RunBootmap("replay").exit_code, 2);
}

// Default paging follows the CPU: near-2p52's CPU has LA57, so its 4 PiB direct map is
// built with 5-level paging and verifies; the first line says which format and why.
TEST(Replay, DefaultPagingFollowsTheCpu) {
  auto r = RunBootmap("replay maps/synthetic/near-2p52.json --runs 1");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("IA-32e 5-level (the map's CPU has LA57), seed 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verified: every expected byte"), std::string::npos) << r.out;
  r = RunBootmap(std::string("replay ") + kQemu + " --runs 1 --json");
  EXPECT_EQ(json::parse(r.out)["paging_reason"], "the map's CPU has no LA57");
  r = RunBootmap("replay maps/synthetic/near-2p52.json --runs 1 --json --paging 4");
  EXPECT_EQ(json::parse(r.out)["paging_reason"], "--paging");
  r = RunBootmap(std::string("replay ") + kQemu + " --runs 1 --json --profile ept-identity");
  EXPECT_EQ(json::parse(r.out)["paging_reason"], "the profile's own");
}

// A map file for one test, removed when it goes out of scope.
struct TempMap {
  std::string path;
  explicit TempMap(const std::string& text)
      : path(std::string(::testing::TempDir()) + "/bootmap_map" + std::to_string(::getpid()) + ".json") {
    std::ofstream(path) << text;
  }
  ~TempMap() { std::remove(path.c_str()); }
};

// EPT leaves follow the map's cpu.ept facts (IA32_VMX_EPT_VPID_CAP): without 1 GiB EPT
// pages the build has none and the verifier's minimum has none either (gap 0, verified),
// though CPUID's page1gb is true; 5-level EPT without walk length 5 is bad input.
TEST(Replay, EptCapabilitiesFromTheMap) {
  const TempMap map(R"({"format": "bootmap-map/1", "name": "ept", "origin": "test",
      "cpu": {"maxphyaddr": 40, "page1gb": true, "ept": {"page1gb": false, "five_level": false}},
      "e820": [{"base": "0x0", "size": "0x9f000", "type": "usable"},
               {"base": "0x100000", "size": "0xbff00000", "type": "usable"}]})");
  auto r = RunBootmap("replay " + map.path + " --runs 1 --json --profile ept-identity");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["leaves"]["1g"], 0);
  EXPECT_EQ(j["minimal_leaves"]["1g"], 0);
  EXPECT_GT(j["leaves"]["2m"].get<int>(), 0);
  EXPECT_EQ(j["leaf_gap"], 0);
  r = RunBootmap("replay " + map.path + " --runs 1 --profile ept-identity --paging ept5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find(map.path + ": 5-level EPT needs page-walk length 5 (IA32_VMX_EPT_VPID_CAP bit 7"),
            std::string::npos) << r.err;
}

// A build that cannot be placed (4 PiB direct map, 4-level) exits 1 and says why.
TEST(Replay, BuildFailureExitsOne) {
  auto r = RunBootmap("replay maps/synthetic/near-2p52.json --runs 1 --paging 4");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE((r.out + r.err).find("PML4 slots"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace bootmap::cli
