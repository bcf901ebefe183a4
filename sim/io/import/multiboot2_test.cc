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
