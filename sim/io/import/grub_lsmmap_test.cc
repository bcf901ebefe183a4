#include <gtest/gtest.h>

#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/test_util.h"

namespace bootmap::importer {
namespace {

using test::E;
using test::ExpectE820;
using test::FactsOf;
using test::ImportText;

Line G(std::string_view text) { return test::Classify(&ClassifyGrubLsmmap, text); }

// A real lsmmap listing (QEMU, 128 MiB): 6 lines; the top is 0xfffc0000 + 0x40000 = 4 GiB;
// usable 0x9fc00 + 0x7ee0000, counted by hand.
TEST(GrubLsmmap, RealListingHandChecked) {
  ImportResult r = test::ImportFixture("qemu-128m-grub-lsmmap.txt", Format::kAuto);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.format, Format::kGrubLsmmap);
  EXPECT_EQ(FactsOf(r.map), (test::E820Facts{6, 0x100000000, 0x7f7fc00}));
  EXPECT_EQ(r.map.e820[1], E(0x9fc00, 0x400, 2));
}

// GRUB >= 2.00 names, GRUB 1.9x names, and "type = 0xN" for a type GRUB has no name for
// (grub-core/commands/lsmmap.c; numbers from include/grub/memory.h).
TEST(GrubLsmmap, NamesOfEveryGrub) {
  ExpectE820(&ClassifyGrubLsmmap, "base_addr = 0x0, length = 0x9fc00, available RAM",
             E(0, 0x9fc00, 1));
  ExpectE820(&ClassifyGrubLsmmap, "base_addr = 0xbff00000, length = 0x10000, ACPI reclaimable RAM",
             E(0xbff00000, 0x10000, 3));
  ExpectE820(&ClassifyGrubLsmmap,
             "base_addr = 0xbff10000, length = 0x30000, ACPI non-volatile storage RAM",
             E(0xbff10000, 0x30000, 4));
  ExpectE820(&ClassifyGrubLsmmap, "base_addr = 0x1000, length = 0x1000, faulty RAM (BadRAM)",
             E(0x1000, 0x1000, 5));
  ExpectE820(&ClassifyGrubLsmmap, "base_addr = 0x1000, length = 0x1000, persistent RAM (legacy)",
             E(0x1000, 0x1000, 12));
  ExpectE820(&ClassifyGrubLsmmap, "base_addr = 0x1000, length = 0x1000, RAM holding firmware code",
             E(0x1000, 0x1000, 20));
  ExpectE820(&ClassifyGrubLsmmap, "grub> base_addr = 0x100000, length = 0x3ff00000, available",
             E(0x100000, 0x3ff00000, 1));
  ExpectE820(&ClassifyGrubLsmmap, "base_addr = 0x0, length = 0x1000, ACPI reclamaible",
             E(0, 0x1000, 3));
  ExpectE820(&ClassifyGrubLsmmap, "base_addr = 0xfd00000000, length = 0x300000000, type = 0x14",
             E(0xfd00000000, 0x300000000, 20));
}

// A translated or unknown name is kept as reserved, with a warning naming it.
TEST(GrubLsmmap, UnknownNameKeptAsReserved) {
  Line l = G("base_addr = 0x0, length = 0x1000, RAM disponible");
  ASSERT_EQ(l.kind, LineKind::kEntry);
  EXPECT_EQ(l.e820.type, map::e820::kReserved);
  EXPECT_NE(l.text.find("unknown memory type \"RAM disponible\""), std::string::npos) << l.text;
  EXPECT_EQ(G("base_addr = 0x0, length = 0x1000, available RAM").text, "");
}

// Malformed lines are errors naming the line; numeric-only listings stay multiboot2.
TEST(GrubLsmmap, ErrorsAndDetection) {
  EXPECT_EQ(G("base_addr = 0x0, length = 0x1000").kind, LineKind::kError);
  EXPECT_EQ(G("base_addr = 0x0, length = 0xzz, available RAM").kind, LineKind::kError);
  EXPECT_EQ(G("base_addr = 0x0, length = 0x1000, type = 0x100000000").kind, LineKind::kError);
  EXPECT_EQ(G("base_addr = 0xffffffffffffff00, length = 0x1000, available RAM").kind,
            LineKind::kError);
  EXPECT_EQ(G("no map here").kind, LineKind::kOther);
  ImportResult r = ImportText("base_addr = 0x0, length = 0x9fc00, type = 0x1\n", Format::kAuto);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.format, Format::kMultiboot2);
  r = ImportText("base_addr = 0x0, length = 0x9fc00, available RAM\n"
                 "base_addr = 0x100000, length = 0x1000, ",
                 Format::kGrubLsmmap);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("dump.txt:2: expected \"base_addr = 0xN, length = 0xN, NAME\"", 0), 0u)
      << r.error;
}

}  // namespace
}  // namespace bootmap::importer
