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

// The image records the PAT (and CR3) its tables assume, so a round trip needs no flags; read
// with the power-on PAT instead, the builder's WC framebuffer entries mean WT: wrong-memtype.
TEST(VerifyCommand, PatMatters) {
  const std::string img = Temp("t3.elf");
  const std::string map = "maps/synthetic/uefi-fragmented-300.json";  // has a framebuffer (WC)
  auto b = RunBootmap("build " + map + " --image '" + img + "'");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string args = "verify --map " + map + " --image '" + img + "' --json";
  auto r = RunBootmap(args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(json::parse(r.out)["cpu_source"].get<std::string>().find("BOOTMAP note"), std::string::npos) << r.out;
  r = RunBootmap(args + " --pat 0x0007040600070406");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_GT(json::parse(r.out)["violations_by_code"].value("wrong-memtype", 0), 0) << r.out;
  // --cr4 with SMEP and --efer without NXE are taken: NX leaves read as reserved bits.
  r = RunBootmap(args + " --efer 0x500");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_GT(json::parse(r.out)["violations_by_code"].value("reserved-bits", 0), 0) << r.out;
  std::remove(img.c_str());
}

// Flips one address bit in the first present 2 MiB leaf of an ELF core `bootmap build` wrote.
void FlipA2MiBLeaf(const std::string& img) {
  std::string bytes = testing::Slurp(img);
  uint64_t phoff, data = 0;
  uint16_t phnum;
  std::memcpy(&phoff, bytes.data() + 32, 8);  // e_phoff
  std::memcpy(&phnum, bytes.data() + 56, 2);  // e_phnum
  for (uint16_t i = 0; i < phnum && data == 0; ++i) {
    uint32_t type;
    std::memcpy(&type, bytes.data() + phoff + 56 * i, 4);
    if (type == 1) std::memcpy(&data, bytes.data() + phoff + 56 * i + 8, 8);  // the first PT_LOAD's p_offset
  }
  ASSERT_NE(data, 0u);
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
}

// One flipped address bit in a 2 MiB leaf inside the image is found as wrong-pa.
TEST(VerifyCommand, PlantedFaultInImage) {
  const std::string img = Temp("t2.elf");
  auto b = RunBootmap(std::string("build ") + kOvmf + " --image '" + img + "'");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  FlipA2MiBLeaf(img);
  auto r = RunBootmap(std::string("verify --map ") + kOvmf + " --image '" + img + "' --cr3 " + Root(b.out) + kCorePat +
                      " --json");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["violations_by_code"].value("wrong-pa", 0), 1) << r.out;
  // The JSON names the violation's va and size, as its message does.
  ASSERT_FALSE(j["violations"].empty());
  const json& v = j["violations"][0];
  EXPECT_EQ(v["message"].get<std::string>().rfind("va " + v["va"].get<std::string>() + "-", 0), 0u) << r.out;
  EXPECT_NE(v["size"], "0x0") << r.out;
  std::remove(img.c_str());
}

