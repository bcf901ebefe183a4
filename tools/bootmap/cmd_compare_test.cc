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
  EXPECT_NE(r.out.find("cacheable-non-ram"), std::string::npos) << r.out;
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
  // xen leaves page 0 out (one leaf fewer): both are at their minimum, so they tie.
  EXPECT_EQ(j["best"], "bootmap");
  EXPECT_EQ(j["tied_best"], json::array({"bootmap", "xen"})) << r.out;
}

// Ties are named together; raw leaf counts do not rank profiles that map different things.
TEST(Compare, TiesAreNamed) {
  auto r = RunBootmap(std::string("compare ") + kQemu + " --profiles xen,bootmap,linux");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("* xen "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("* bootmap "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  linux "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("* best: xen, bootmap (verified, fewest table pages: 6, leaves at the proven minimum; tied)"),
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
