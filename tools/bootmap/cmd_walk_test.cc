// Whole-program tests of `bootmap walk` and `bootmap dump` on small hand-built table images.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/bootmap/run_for_test.h"

namespace bootmap::cli {
namespace {

using testing::RunBootmap;
using Json = nlohmann::json;

// Frames 0x1000.. of a raw image, entries set by physical address.
class Image {
 public:
  void Set(uint64_t pa, uint64_t v) { entries_[pa] = v; }
  std::string Write(const std::string& name, uint64_t base = 0x1000, uint64_t size = 0x5000) const {
    std::string bytes(size, '\0');
    for (auto [pa, v] : entries_) std::memcpy(&bytes[pa - base], &v, 8);
    std::string path = ::testing::TempDir() + "walk_test_" + std::to_string(::getpid()) + "_" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

 private:
  std::map<uint64_t, uint64_t> entries_;
};

// PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000; 4 KiB pages at va 0x1000/0x2000,
// a 2 MiB NX page at 0x200000, a 1 GiB page at 0x40000000, a reserved-bit PTE at 0x3000.
std::string TestImage() {
  Image img;
  img.Set(0x1000, 0x2000 | 0x7);
  img.Set(0x2000, 0x3000 | 0x7);
  img.Set(0x2008, 0x40000000 | 0x83);
  img.Set(0x3000, 0x4000 | 0x7);
  img.Set(0x3008, 0x200000 | 0x83 | (uint64_t{1} << 63));
  img.Set(0x4008, 0x5000 | 0x3);
  img.Set(0x4010, 0x6000 | 0x1);
  img.Set(0x4018, 0x7000 | 0x3 | (uint64_t{1} << 50));
  return img.Write("tables.img");
}

// walk --json gives, per address, the entries read and the translation (contract of issue 3).
TEST(Walk, JsonContract) {
  std::string img = TestImage();
  auto r = RunBootmap("walk --json --image " + img + "@0x1000 --cr3 0x1000 0x1234 0x200010 0x40000000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["va"], "0x1234");
  EXPECT_EQ(j[0]["ok"], true);
  EXPECT_EQ(j[0]["pa"], "0x5234");
  EXPECT_EQ(j[0]["page_size"], "0x1000");
  ASSERT_EQ(j[0]["levels"].size(), 4u);
  EXPECT_EQ(j[0]["levels"][0]["level"], 4);
  EXPECT_EQ(j[0]["levels"][3]["entry"], "0x5003");
  EXPECT_EQ(j[1]["page_size"], "0x200000");
  EXPECT_EQ(j[1]["nx"], true);
  EXPECT_EQ(j[2]["pa"], "0x40000000");
  EXPECT_EQ(j[2]["levels"].size(), 2u);
}

// Faults come with their vector and error code, and make the exit code 1.
TEST(Walk, Faults) {
  std::string img = TestImage();
  auto r = RunBootmap("walk --json --write --image " + img +
                      "@0x1000 --cr3 0x1000 0x2000 0x3000 0x9000 0x800000000000 --user");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j[0]["fault"]["vector"], 14);
  EXPECT_EQ(j[0]["fault"]["error_code"], 0x7);  // P W/R U/S: supervisor page
  EXPECT_EQ(j[1]["fault"]["error_code"], 0xf);  // + RSVD
  EXPECT_EQ(j[2]["fault"]["error_code"], 0x6);  // not present
  EXPECT_EQ(j[3]["fault"]["vector"], 13);
  auto text = RunBootmap("walk --image " + img + "@0x1000 --cr3 0x1000 0x3000");
  EXPECT_NE(text.out.find("#PF error code 0x9 (P RSVD)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("PTE  [  3] @0x000000004018 = 0x0004000000007003"), std::string::npos) << text.out;
}

// Bad input is reported with the file or option at fault, exit 2, and nothing on stdout.
TEST(Walk, BadInput) {
  std::string img = TestImage();
  std::string truncated = ::testing::TempDir() + "walk_test_" + std::to_string(::getpid()) + "_truncated.core";
  {
    std::string elf(64, '\0');
    std::memcpy(&elf[0], "\x7f" "ELF\x02\x01\x01", 7);
    elf[16] = 4;
    elf[32] = 64;   // e_phoff
    elf[54] = 56;   // e_phentsize
    elf[56] = 3;    // e_phnum, but no headers follow
    std::ofstream(truncated, std::ios::binary) << elf;
  }
  struct Case {
    std::string args, message;
  } cases[] = {
      {"--image " + img + "@0x1000 --cr3 0x9000 0x1000", "outside every image segment"},
      {"--image " + img + "@0x1000 --cr3 0x1000 zz", "not an address"},
      {"--image " + img + "@0x1000 --image " + img + "@0x3000 --cr3 0x1000 0x1000", "overlapping segments"},
      {"--image " + truncated + " --cr3 0x1000 0x1000", truncated + ": program header table"},
      {"--image " + img + " --cr3 0x1000 0x1000", "not an ELF core"},
  };
  for (const Case& c : cases) {
    auto r = RunBootmap("walk " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_TRUE(r.out.empty()) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
}

// dump --json lists coalesced runs, leaves per size, tables per level and anomalies.
TEST(Dump, JsonContract) {
  std::string img = TestImage();
  auto r = RunBootmap("dump --json --image " + img + "@0x1000 --cr3 0x1000");
  ASSERT_EQ(r.exit_code, 1) << r.err;  // the reserved-bit PTE is an anomaly
  Json j = Json::parse(r.out);
  ASSERT_EQ(j["runs"].size(), 4u);
  EXPECT_EQ(j["runs"][0]["va"], "0x1000");
  EXPECT_EQ(j["runs"][0]["size"], "0x1000");
  EXPECT_EQ(j["runs"][1]["flags"][0], "RO");
  EXPECT_EQ(j["runs"][2]["page_size"], "0x200000");
  EXPECT_EQ(j["leaves"]["4k"], 2);
  EXPECT_EQ(j["leaves"]["2m"], 1);
  EXPECT_EQ(j["leaves"]["1g"], 1);
  EXPECT_EQ(j["tables"]["pt"], 1);
  ASSERT_EQ(j["anomalies"].size(), 1u);
  EXPECT_EQ(j["anomalies"][0]["kind"], "reserved-bits");
  EXPECT_EQ(j["anomalies"][0]["va"], "0x3000");
}

// The text listing ends with totals per page size; a budget overrun is an error (exit 2).
TEST(Dump, TextAndBudget) {
  std::string img = TestImage();
  auto r = RunBootmap("dump --image " + img + "@0x1000 --cr3 0x1000");
  EXPECT_NE(r.out.find("all 2M: 1 leaves, 2 MiB"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0x0000000000200000-0x0000000000400000"), std::string::npos) << r.out;
  r = RunBootmap("dump --max-leaves 2 --image " + img + "@0x1000 --cr3 0x1000");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("leaf budget"), std::string::npos) << r.err;
}

// dump --ept lists an EPT tree: R/W/X and the EPT memory type.
TEST(Dump, Ept) {
  Image img;
  img.Set(0x1000, 0x2000 | 0x7);
  img.Set(0x2000, 0x3000 | 0x7);
  img.Set(0x3000, 0x0 | 0x7 | (6 << 3) | 0x80);           // 2 MiB RWX WB
  img.Set(0x3008, 0x200000 | 0x1 | (0 << 3) | 0x80 | 0x40);  // 2 MiB R UC IPAT
  std::string path = img.Write("ept.img");
  auto r = RunBootmap("dump --json --image " + path + "@0x1000 --ept 0x101e");  // WB, 4 levels
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["flags"][0], "RWX");
  EXPECT_EQ(j["runs"][0]["type"], "WB");
  EXPECT_EQ(j["runs"][1]["flags"][0], "R--");
  EXPECT_EQ(j["runs"][1]["flags"][1], "IPAT");
  EXPECT_EQ(j["runs"][1]["type"], "UC");
  r = RunBootmap("dump --image " + path + "@0x1000 --ept 0x1019");  // memory type 1: bad EPTP
  EXPECT_EQ(r.exit_code, 2);
}

// dump --map totals mapped bytes per region kind and page size, and flags a large page spanning MTRR types.
TEST(Dump, MapRegionsAndMtrrSpans) {
  std::string img = TestImage();
  std::string map_path = ::testing::TempDir() + "walk_test_" + std::to_string(::getpid()) + "_map.json";
  std::ofstream(map_path) << R"({"format": "bootmap-map/1", "name": "t", "origin": "test",
    "cpu": {"vendor": "intel", "maxphyaddr": 46, "page1gb": true, "la57": false, "nx": true},
    "e820": [{"base": "0x0", "size": "0x60000000", "type": "usable"},
             {"base": "0x70000000", "size": "0x10000000", "type": "reserved"}],
    "mtrr": {"default": "UC", "variable": [
      {"base": "0x0", "mask": "0x3fff80000000", "type": "WB"},
      {"base": "0x60000000", "mask": "0x3ffff0000000", "type": "UC"}]}})";
  auto r = RunBootmap("dump --json --map " + map_path + " --image " + img + "@0x1000 --cr3 0x1000");
  ASSERT_EQ(r.exit_code, 1) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["regions"]["usable"]["4k"], "0x2000");
  EXPECT_EQ(j["regions"]["usable"]["2m"], "0x200000");
  EXPECT_EQ(j["regions"]["usable"]["1g"], "0x20000000");  // 0x40000000 .. 0x60000000
  EXPECT_EQ(j["regions"]["hole"]["1g"], "0x10000000");
  EXPECT_EQ(j["regions"]["reserved"]["1g"], "0x10000000");
  ASSERT_EQ(j["mtrr_spans"].size(), 1u);
  EXPECT_EQ(j["mtrr_spans"][0]["va"], "0x40000000");
  EXPECT_EQ(j["mtrr_spans"][0]["page_size"], "0x40000000");
  r = RunBootmap("dump --map /nonexistent.json --image " + img + "@0x1000 --cr3 0x1000");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
}

// A PD referenced by two PDPT entries (as espfix shares its tables): dump walks it at both, so
// its leaf appears at both addresses, the frame is counted once, and it is no anomaly; with
// --no-follow-shared the second reference is an anomaly and its leaf is not listed.
TEST(Dump, SharedTablesFollowed) {
  Image img;
  img.Set(0x1000, 0x2000 | 0x3);
  img.Set(0x2000, 0x3000 | 0x3);            // PDPT[0] -> PD
  img.Set(0x2010, 0x3000 | 0x3);            // PDPT[2] -> the same PD
  img.Set(0x3000, 0x4000 | 0x3);            // PD[0] -> PT
  img.Set(0x4008, 0x5000 | 0x3);            // PT[1]: va 0x1000 and 0x80001000
  const std::string path = img.Write("shared.img");
  auto r = RunBootmap("dump --json --image " + path + "@0x1000 --cr3 0x1000");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json j = Json::parse(r.out);
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["runs"][1]["va"], "0x80001000");
  EXPECT_EQ(j["runs"][1]["pa"], "0x5000");
  EXPECT_EQ(j["leaves"]["4k"], 2);
  EXPECT_EQ(j["tables"]["pd"], 1);
  EXPECT_EQ(j["tables"]["pt"], 1);
  EXPECT_EQ(j["shared_tables"], 2);  // re-visits: the PD, then its PT again through it
  EXPECT_EQ(j["anomaly_count"], 0);
  r = RunBootmap("dump --json --no-follow-shared --image " + path + "@0x1000 --cr3 0x1000");
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  j = Json::parse(r.out);
  EXPECT_EQ(j["runs"].size(), 1u);
  ASSERT_EQ(j["anomalies"].size(), 1u);
  EXPECT_EQ(j["anomalies"][0]["kind"], "shared-table");
}

// With a map and a layout, dump totals leaves per window: for tables bootmap built, the same
// counts its build reports per window (its ELF core records CR3, so no --cr3 is needed).
TEST(Dump, TotalsPerWindow) {
  const std::string img = ::testing::TempDir() + "walk_test_" + std::to_string(::getpid()) + "_built.elf";
  const std::string map = "maps/real/qemu-7.2-q35-epyc-4g-seabios-e820.json";
  auto b = RunBootmap("build " + map + " --image " + img);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto r = RunBootmap("dump --json --map " + map + " --profile bootmap --image " + img);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json j = Json::parse(r.out);
  std::map<std::string, Json> windows;
  for (const Json& w : j["windows"]) windows[w["name"]] = w;
  ASSERT_TRUE(windows.count("direct-map")) << r.out;
  // The build's report: "direct-map auto <va range> <pa range> 4K 2M 1G tables".
  const size_t at = b.out.find("\ndirect-map ");
  ASSERT_NE(at, std::string::npos) << b.out;
  std::istringstream line(b.out.substr(at + 1, b.out.find('\n', at + 1) - at - 1));
  std::string name, placement, va, pa;
  uint64_t n4k = 0, n2m = 0, n1g = 0;
  line >> name >> placement >> va >> pa >> n4k >> n2m >> n1g;
  EXPECT_EQ(windows["direct-map"]["leaves"]["4k"], n4k) << b.out;
  EXPECT_EQ(windows["direct-map"]["leaves"]["2m"], n2m) << b.out;
  EXPECT_EQ(windows["direct-map"]["leaves"]["1g"], n1g) << b.out;
  EXPECT_GT(n4k + n2m + n1g, 0u);
  std::remove(img.c_str());
}

}  // namespace
}  // namespace bootmap::cli