// --window restricts the check: the fault (in the identity map of an EFI runtime region) is
// found when its window is checked, and is another window's mapping, not a violation, when
// only the direct map is.
TEST(VerifyCommand, WindowScope) {
  const std::string img = Temp("t4.elf");
  auto b = RunBootmap(std::string("build ") + kOvmf + " --image '" + img + "'");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  FlipA2MiBLeaf(img);
  const std::string args = std::string("verify --map ") + kOvmf + " --image '" + img + "' --cr3 " + Root(b.out) + kCorePat;
  auto r = RunBootmap(args + " --window direct-map transition-code --json");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  json j = json::parse(r.out);
  ASSERT_TRUE(j.contains("scope")) << r.out;
  bool runtime_listed = false;
  for (const json& w : j["scope"]["other_windows"]) runtime_listed |= w["window"] == "efi-runtime-data";
  EXPECT_TRUE(runtime_listed) << r.out;
  EXPECT_EQ(j["scope"]["unexpected_ranges"], 0) << r.out;
  r = RunBootmap(args + " --window efi-runtime-data --json");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(j["violations_by_code"].value("wrong-pa", 0), 1) << r.out;
  EXPECT_EQ(j["violations_by_code"].size(), 1u) << r.out;
  // The same span as a --va-range (the scope's first range); text output says what was left out.
  const std::string direct = j["scope"]["checked"][0]["va"].get<std::string>() + "+" +
                             j["scope"]["checked"][0]["size"].get<std::string>();
  r = RunBootmap(args + " --va-range " + direct);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("checked only: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("outside: window direct-map"), std::string::npos) << r.out;
  // A range where nothing is expected and nothing is mapped: verified there.
  r = RunBootmap(args + " --va-range 0x0-0x1000 --json");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::remove(img.c_str());
}

// A window that selects nothing on the map (EFI runtime on an E820 map) passes only with
// the verdict saying that nothing of it was checked.
TEST(VerifyCommand, EmptyWindowSaysNothingWasChecked) {
  const std::string img = Temp("t6.elf");
  const std::string seabios = "maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json";
  auto b = RunBootmap("build " + seabios + " --image '" + img + "'");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string args = "verify --map " + seabios + " --image '" + img + "' --cr3 " + Root(b.out) + kCorePat;
  auto r = RunBootmap(args + " --window efi-runtime-code");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("assumed: window 'efi-runtime-code' selects nothing on this map"), std::string::npos) << r.out;
  r = RunBootmap(args + " --window direct-map");
  EXPECT_EQ(r.out.find("selects nothing"), std::string::npos) << r.out;
  std::remove(img.c_str());
}

// An unknown window or a non-canonical range: exit 2, the file and the problem named, no output.
TEST(VerifyCommand, BadScope) {
  const std::string img = Temp("t5.elf");
  auto b = RunBootmap(std::string("build ") + kOvmf + " --image '" + img + "'");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string args = std::string("verify --map ") + kOvmf + " --image '" + img + "' --cr3 " + Root(b.out);
  auto r = RunBootmap(args + " --window kernel-text");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(kOvmf), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no window named 'kernel-text'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("direct-map"), std::string::npos) << r.err;  // the windows it has
  for (const char* bad : {"0x0000800000000000-0x0000800000001000", "0x00007ffffffff000+0x2000", "0x2000-0x1000", "12"}) {
    r = RunBootmap(args + " --va-range " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("--va-range"), std::string::npos) << r.err;
  }
  std::remove(img.c_str());
}

// Bad dumps: truncated, not an ELF core, CR3 outside it; each exit 2 naming the file, no output.
TEST(VerifyCommand, BadDumps) {
  const std::string img = Temp("t6.elf");
  auto b = RunBootmap(std::string("build ") + kOvmf + " --image '" + img + "'");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string bytes = testing::Slurp(img);
  const std::string truncated = Temp("truncated.elf"), text = Temp("text.elf");
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() - 4096);
  std::ofstream(text) << "not an ELF core\n";
  struct Case {
    std::string image, extra, message;
  } cases[] = {
      {truncated, "", "(truncated)"},
      {text, " --cr3 0x1000", "not an ELF core"},
      {img, " --cr3 0x7fff000", "CR3 0x7fff000 points outside every image segment"},
      {img, " --cr0 0x1", "not IA-32e paging"},
  };
  for (const Case& c : cases) {
    auto r = RunBootmap(std::string("verify --map ") + kOvmf + " --image '" + c.image + "'" + c.extra);
    EXPECT_EQ(r.exit_code, 2) << c.image << c.extra;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    if (c.message != "not IA-32e paging") {
      EXPECT_NE(r.err.find(c.image), std::string::npos) << r.err;
    }
  }
  std::remove(img.c_str());
  std::remove(truncated.c_str());
  std::remove(text.c_str());
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
