#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tools/bootmap/run_for_test.h"

namespace bootmap::cli {
namespace {

using nlohmann::json;
using testing::RunBootmap;

constexpr const char* kOvmf = "maps/real/qemu-7.2-q35-epyc-4g-ovmf-efi.json";

std::string Temp(const std::string& name) {
  return std::string(::testing::TempDir()) + "/verify" + std::to_string(::getpid()) + "_" + name;
}

constexpr const char* kCorePat = " --pat 0x0407050600070106";  // the IA32_PAT bootmap's builder assumes

// The root table `bootmap build` reports.
std::string Root(const std::string& build_out) {
  const size_t at = build_out.find("root table ");
  return at == std::string::npos ? "" : build_out.substr(at + 11, build_out.find(' ', at + 11) - at - 11);
}

// Tables written by `bootmap build --image` (an ELF core) verify against the same profile and
// fail against another.
TEST(VerifyCommand, BuiltImageRoundTrip) {
  const std::string img = Temp("t.elf");
  auto b = RunBootmap(std::string("build ") + kOvmf + " --image '" + img + "'");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string args = std::string("verify --map ") + kOvmf + " --image '" + img + "' --cr3 " + Root(b.out) + kCorePat;
  auto r = RunBootmap(args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verified"), std::string::npos);
  r = RunBootmap(args + " --profile linux --json");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_GT(json::parse(r.out)["violations_by_code"].value("unexpected-mapping", 0), 0);
  std::remove(img.c_str());
}

// Read with the power-on PAT, the builder's WC framebuffer entries mean WT: wrong-memtype.
TEST(VerifyCommand, PatMatters) {
  const std::string img = Temp("t3.elf");
  const std::string map = "maps/synthetic/uefi-fragmented-300.json";  // has a framebuffer (WC)
  auto b = RunBootmap("build " + map + " --image '" + img + "'");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string args = "verify --map " + map + " --image '" + img + "' --cr3 " + Root(b.out) + " --json";
  EXPECT_EQ(json::parse(RunBootmap(args + kCorePat).out)["violations_by_code"].value("wrong-memtype", 0), 0);
  auto r = RunBootmap(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_GT(json::parse(r.out)["violations_by_code"].value("wrong-memtype", 0), 0) << r.out;
  std::remove(img.c_str());
}

// One flipped address bit in a 2 MiB leaf inside the image is found as wrong-pa.
TEST(VerifyCommand, PlantedFaultInImage) {
  const std::string img = Temp("t2.elf");
  auto b = RunBootmap(std::string("build ") + kOvmf + " --image '" + img + "'");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  std::string bytes = testing::Slurp(img);
  uint64_t phoff, data;
  std::memcpy(&phoff, bytes.data() + 32, 8);         // e_phoff
  std::memcpy(&data, bytes.data() + phoff + 8, 8);  // first PT_LOAD p_offset
  bool flipped = false;
  for (size_t at = data; at + 8 <= bytes.size() && !flipped; at += 8) {
    uint64_t e;
    std::memcpy(&e, bytes.data() + at, 8);
    if ((e & 1) && (e & 0x80) && ((e >> 21) & 0x1ff) != 0) {  // a present 2 MiB leaf
      e ^= uint64_t{1} << 22;
      std::memcpy(bytes.data() + at, &e, 8);
      flipped = true;
    }
  }
  ASSERT_TRUE(flipped);
  std::ofstream(img, std::ios::binary) << bytes;
  auto r = RunBootmap(std::string("verify --map ") + kOvmf + " --image '" + img + "' --cr3 " + Root(b.out) + kCorePat +
                      " --json");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(json::parse(r.out)["violations_by_code"].value("wrong-pa", 0), 1) << r.out;
  std::remove(img.c_str());
}

// Bad input exits 2 with nothing on stdout: missing image, raw image without --cr3, bad --cr3.
TEST(VerifyCommand, BadInput) {
  auto r = RunBootmap(std::string("verify --map ") + kOvmf + " --image /nonexistent@0x1000 --cr3 0x1000");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("/nonexistent"), std::string::npos) << r.err;
  const std::string raw = Temp("empty.raw");
  std::ofstream(raw) << std::string(4096, '\0');
  EXPECT_EQ(RunBootmap(std::string("verify --map ") + kOvmf + " --image '" + raw + "@0x1000'").exit_code, 2);  // no --cr3
  EXPECT_EQ(RunBootmap(std::string("verify --map ") + kOvmf + " --image '" + raw + "@0x1000' --cr3 zz").exit_code, 2);
  // Empty tables: every expected byte is unmapped (exit 1, not a crash).
  r = RunBootmap(std::string("verify --map ") + kOvmf + " --image '" + raw + "@0x1000' --cr3 0x1000 --json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_GT(json::parse(r.out)["violations_by_code"].value("unmapped", 0), 0);
  std::remove(raw.c_str());
}

}  // namespace
}  // namespace bootmap::cli
