#include <gtest/gtest.h>

#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/test_util.h"

namespace bootmap::importer {
namespace {

using test::E;
using test::E820Facts;
using test::ExpectE820;
using test::FactsOf;
using test::ImportFixture;
using test::ImportText;

Line L(std::string_view text) { return test::Classify(&ClassifyIomem, text); }

// Two real /proc/iomem copies import their top-level map ranges only. Counted by hand from
// the files: the nForce desktop lists 24 top-level lines, 18 of them System RAM, reserved,
// ACPI or PCI Bus (6 are ROMs, RAM buffers, MMCONFIG, PNP, HPET); usable is
// 0x9c800 + 0xb399fc00 + 0x14500000 + 0x38000000. The emulator lists 8, 7 of them entries.
TEST(Iomem, RealCopiesHandChecked) {
  struct Case {
    const char* name;
    E820Facts want;
    size_t buses;
  } cases[] = {
      {"ubuntu-forum-nforce-badram-iomem.txt", {18, 0x138000000, 0xfff3c400}, 4},
      {"android-x86-emulator-iomem.txt", {7, 0x80000000, 0x7ff7ec00}, 1},
  };
  for (const Case& c : cases) {
    ImportResult r = ImportFixture(c.name, Format::kAuto);
    ASSERT_TRUE(r.ok) << c.name << ": " << r.error;
    EXPECT_EQ(r.format, Format::kIomem) << c.name;
    EXPECT_EQ(FactsOf(r.map), c.want) << c.name;
    EXPECT_TRUE(test::AnyHas(r.notes, std::to_string(c.buses) + " PCI bus windows")) << c.name;
    EXPECT_TRUE(test::AnyHas(r.notes, "Kernel code at")) << c.name;
  }
}

// Top-level names map to E820 types; PCI host bridge windows become reserved.
TEST(Iomem, TopLevelTypes) {
  ExpectE820(&ClassifyIomem, "00100000-7ffdffff : System RAM", E(0x100000, 0x7fee0000, 1));
  ExpectE820(&ClassifyIomem, "000f0000-000fffff : Reserved", E(0xf0000, 0x10000, 2));
  ExpectE820(&ClassifyIomem, "c7fa0000-c7fadfff : ACPI Tables", E(0xc7fa0000, 0xe000, 3));
  ExpectE820(&ClassifyIomem, "c7fae000-c7fdffff : ACPI Non-volatile Storage",
             E(0xc7fae000, 0x32000, 4));
  ExpectE820(&ClassifyIomem, "c8000000-dfffffff : PCI Bus 0000:00", E(0xc8000000, 0x18000000, 2));
  ExpectE820(&ClassifyIomem, "1000000000-13ffffffff : Persistent Memory",
             E(0x1000000000, 0x400000000, 7));
  ExpectE820(&ClassifyIomem, "1000000000-13ffffffff : Soft Reserved",
             E(0x1000000000, 0x400000000, map::e820::kSoftReserved));
}

// Nested lines are detail and other top-level resources are not map entries; neither is
// an error under --strict.
TEST(Iomem, DetailIsNotAnEntry) {
  EXPECT_EQ(L("  01000000-016f16b5 : Kernel code").kind, LineKind::kNeutral);
  EXPECT_EQ(L("  7f800000-7f9fffff : PCI Bus 0000:01").kind, LineKind::kNeutral);
  EXPECT_EQ(L("000c0000-000ce9ff : Video ROM").kind, LineKind::kNeutral);
  EXPECT_EQ(L("fec00000-fec003ff : IOAPIC 0").kind, LineKind::kNeutral);
  EXPECT_EQ(L("not iomem").kind, LineKind::kOther);
  ImportResult r = ImportText(
      "00000000-0009ffff : System RAM\n  00000000-00000fff : Kernel code\n"
      "000c0000-000c7fff : Video ROM\n00100000-7fffffff : System RAM\n",
      Format::kIomem, /*strict=*/true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.e820.size(), 2u);
}

// An unprivileged read shows every range as zeros: a clear error, not a map.
TEST(Iomem, UnprivilegedCopyIsAnError) {
  ImportResult r = ImportText(
      "00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n"
      "  00000000-00000000 : Kernel code\n00000000-00000000 : PCI Bus 0000:00\n",
      Format::kAuto);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.format, Format::kIomem);
  EXPECT_NE(r.error.find("dump.txt: every range reads 00000000-00000000"), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("root"), std::string::npos) << r.error;
  // One real address is enough to read it as a privileged copy.
  EXPECT_TRUE(ImportText("00000000-00000000 : Reserved\n00001000-0009ffff : System RAM\n",
                         Format::kIomem)
                  .ok);
}

// Malformed ranges name the line.
TEST(Iomem, Errors) {
  EXPECT_EQ(L("00100000-000fffff : System RAM").kind, LineKind::kError);
  EXPECT_EQ(L("100000000000000000-100000000000000fff : System RAM").kind, LineKind::kError);
  EXPECT_EQ(L("00100000-001fffff : ").kind, LineKind::kError);
  ImportResult r = ImportText("00000000-0009ffff : System RAM\n00100000-0000ffff : System RAM\n",
                              Format::kIomem);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("dump.txt:2: end 0xffff is below start 0x100000", 0), 0u) << r.error;
}

}  // namespace
}  // namespace bootmap::importer
