#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "sim/io/import/test_util.h"

namespace bootmap::importer {
namespace {

using test::E;
using test::E820Facts;
using test::FactsOf;
using test::ImportFixture;
using test::ImportText;

constexpr const char* kAsus = "asus-k52jt-dmesg-mtrr-e820-update.txt";
constexpr const char* kDell = "dell-poweredge-c6525-dmesg-amd-pat.txt";

// Real logs, counted by hand: the Asus lists 33 BIOS-e820 lines (top 0x23c000000, usable
// 0x9bc00 + 0xbebf1000 + 0xfc000000 + 0x3c000000); its first update splits the first entry
// (page 0 becomes reserved: 34 entries, 4 KiB less usable), the remove and the two
// mtrr_cleanup updates find no usable RAM in their ranges. The Dell is the same shape:
// 19 lines, one split, 4 KiB less usable.
TEST(KernelView, RealLogsHandChecked) {
  struct Case {
    const char* name;
    E820Facts firmware, kernel;
    size_t applied;
  } cases[] = {
      {kAsus, {33, 0x23c000000, 0x1f6c8cc00}, {34, 0x23c000000, 0x1f6c8bc00}, 4},
      {kDell, {19, 0x4080000000, 0x3fe7ae1000}, {20, 0x4080000000, 0x3fe7ae0000}, 2},
  };
  for (const Case& c : cases) {
    ImportResult fw = ImportFixture(c.name, Format::kAuto);
    ASSERT_TRUE(fw.ok) << fw.error;
    EXPECT_EQ(FactsOf(fw.map), c.firmware) << c.name;
    ImportResult kv = ImportFixture(c.name, Format::kAuto, true, /*kernel_view=*/true);
    ASSERT_TRUE(kv.ok) << kv.error;
    EXPECT_EQ(FactsOf(kv.map), c.kernel) << c.name;
    EXPECT_EQ(kv.map.e820[0], E(0, 0x1000, 2)) << c.name;
    size_t notes = 0;
    for (const std::string& n : kv.notes) notes += n.find("--kernel-view: applied") != n.npos;
    EXPECT_EQ(notes, c.applied) << c.name;
    EXPECT_NE(kv.map.origin.find("kernel view: " + std::to_string(c.applied)), std::string::npos)
        << kv.map.origin;
  }
}

// Without the flag the lines change nothing; --strict says they were ignored.
TEST(KernelView, IgnoredWithoutTheFlag) {
  ImportResult lax = ImportFixture(kAsus, Format::kAuto, /*strict=*/false);
  ASSERT_TRUE(lax.ok);
  EXPECT_FALSE(test::AnyHas(lax.warnings, "e820 update/remove"));
  ImportResult strict = ImportFixture(kAsus, Format::kAuto, /*strict=*/true);
  ASSERT_TRUE(strict.ok);
  EXPECT_TRUE(test::AnyHas(strict.warnings, "4 e820 update/remove lines of the kernel were ignored"));
  EXPECT_EQ(strict.map.e820, lax.map.e820);
}

// An update inside one entry splits it in three; a remove with no type takes every type;
// an update only touches entries of its old type (arch/x86/kernel/e820.c).
TEST(KernelView, SplitsAndTypes) {
  std::string log = std::string(test::kUsableLine) +
                    "BIOS-e820: [mem 0x0000000080000000-0x000000008fffffff] reserved\n"
                    "e820: update [mem 0x10000000-0x10000fff] usable ==> reserved\n"
                    "e820: update [mem 0x80000000-0x80000fff] usable ==> reserved\n"
                    "e820: remove [mem 0x8f000000-0x9fffffff]\n";
  ImportResult r = ImportText(log, Format::kDmesg, false, true);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.map.e820.size(), 4u);
  EXPECT_EQ(r.map.e820[0], E(0x100000, 0xff00000, 1));
  EXPECT_EQ(r.map.e820[1], E(0x10000000, 0x1000, 2));
  EXPECT_EQ(r.map.e820[2], E(0x10001000, 0x6ffff000, 1));
  EXPECT_EQ(r.map.e820[3], E(0x80000000, 0xf000000, 2));
}

// Linux <= 3.x printed exclusive ends and parenthesised types.
TEST(KernelView, OldForm) {
  std::string log = std::string(test::kUsableLine) +
                    "e820 update range: 0000000000100000 - 0000000000101000 (usable) ==> "
                    "(reserved)\n"
                    "e820 remove range: 000000007ffff000 - 0000000080000000 (usable)\n";
  ImportResult r = ImportText(log, Format::kDmesg, false, true);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.map.e820.size(), 2u);
  EXPECT_EQ(r.map.e820[0], E(0x100000, 0x1000, 2));
  EXPECT_EQ(r.map.e820[1], E(0x101000, 0x7fefe000, 1));
}

// Edits printed before the map that was imported are already in it: not applied, counted.
TEST(KernelView, EditsBeforeTheMapAreNotApplied) {
  std::string log = "e820: update [mem 0x00100000-0x00100fff] usable ==> reserved\n" +
                    std::string(test::kUsableLine);
  ImportResult r = ImportText(log, Format::kDmesg, false, true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.e820.size(), 1u);
  EXPECT_TRUE(test::AnyHas(r.warnings, "1 e820 update/remove lines before the imported map"));
}

// Edits that keep splitting entries stop at the entry limit with a clear error, no map.
TEST(KernelView, ManyEditsHitTheLimit) {
  std::string log(test::kUsableLine);
  char line[96];
  for (uint64_t i = 0; i < 4000; ++i) {
    uint64_t page = 0x200000 + i * 0x2000;
    std::snprintf(line, sizeof line, "e820: update [mem 0x%llx-0x%llx] usable ==> reserved\n",
                  static_cast<unsigned long long>(page), static_cast<unsigned long long>(page + 0xfff));
    log += line;
  }
  ImportOptions options;
  options.source = "dump.txt";
  options.kernel_view = true;
  options.max_entries = 4096;
  ImportResult r = Import(log, Format::kDmesg, options);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("--kernel-view: too many e820 changes"), std::string::npos) << r.error;
  EXPECT_TRUE(r.map.e820.empty());
  options.max_entries = 10000;
  r = Import(log, Format::kDmesg, options);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.e820.size(), 8001u);
  // One edit splits each of three overlapping entries in three: 9 entries, past a limit of 8.
  std::string usable(test::kUsableLine);
  std::string three = usable + usable + usable +
                      "e820: update [mem 0x10000000-0x10000fff] usable ==> reserved\n";
  options.max_entries = 9;
  r = Import(three, Format::kDmesg, options);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.e820.size(), 9u);
  options.max_entries = 8;
  EXPECT_FALSE(Import(three, Format::kDmesg, options).ok);
}

// A malformed edit is an error naming its line (only when it would be applied); the flag
// is refused for input that is not a dmesg.
TEST(KernelView, Errors) {
  std::string log = std::string(test::kUsableLine) +
                    "e820: update [mem 0x00100000-0x00100fff] usable =3D=3D> reserved\n";
  EXPECT_TRUE(ImportText(log, Format::kDmesg).ok);
  ImportResult r = ImportText(log, Format::kDmesg, false, true);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("dump.txt:2: expected \"e820: update [mem 0xA-0xB] TYPE ==> TYPE\"", 0),
            0u)
      << r.error;
  EXPECT_TRUE(r.map.e820.empty());
  r = ImportText("base_addr = 0x0, length = 0x9fc00, type = 1\n", Format::kAuto, false, true);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("--kernel-view applies"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace bootmap::importer
