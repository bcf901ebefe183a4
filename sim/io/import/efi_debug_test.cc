#include <gtest/gtest.h>

#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/test_util.h"

namespace bootmap::importer {
namespace {

using test::Classify;
using test::Efi;
using test::ImportText;
namespace attr = map::efi_attr;
constexpr uint64_t kCache = attr::kUC | attr::kWC | attr::kWT | attr::kWB;

Line F(std::string_view text) { return Classify(&ClassifyEfiDebug, text); }

void ExpectDescriptor(std::string_view text, map::EfiDescriptor want, uint64_t index) {
  Line l = F(text);
  ASSERT_EQ(l.kind, LineKind::kEntry) << text << ": " << l.text;
  EXPECT_EQ(l.efi, want) << text;
  EXPECT_TRUE(l.has_index);
  EXPECT_EQ(l.index, index);
  EXPECT_EQ(l.text, "") << "unexpected warning for " << text;
}

// Current Linux: short names, 15 columns, inclusive `]` end.
TEST(EfiDebug, NamedInclusive) {
  ExpectDescriptor(
      "[    0.000000] efi: mem02: [Conventional|   |  |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] "
      "range=[0x0000000000100000-0x00000000007fffff] (7MB)",
      Efi(7, 0x100000, 0x700, kCache), 2);
}

// Older Linux: long names, 9 columns, exclusive `)` end; RUN sets EFI_MEMORY_RUNTIME.
TEST(EfiDebug, NamedExclusiveLongNames) {
  ExpectDescriptor(
      "efi: mem28: [Runtime Code       |RUN|  |  |  |   |WB|WT|WC|UC] "
      "range=[0x00000000c9d48000-0x00000000c9d4b000) (0MB)",
      Efi(5, 0xc9d48000, 3, kCache | attr::kRuntime), 28);
  ExpectDescriptor(
      "efi: mem81: [Reserved           |RUN|  |  |  |   |  |  |  |  ] "
      "range=[0x00000000cbc00000-0x00000000cfe00000) (66MB)",
      Efi(0, 0xcbc00000, 0x4200, attr::kRuntime), 81);
  ExpectDescriptor(
      "efi: mem82: [Memory Mapped I/O  |RUN|  |  |  |   |  |  |  |UC] "
      "range=[0x00000000f8000000-0x00000000fc000000) (64MB)",
      Efi(11, 0xf8000000, 0x4000, attr::kRuntime | attr::kUC), 82);
}

// 12 attribute columns and 3-digit indexes; every named column sets its bit.
TEST(EfiDebug, TwelveColumnsThreeDigitIndex) {
  ExpectDescriptor(
      "efi: mem123: [Persistent  |RUN|MR|CC|SP|NV|XP|RP|WP|RO|UCE|WB|WT|WC|UC] "
      "range=[0x0000000100000000-0x00000001ffffffff] (4096MB)",
      Efi(14, 0x100000000, 0x100000,
          attr::kRuntime | attr::kMoreReliable | attr::kCpuCrypto | attr::kSP | attr::kNV |
              attr::kXP | attr::kRP | attr::kWP | attr::kRO | attr::kUCE | kCache),
      123);
  ExpectDescriptor(
      "efi: mem07: [ACPI Mem NVS|   |  |  |  |  |   |WB|WT|WC|UC] "
      "range=[0x0000000000800000-0x0000000000807fff] (0MB)",
      Efi(10, 0x800000, 8, kCache), 7);
}

// Unknown types print as type=N and unknown attribute bits as attr=0x...
TEST(EfiDebug, RawTypeAndAttr) {
  ExpectDescriptor(
      "efi: mem40: [type=1879048193|attr=0x8000000000000009] "
      "range=[0x0000000080000000-0x0000000080000fff] (0MB)",
      Efi(0x70000001, 0x80000000, 1, 0x8000000000000009), 40);
}

// Linux 2.6 numeric form, with or without "efi: ".
TEST(EfiDebug, NumericForm) {
  ExpectDescriptor(
      "mem23: type=5, attr=0x800000000000000f, range=[0x000000007ee49000-0x000000007ee6f000) (0MB)",
      Efi(5, 0x7ee49000, 0x26, 0x800000000000000f), 23);
  ExpectDescriptor(
      "efi: mem03: type=2, attr=0xf, range=[0x0000000000100000-0x0000000003300000) (50MB)",
      Efi(2, 0x100000, 0x3200, 0xf), 3);
}

// A single descriptor of several TiB.
TEST(EfiDebug, HugeDescriptor) {
  ExpectDescriptor(
      "efi: mem90: [Conventional|   |  |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] "
      "range=[0x0000010000000000-0x000008ffffffffff] (8388608MB)",
      Efi(7, 0x10000000000, 0x80000000, kCache), 90);  // 8 TiB
}

// The (NMB) figure is num_pages >> 8; a disagreement is reported as a warning.
TEST(EfiDebug, MegabyteCrossCheck) {
  Line l = F("efi: mem02: [Conventional|   |WB|WT|WC|UC] range=[0x0000000000100000-0x00000000007fffff] (8MB)");
  ASSERT_EQ(l.kind, LineKind::kEntry);
  EXPECT_NE(l.text.find("(8MB) disagrees with the range, which is 7 MiB"), std::string::npos) << l.text;
  ImportResult r = ImportText(
      "efi: mem00: [Conventional|   |WB|WT|WC|UC] range=[0x0000000000100000-0x00000000007fffff] (8MB)\n",
      Format::kEfiDebug);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].rfind("dump.txt:1: (8MB) disagrees", 0), 0u) << r.warnings[0];
}

