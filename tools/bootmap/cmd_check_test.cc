#include <gtest/gtest.h>
#include <unistd.h>

#include "sim/io/map_json.h"
#include "tools/bootmap/run_for_test.h"

namespace bootmap::cli {
namespace {

using testing::RunBootmap;

// check prints the normalised table, the totals and each change, and exits 0.
TEST(Check, QemuAmdHoleMap) {
  auto r = RunBootmap("check maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("0x00fd00000000     0x010000000000         12 GiB  reserved"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("highest address of any entry 0x10000000000"), std::string::npos);
  EXPECT_NE(r.out.find("/e820/0 usable [0, 0x9fc00) rounded inward to [0, 0x9f000)"), std::string::npos);
  EXPECT_TRUE(r.err.empty());
}

// Every bundled map is accepted in one call.
TEST(Check, AcceptsEveryBundledMap) {
  auto r = RunBootmap("check maps/real/*.json maps/synthetic/*.json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// --json prints the canonical form, which loads back to the same map.
TEST(Check, JsonIsCanonical) {
  auto r = RunBootmap("check --json maps/synthetic/uefi-fragmented-300.json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  map::MemoryMap a, b;
  ASSERT_TRUE(io::ParseMap(r.out, "out", &a).ok);
  ASSERT_TRUE(io::LoadMapFile(testing::Root() + "/maps/synthetic/uefi-fragmented-300.json", &b).ok);
  EXPECT_EQ(a, b);
}

// Bad input: the message names the file and pointer, exit 2, nothing on stdout even for the good file.
TEST(Check, BadInputExitsTwoWithoutPartialOutput) {
  const std::string bad = std::string(::testing::TempDir()) + "/bad" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream f(bad);
    f << R"({"format": "bootmap-map/1", "name": "x", "e820": [{"base": "0x0", "size": "12Q", "type": "usable"}]})";
  }
  auto r = RunBootmap("check maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json '" + bad + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(bad + ":/e820/0/size: expected a hex string, integer or size like \"4 GiB\", got \"12Q\""),
            std::string::npos)
      << r.err;
  std::remove(bad.c_str());
}

// --normalize linux lets the higher E820 type win an overlap (ACPI 3 over reserved 2);
// the default lets reserved win. Both report the overlap.
TEST(Check, NormalizeLinuxLetsHigherTypeWin) {
  const std::string file = std::string(::testing::TempDir()) + "/overlap" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream f(file);
    f << R"({"format": "bootmap-map/1", "name": "overlap", "e820": [)"
         R"({"base": "0x0", "size": "0x400000", "type": "reserved"},)"
         R"({"base": "0x200000", "size": "0x400000", "type": "acpi"}]})";
  }
  auto by_linux = RunBootmap("check --normalize linux '" + file + "'");
  EXPECT_EQ(by_linux.exit_code, 0) << by_linux.err;
  EXPECT_NE(by_linux.out.find("0x000000000000     0x000000200000          2 MiB  reserved"), std::string::npos)
      << by_linux.out;
  EXPECT_NE(by_linux.out.find("0x000000200000     0x000000600000          4 MiB  acpi"), std::string::npos);
  EXPECT_NE(by_linux.out.find(": acpi wins on [0x200000, 0x400000)"), std::string::npos);
  auto plain = RunBootmap("check '" + file + "'");
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out.find(": reserved wins on [0x200000, 0x400000)"), std::string::npos) << plain.out;
  EXPECT_EQ(RunBootmap("check --normalize default '" + file + "'").out, plain.out);
  std::remove(file.c_str());
}

// An unknown --normalize value is a usage error: exit 2, the allowed values named.
TEST(Check, NormalizeRejectsUnknownRule) {
  auto r = RunBootmap("check --normalize bsd maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("--normalize"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("linux"), std::string::npos) << r.err;
}

// Usage errors exit 2 as well.
TEST(Check, UsageErrors) {
  EXPECT_EQ(RunBootmap("check").exit_code, 2);
  EXPECT_EQ(RunBootmap("nosuchcommand").exit_code, 2);
  EXPECT_EQ(RunBootmap("check /nonexistent.json").exit_code, 2);
}

}  // namespace
}  // namespace bootmap::cli
