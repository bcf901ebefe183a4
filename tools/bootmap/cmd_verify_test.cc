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

// Converts a `build --image` table image (header 64 bytes, then pa u64 + 4096 bytes per frame)
// into one raw image from the first frame to the last; returns the first frame's address.
uint64_t ToRaw(const std::string& table_image, const std::string& raw) {
  const std::string bytes = testing::Slurp(table_image);
  uint64_t first = ~uint64_t{0}, last = 0;
  for (size_t at = 64; at + 8 + 4096 <= bytes.size(); at += 8 + 4096) {
    uint64_t pa;
    std::memcpy(&pa, bytes.data() + at, 8);
    first = std::min(first, pa);
    last = std::max(last, pa);
  }
  std::string out(last + 4096 - first, '\0');
  for (size_t at = 64; at + 8 + 4096 <= bytes.size(); at += 8 + 4096) {
    uint64_t pa;
    std::memcpy(&pa, bytes.data() + at, 8);
    std::memcpy(out.data() + (pa - first), bytes.data() + at + 8, 4096);
  }
  std::ofstream(raw, std::ios::binary) << out;
  return first;
}

std::string HexArg(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
  return b;
}

// Tables written by `bootmap build --image` verify against the same profile, and fail against another.
TEST(VerifyCommand, TableImageRoundTrip) {
  const std::string img = Temp("t.img");
  ASSERT_EQ(RunBootmap(std::string("build ") + kOvmf + " --image '" + img + "'").exit_code, 0);
  auto r = RunBootmap(std::string("verify --map ") + kOvmf + " --image '" + img + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verified"), std::string::npos);
  r = RunBootmap(std::string("verify --map ") + kOvmf + " --image '" + img + "' --profile linux --json");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const json j = json::parse(r.out);
  EXPECT_GT(j["violations_by_code"].value("unexpected-mapping", 0), 0);
  std::remove(img.c_str());
}

// A raw image at an address with --cr3 verifies; one flipped address bit in it is found.
TEST(VerifyCommand, RawImageAndAPlantedFault) {
  const std::string img = Temp("t2.img"), raw = Temp("t2.raw");
  ASSERT_EQ(RunBootmap(std::string("build ") + kOvmf + " --image '" + img + "'").exit_code, 0);
  const uint64_t base = ToRaw(img, raw);
  const std::string args = std::string("verify --map ") + kOvmf + " --image '" + raw + "@" + HexArg(base) +
                           "' --cr3 " + HexArg(base) + " --pat 0x0407050600070106 --json";
  auto r = RunBootmap(args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Flip bit 21 of the first present 2 MiB leaf (PS set) in the raw bytes.
  std::string bytes = testing::Slurp(raw);
  bool flipped = false;
  for (size_t at = 0; at + 8 <= bytes.size() && !flipped; at += 8) {
    uint64_t e;
    std::memcpy(&e, bytes.data() + at, 8);
    if ((e & 1) && (e & 0x80) && ((e >> 21) & 0x1ff) != 0 && at % 4096 != 0) {
      e ^= uint64_t{1} << 22;
      std::memcpy(bytes.data() + at, &e, 8);
      flipped = true;
    }
  }
  ASSERT_TRUE(flipped);
  std::ofstream(raw, std::ios::binary) << bytes;
  r = RunBootmap(args);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(json::parse(r.out)["violations_by_code"].value("wrong-pa", 0), 1) << r.out;
  std::remove(img.c_str());
  std::remove(raw.c_str());
}

// Bad input exits 2 with nothing on stdout: missing image, raw image without --cr3, bad --cr3.
TEST(VerifyCommand, BadInput) {
  auto r = RunBootmap(std::string("verify --map ") + kOvmf + " --image /nonexistent@0x1000 --cr3 0x1000");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("/nonexistent"), std::string::npos) << r.err;
  const std::string raw = Temp("empty.raw");
  std::ofstream(raw) << std::string(4096, '\0');
  EXPECT_EQ(RunBootmap(std::string("verify --map ") + kOvmf + " --image '" + raw + "@0x1000'").exit_code, 2);
  EXPECT_EQ(RunBootmap(std::string("verify --map ") + kOvmf + " --image '" + raw + "@0x1000' --cr3 zz").exit_code, 2);
  // Empty tables: every expected byte is unmapped (exit 1, not a crash).
  r = RunBootmap(std::string("verify --map ") + kOvmf + " --image '" + raw + "@0x1000' --cr3 0x1000 --json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_GT(json::parse(r.out)["violations_by_code"].value("unmapped", 0), 0);
  std::remove(raw.c_str());
}

}  // namespace
}  // namespace bootmap::cli