// Lines that are not descriptors are skipped; broken descriptors are errors.
TEST(EfiDebug, OtherAndErrors) {
  EXPECT_EQ(F("efi: EFI v2.31 by American Megatrends").kind, LineKind::kOther);
  EXPECT_EQ(F("efi: Remove mem45: MMIO range=[0xffc00000-0xffffffff] (4MB) from e820 map").kind,
            LineKind::kOther);
  EXPECT_EQ(F("Memory: 229948168K/268036992K available").kind, LineKind::kOther);
  EXPECT_EQ(F("mem0: some driver message").kind, LineKind::kOther);
  EXPECT_EQ(F("efi: mem01: [Conventionl|   |WB] range=[0x0-0xfff] (0MB)").kind, LineKind::kError);
  EXPECT_EQ(F("efi: mem01: [Conventional|   |XX] range=[0x0-0xfff] (0MB)").kind, LineKind::kError);
  EXPECT_EQ(F("efi: mem01: [Conventional|   |WB] range=[0x0-0x7ff] (0MB)").kind, LineKind::kError);
  EXPECT_EQ(F("efi: mem01: [Conventional|   |WB] range=[0x1000-0x1000) (0MB)").kind, LineKind::kError);
  EXPECT_EQ(F("efi: mem01: [Conventional|   |WB range=[0x0-0xfff] (0MB)").kind, LineKind::kError);
  EXPECT_EQ(F("efi: mem01: garbage").kind, LineKind::kError);
  EXPECT_EQ(F("mem01: type=7, attr=0xf range=[0x0-0x1000) (0MB)").kind, LineKind::kError);
}

// A second printout (indexes start again) is ignored; a skipped index is warned about.
TEST(EfiDebug, Blocks) {
  std::string a = "efi: mem00: [Conventional|   |WB] range=[0x0000000000000000-0x000000000009ffff] (0MB)\n";
  std::string b = "efi: mem01: [Boot Data   |   |WB] range=[0x0000000000100000-0x00000000001fffff] (1MB)\n";
  std::string c = "efi: mem03: [Boot Data   |   |WB] range=[0x0000000000200000-0x00000000002fffff] (1MB)\n";
  ImportResult r = ImportText(a + b + a + b, Format::kEfiDebug);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.efi.size(), 2u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("another efi memNN map (2 entries) was ignored"), std::string::npos);
  r = ImportText(a + b + c, Format::kEfiDebug);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.efi.size(), 3u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], "dump.txt:3: index jumps from mem1 to mem3 (a line missing?)");
}

}  // namespace
}  // namespace bootmap::importer
