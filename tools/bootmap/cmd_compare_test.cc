#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tools/bootmap/run_for_test.h"

namespace bootmap::cli {
namespace {

using nlohmann::json;
using testing::RunBootmap;

constexpr const char* kQemu = "maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json";

// One line per profile, the default marked best; the legacy profiles' violations are listed.
TEST(Compare, TableMarksBest) {
  auto r = RunBootmap(std::string("compare ") + kQemu + " --profiles bootmap,limine,bootloader-0.11");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("* bootmap "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  limine "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  bootloader-0.11 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("large-page-spans-types"), std::string::npos) << r.out;  // limine's 1 GiB pages
  // No MTRRs in the map: cacheable-non-ram rests on an assumption and is not a violation.
  EXPECT_EQ(r.out.find("cacheable-non-ram"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("* best: bootmap"), std::string::npos) << r.out;
}

// --json: one entry per profile with the replay fields, and the best named.
TEST(Compare, Json) {
  auto r = RunBootmap(std::string("compare ") + kQemu + " --profiles bootmap,xen,limine --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["profiles"].size(), 3u);
  EXPECT_EQ(j["profiles"][1]["profile"], "xen");
  EXPECT_TRUE(j["profiles"][0]["verified"].get<bool>());
  EXPECT_FALSE(j["profiles"][2]["verified"].get<bool>());
  EXPECT_GT(j["profiles"][2]["leaves"]["1g"].get<int>(), 0);
  // The best is a verified profile with the fewest table pages.
  uint64_t fewest = ~uint64_t{0};
  for (const json& p : j["profiles"])
    if (p["verified"].get<bool>()) fewest = std::min(fewest, p["table_pages"].get<uint64_t>());
  bool found = false;
  for (const json& p : j["profiles"])
    if (p["profile"] == j["best"]) found = p["verified"].get<bool>() && p["table_pages"].get<uint64_t>() == fewest;
  EXPECT_TRUE(found) << r.out;
  // xen leaves page 0 (usable RAM) out: incomplete, never best, though it has fewer leaves.
  EXPECT_EQ(j["best"], "bootmap");
  EXPECT_EQ(j["tied_best"], json::array({"bootmap"})) << r.out;
  EXPECT_EQ(j["profiles"][1]["violations_by_code"].value("ram-unmapped", 0), 1) << r.out;
}

// An incomplete profile is never best, whatever it costs; equal rows are tied and named together.
TEST(Compare, IncompleteNeverBestTiesNamed) {
  auto r = RunBootmap(std::string("compare ") + kQemu + " --profiles xen,bootmap,bootmap");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  xen "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("incomplete"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("* bootmap "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("* best: bootmap, bootmap (verified, fewest table pages: 10, then fewest leaves: 2430; tied)"),
            std::string::npos)
      << r.out;
}

// Unknown profiles and maps are bad input.
TEST(Compare, BadInput) {
  auto r = RunBootmap(std::string("compare ") + kQemu + " --profiles bootmap,nosuch");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("nosuch"), std::string::npos);
  EXPECT_EQ(RunBootmap("compare /nonexistent.json").exit_code, 2);
}

}  // namespace
}  // namespace bootmap::cli
