#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "tools/bootmap/run_for_test.h"

namespace bootmap::cli {
namespace {

using testing::RunBootmap;

const std::string kQemu = "maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json";

// build prints each window, the totals and the output map with the table frames.
TEST(Build, QemuDefaultProfile) {
  auto r = RunBootmap("build " + kQemu);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("profile bootmap, IA-32e 4-level (the map's CPU has no LA57), seed 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("direct-map         auto      0xffff800000000000-0xffff80017fffffff"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("page-tables"), std::string::npos);
  EXPECT_TRUE(r.err.empty());
}

// The same seed prints the same; --image writes an ELF core that walk reads back.
TEST(Build, SeedAndImage) {
  const std::string img = std::string(::testing::TempDir()) + "/img" + std::to_string(::getpid());
  auto a = RunBootmap("build " + kQemu + " --seed 7 --image '" + img + "'");
  auto b = RunBootmap("build " + kQemu + " --seed 7");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  const size_t at = a.out.find("root table ");
  ASSERT_NE(at, std::string::npos);
  const std::string root = a.out.substr(at + 11, a.out.find(' ', at + 11) - at - 11);
  const size_t dm = a.out.find("direct-map         auto      ");
  ASSERT_NE(dm, std::string::npos);
  const std::string va = a.out.substr(dm + 29, 18);
  auto w = RunBootmap("walk --image '" + img + "' --cr3 " + root + " --maxphyaddr 40 " + va);
  EXPECT_EQ(w.exit_code, 0) << w.err << w.out;
  EXPECT_NE(w.out.find("=> pa 0x000000000000 (4K page) RW supervisor NX global WB"), std::string::npos) << w.out;
}

// Bad layout: file, pointer and problem; exit 2; nothing on stdout.
TEST(Build, BadLayoutExitsTwo) {
  const std::string layout = std::string(::testing::TempDir()) + "/layout" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream f(layout);
    f << R"({"windows": [{"name": "a", "kinds": "all"}, {"name": "b", "kinds": "all", "max_page": "3 MiB"}]})";
  }
  auto r = RunBootmap("build " + kQemu + " --layout '" + layout + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(layout + ":/windows/1/max_page: expected \"4 KiB\""), std::string::npos) << r.err;
  auto p = RunBootmap("build " + kQemu + " --profile linx");
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_NE(p.err.find("unknown profile \"linx\""), std::string::npos) << p.err;
  auto g = RunBootmap("build " + kQemu + " --paging 6");
  EXPECT_EQ(g.exit_code, 2);
}

// No room for a window: exit 1 with the slots needed and the 5-level hint.
TEST(Build, NoSlotsSuggestsFiveLevel) {
  auto r = RunBootmap("build maps/synthetic/near-2p52.json --paging 4");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("needs 8192 consecutive free PML4 slots"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--paging 5"), std::string::npos);
}

}  // namespace
}  // namespace bootmap::cli
