#include <gtest/gtest.h>

#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/test_util.h"

namespace bootmap::importer {
namespace {

using test::Classify;
using test::E;
using test::ExpectE820;
using test::ImportText;

Line X(std::string_view text) { return Classify(&ClassifyXen, text); }

// (XEN) [START, END] is inclusive.
TEST(Xen, InclusiveBrackets) {
  ExpectE820(&ClassifyXen, "(XEN)  [000000fd00000000, 000000ffffffffff] (reserved)",
             E(0xfd00000000, 0x300000000, 2));
  // A console timestamp between the tag and the entry.
  ExpectE820(&ClassifyXen,
             "(XEN) [2023-05-16 22:00:01.123] [0000000000000000, 000000000009fbff] (usable)",
             E(0, 0x9fc00, 1));
  ExpectE820(&ClassifyXen, "(XEN)  [0000000000100000, 000000007ffdffff] type 20",
             E(0x100000, 0x7fee0000, 20));
}

// Older Xen printed START - END with an exclusive end.
TEST(Xen, OldExclusive) {
  ExpectE820(&ClassifyXen, "(XEN)  0000000000000000 - 000000000009fc00 (usable)", E(0, 0x9fc00, 1));
}

// Titles start blocks; other Xen messages are skipped; broken entries are errors.
TEST(Xen, OtherLines) {
  EXPECT_EQ(X("(XEN) Xen-e820 RAM map:").kind, LineKind::kHeader);
  EXPECT_EQ(X("(XEN) Multiboot-e820 RAM map:").kind, LineKind::kHeader);
  EXPECT_EQ(X("(XEN) ACPI: RSDP 000F5A90, 0014 (r0 BOCHS )").kind, LineKind::kOther);
  EXPECT_EQ(X("(XEN) [VT-D]iommu_enable_translation: iommu->reg = ffff82c00021b000").kind,
            LineKind::kOther);
  EXPECT_EQ(X("(XEN)  [0000000000000000, 00000000000zzzzz] (usable)").kind, LineKind::kError);
  EXPECT_EQ(X("(XEN)  [0000000000000000, 000000000009fbff] (usabel)").kind, LineKind::kError);
  EXPECT_EQ(X("(XEN)  [0000000000001000, 0000000000000fff] (usable)").kind, LineKind::kError);
  EXPECT_EQ(X("Linux version 6.1").kind, LineKind::kOther);
}

// A Xen log that also holds dom0's dmesg map imports Xen's and says so.
TEST(Xen, AutoPrefersXenAndWarns) {
  std::string text =
      "(XEN) Xen-e820 RAM map:\n"
      "(XEN)  [0000000000000000, 000000000009fbff] (usable)\n"
      "(XEN)  [0000000000100000, 000000007ffdffff] (usable)\n"
      "[    0.000000] Xen: [mem 0x0000000000000000-0x000000000009ffff] usable\n";
  ImportResult r = ImportText(text, Format::kAuto);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.format, Format::kXen);
  EXPECT_EQ(r.map.e820.size(), 2u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("1 Linux dmesg E820 lines were not imported"), std::string::npos);
}

}  // namespace
}  // namespace bootmap::importer
