#include "sim/io/import/import.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "sim/io/import/test_util.h"
#include "sim/io/map_json.h"

namespace bootmap::importer {
namespace {

using test::ImportText;

std::string Fixture(const std::string& name) {
  const char* root = std::getenv("BOOTMAP_ROOT");
  std::ifstream in(std::string(root ? root : ".") + "/sim/io/import/testdata/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr Format kAllFormats[] = {Format::kAuto,  Format::kDmesg, Format::kEfiDebug,
                                  Format::kUefiShell, Format::kSysfs, Format::kXen,
                                  Format::kFwCfg, Format::kMultiboot2, Format::kIomem,
                                  Format::kGrubLsmmap};

// Format names round-trip.
TEST(Import, FormatNames) {
  for (Format f : kAllFormats) EXPECT_EQ(FormatFromName(FormatName(f)), f);
  EXPECT_EQ(FormatFromName("e820"), std::nullopt);
}

// Empty input, no map, and no usable RAM each get their own message and no map.
TEST(Import, DistinctFailures) {
  ImportResult r = ImportText("", Format::kAuto);
  EXPECT_EQ(r.error, "dump.txt: empty input");
  r = ImportText(" \n\t\n", Format::kDmesg);
  EXPECT_EQ(r.error, "dump.txt: empty input");
  r = ImportText("# only a comment\nLinux version 6.1\n", Format::kAuto);
  EXPECT_EQ(r.error.rfind("dump.txt: no memory map found (no line of any known format", 0), 0u)
      << r.error;
  r = ImportText("Linux version 6.1\n", Format::kDmesg);
  EXPECT_EQ(r.error, "dump.txt: no memory map found (no dmesg map line in the input)");
  r = ImportText("BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] reserved\n", Format::kAuto);
  EXPECT_EQ(r.error.rfind("dump.txt: the map has no usable RAM", 0), 0u) << r.error;
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.map.e820.empty());
  // EFI boot-services memory counts as usable; runtime data does not.
  r = ImportText("efi: mem00: [Boot Data|   |WB] range=[0x0000000000100000-0x00000000001fffff] (1MB)\n",
          Format::kAuto);
  EXPECT_TRUE(r.ok) << r.error;
  r = ImportText("efi: mem00: [Runtime Data|RUN|WB] range=[0x0000000000100000-0x00000000001fffff] (1MB)\n",
          Format::kAuto);
  EXPECT_EQ(r.error.rfind("dump.txt: the map has no usable RAM", 0), 0u) << r.error;
}

// A full dmesg with E820 and efi=debug lines yields both tables.
TEST(Import, FullDmesgBothTables) {
  std::string text =
      "[    0.000000] BIOS-provided physical RAM map:\n"
      "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
      "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n"
      "[    0.000000] NX (Execute Disable) protection: active\n"
      "[    0.000000] efi: EFI v2.70 by EDK II\n"
      "[    0.000000] efi: mem00: [Conventional|   |WB|WT|WC|UC] range=[0x0000000000000000-0x000000000009ffff] (0MB)\n"
      "[    0.000000] efi: mem01: [Conventional|   |WB|WT|WC|UC] range=[0x0000000000100000-0x000000007fffffff] (2047MB)\n";
  ImportResult r = ImportText(text, Format::kAuto, /*strict=*/true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.format, Format::kDmesg);
  EXPECT_EQ(r.map.e820.size(), 2u);
  EXPECT_EQ(r.map.efi.size(), 2u);
  EXPECT_EQ(r.map.origin, "Linux dmesg E820 and efi=debug maps imported from dump.txt");
  // --format efi-debug takes only the EFI lines.
  r = ImportText(text, Format::kEfiDebug);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.map.e820.empty());
  EXPECT_EQ(r.map.efi.size(), 2u);
}

// The origin names the source from the dump's leading comment lines.
TEST(Import, OriginFromComments) {
  ImportResult r = ImportText("# source: a mailing list post\n# machine: a test box\n" +
                           std::string(test::kUsableLine),
                       Format::kAuto);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.origin, "source: a mailing list post; machine: a test box");
  // Kept JSON-safe: UTF-8 stays, control bytes and broken UTF-8 become '?'.
  r = ImportText("# source: \xc3\x9c\x62ung\x01 \xff\xe6\x97\n" + std::string(test::kUsableLine),
                 Format::kAuto);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.origin, "source: \xc3\x9c\x62ung? ???");
}

// Auto-detection picks the documented format for every fixture.
TEST(Import, DetectsEveryFixture) {
  struct Case {
    const char* file;
    Format format;
  } cases[] = {
      {"asus-n56vz-laptop-ami-efi.txt", Format::kEfiDebug},
      {"dell-poweredge-c6525-epyc7443p-256g-legacy.txt", Format::kDmesg},
      {"hyperv-gen1-vm-ubuntu24.txt", Format::kDmesg},
      {"intel-dualcore-4g-2005-no-remap-old.txt", Format::kDmesg},
      {"intel-ivybridge-pc-uefi-shell-memmap.txt", Format::kUefiShell},
      {"intel-mac-2006-linux-efi-type-attr.txt", Format::kEfiDebug},
      {"qemu-7.2-q35-epyc-1100g-seabios-e820.txt", Format::kDmesg},
      {"qemu-7.2-q35-epyc-4g-ovmf-efi.txt", Format::kEfiDebug},
      {"qemu-7.2-q35-epyc-4g-seabios-e820.txt", Format::kDmesg},
      {"qemu-kvm-2node-64g-sysfs-memmap.txt", Format::kSysfs},
      {"tencent-cloud-cvm-kvm-16g-1tb-hole.txt", Format::kDmesg},
      {"xen-host-e820-qemu-seabios-amd.txt", Format::kXen},
  };
  for (const Case& c : cases) {
    std::string text = Fixture(c.file);
    ASSERT_FALSE(text.empty()) << c.file;
    EXPECT_EQ(DetectFormat(text), c.format) << c.file;
    ImportResult r = ImportText(text, Format::kAuto, /*strict=*/true);
    EXPECT_TRUE(r.ok) << c.file << ": " << r.error;
    EXPECT_TRUE(r.warnings.empty()) << c.file << ": " << r.warnings[0];
  }
}

