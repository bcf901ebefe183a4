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

Line M(std::string_view text) { return Classify(&ClassifyMultiboot2, text); }

// The spec's example kernel prints size, base_addr, length, type in hex.
TEST(Multiboot2, SpecExampleLine) {
  ExpectE820(&ClassifyMultiboot2,
             " size = 0x14, base_addr = 0x000000000, length = 0x00009fc00, type = 0x1",
             E(0, 0x9fc00, 1));
  ExpectE820(&ClassifyMultiboot2, "mmap: base_addr = 0x100000, length = 0x7fee0000, type = 1",
             E(0x100000, 0x7fee0000, 1));
  ExpectE820(&ClassifyMultiboot2, "base_addr=4294967296 length=1073741824 type=3",
             E(0x100000000, 0x40000000, 3));
}

// Unknown types are kept as numbers.
TEST(Multiboot2, UnknownTypeKept) {
  ExpectE820(&ClassifyMultiboot2, "base_addr = 0xfd00000000, length = 0x300000000, type = 0x14",
             E(0xfd00000000, 0x300000000, 20));
}

// Hobby-kernel printouts name the type, with extra columns before or after the fields
// (Multiboot2 spec 3.6.8 numbering).
TEST(Multiboot2, NamedTypesAndExtraColumns) {
  struct Case {
    const char* line;
    uint32_t type;
  } cases[] = {
      {"[mmap] base_addr = 0x0, length = 0x9fc00, type = Available", 1},
      {"base_addr = 0x0, length = 0x9fc00, type = Available  (639 KiB)", 1},
      {"0: base_addr = 0x0, length = 0x9fc00, type = Reserved, 639 KiB", 2},
      {"base_addr = 0x0, length = 0x9fc00, type = ACPI Reclaimable | 639 KiB", 3},
      {"base_addr = 0x0, length = 0x9fc00, type = NVS", 4},
      {"base_addr = 0x0, length = 0x9fc00, type = ACPI NVS", 4},
      {"base_addr = 0x0, length = 0x9fc00, type = bad RAM", 5},
      {"base_addr = 0x0, length = 0x9fc00, type = Bad memory", 5},
      {"base_addr = 0x0, length = 0x9fc00, type = 0x1 (Available)", 1},
  };
  for (const Case& c : cases) {
    Line l = M(c.line);
    ASSERT_EQ(l.kind, LineKind::kEntry) << c.line << ": " << l.text;
    EXPECT_EQ(l.e820, E(0, 0x9fc00, c.type)) << c.line;
    EXPECT_EQ(l.text, "") << c.line;
  }
}

// An unknown type name is kept as reserved with a warning; a name must start with a letter.
TEST(Multiboot2, UnknownNameKeptAsReserved) {
  Line l = M("base_addr = 0x0, length = 0x9fc00, type = Kernel image, 639 KiB");
  ASSERT_EQ(l.kind, LineKind::kEntry);
  EXPECT_EQ(l.e820.type, map::e820::kReserved);
  EXPECT_NE(l.text.find("unknown memory type \"Kernel image\" kept as reserved"),
            std::string::npos)
      << l.text;
  EXPECT_EQ(M("base_addr = 0x0, length = 0x9fc00, type = 0xzz").kind, LineKind::kError);
  EXPECT_EQ(M("base_addr = 0x0, length = 0x9fc00, type = ").kind, LineKind::kError);
  ImportResult r = ImportText("base_addr = 0x0, length = 0x9fc00, type = Available\n"
                              "base_addr = 0x100000, length = 0x1000, type = Frobbed\n",
                              Format::kAuto);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.format, Format::kMultiboot2);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].rfind("dump.txt:2: unknown memory type \"Frobbed\"", 0), 0u)
      << r.warnings[0];
}

// Missing or bad fields are errors; prose mentioning base_addr is not.
TEST(Multiboot2, Errors) {
  EXPECT_EQ(M("base_addr = 0x0, type = 1").kind, LineKind::kError);
  EXPECT_EQ(M("base_addr = 0xzz, length = 0x1000, type = 1").kind, LineKind::kError);
  EXPECT_EQ(M("base_addr = 0xffffffffffffff00, length = 0x1000, type = 1").kind, LineKind::kError);
  EXPECT_EQ(M("the base_addr field is 64-bit").kind, LineKind::kOther);
  ImportResult r = ImportText("mmap:\n base_addr = 0x0, length = 0x9fc00, type = 0x1\n", Format::kAuto);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.format, Format::kMultiboot2);
}

}  // namespace
}  // namespace bootmap::importer