// A map past the default MAXPHYADDR raises it (with a warning); past 2^52 is an error.
TEST(Import, MaxPhysAddrCoversTheMap) {
  ImportResult r = ImportText(std::string(test::kUsableLine) +
                                  "BIOS-e820: [mem 0x0000ff0000000000-0x0000ffffffffffff] reserved\n",
                              Format::kDmesg);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.cpu.maxphyaddr, 48);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], "dump.txt: cpu.maxphyaddr raised from 46 to 48 to cover the map");
  r = ImportText(std::string(test::kUsableLine) +
                     "BIOS-e820: [mem 0x0010000000000000-0x0010000000000fff] reserved\n",
                 Format::kDmesg);
  EXPECT_EQ(r.error.rfind("dump.txt: the map reaches past 2^52", 0), 0u) << r.error;
}

// The entry limit is enforced with a message.
TEST(Import, EntryLimit) {
  ImportOptions options;
  options.max_entries = 2;
  std::string text;
  for (int i = 0; i < 3; ++i) text += test::kUsableLine;
  ImportResult r = Import(text, Format::kDmesg, options);
  EXPECT_EQ(r.error, "<input>:3: more than 2 entries (the limit)");
}

// Hostile input never crashes, hangs or reads out of bounds (run under ASan): random
// bytes and byte-level mutations of every fixture, through every format.
TEST(Import, SurvivesMutations) {
  std::mt19937 rng(12345);
  std::vector<std::string> seeds;
  for (const char* f : {"asus-n56vz-laptop-ami-efi.txt", "intel-dualcore-4g-2005-no-remap-old.txt",
                        "intel-ivybridge-pc-uefi-shell-memmap.txt", "intel-mac-2006-linux-efi-type-attr.txt",
                        "qemu-7.2-q35-epyc-4g-ovmf-efi.txt", "qemu-kvm-2node-64g-sysfs-memmap.txt",
                        "xen-host-e820-qemu-seabios-amd.txt", "hyperv-gen1-vm-ubuntu24.txt"}) {
    seeds.push_back(Fixture(f));
  }
  const std::string alphabet = "0123456789abcdefx[]()-|,:= \n\t\r#/\0\xff";
  size_t ok = 0;
  for (int iter = 0; iter < 800; ++iter) {
    std::string s = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t at = rng() % s.size();
      switch (rng() % 4) {
        case 0: s[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: s.erase(at, 1 + rng() % 16); break;
        case 2: s.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        case 3: s = s.substr(0, at); break;
      }
    }
    for (Format f : kAllFormats) {
      ImportResult r = Import(s, f, ImportOptions{});
      ok += r.ok;
      EXPECT_EQ(r.ok, r.error.empty());
      if (!r.ok) {
        EXPECT_TRUE(r.map.e820.empty() && r.map.efi.empty());
        continue;
      }
      // Whatever imports also saves as a map file that loads back equal.
      r.map.name = "fuzzed";
      map::MemoryMap again;
      io::LoadResult loaded = io::ParseMap(io::SaveMap(r.map), "saved", &again);
      EXPECT_TRUE(loaded.ok) << loaded.error;
      EXPECT_EQ(again, r.map);
    }
  }
  std::string random(4096, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  for (Format f : kAllFormats) EXPECT_FALSE(Import(random, f, ImportOptions{}).ok);
  EXPECT_GT(ok, 0u);
}

// Adversarial long lines stay linear: each is ~256 KiB and must not take quadratic time
// (ctest's timeout would catch a hang).
TEST(Import, LongLinesAreLinear) {
  const size_t n = 1 << 18;
  auto repeat = [](std::string_view piece, size_t times) {
    std::string s;
    s.reserve(piece.size() * times);
    for (size_t i = 0; i < times; ++i) s += piece;
    return s;
  };
  const std::string lines[] = {
      std::string(n, ' ') + repeat("mem1:", n / 5),
      "(XEN) " + repeat("[]", n / 2),
      "/" + repeat("1/start:", n / 8),
      repeat(":", n),
      "Available " + std::string(n / 2, 'a') + " " + std::string(n / 2, 'a') + "-b",
      repeat("BIOS-e820", n / 9),
      repeat("type base_addr length ", n / 22),
      std::string(n, '0'),
      "BIOS-e820: [mem 0x" + std::string(n, '0') + "-0x1] reserved",
      repeat("0-", n / 2) + " : System RAM",
      "00000000-00000fff : " + std::string(n, 'a'),
      "base_addr = 0x0, length = 0x1, type = " + std::string(n, 'a'),
      "base_addr = 0x0, length = 0x1, " + std::string(n, 'a'),
      repeat("MTRR variable ranges enabled: base  mask ", n / 41),
      repeat("e820: update [mem 0x0-0x1] ", n / 27),
  };
  for (const std::string& line : lines) {
    for (Format f : kAllFormats) {
      ImportResult r = Import(line + "\n", f, ImportOptions{});
      EXPECT_FALSE(r.ok);
    }
  }
}

}  // namespace
}  // namespace bootmap::importer
