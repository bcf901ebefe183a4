#include <gtest/gtest.h>

#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/test_util.h"

namespace bootmap::importer {
namespace {

using test::Classify;
using test::E;
using test::ImportText;
namespace e820 = map::e820;

Line D(std::string_view text) { return Classify(&ClassifyDmesgE820, text); }

void ExpectEntry(std::string_view text, map::E820Entry want) {
  test::ExpectE820(&ClassifyDmesgE820, text, want);
}

// [mem a-b] has an inclusive end: 0x9fbff ends a 0x9fc00-byte region.
TEST(DmesgE820, MemFormInclusiveEnd) {
  ExpectEntry("[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable",
              E(0, 0x9fc00, e820::kUsable));
}

// Every prefix seen in the wild is accepted before the tag.
TEST(DmesgE820, AnyPrefix) {
  const map::E820Entry want = E(0x9fc00, 0x400, e820::kReserved);
  for (std::string_view prefix :
       {"", "[    0.000000] ", "kernel: ", "<6>[    0.000000] ",
        "Nov 30 13:00:01 host kernel: [    0.000000] ", "Nov 30 13:00:01 host kernel: ",
        "[Mon Nov 30 13:00:01 2026] ", "2026-11-30T13:00:01+0000 host kernel: "}) {
    ExpectEntry(std::string(prefix) + "BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
                want);
  }
}

// Linux 3.x printed 8-digit addresses: [mem 0x00000000-0x0009fbff].
TEST(DmesgE820, ShortHex) {
  ExpectEntry("BIOS-e820: [mem 0x00000000-0x0009fbff] usable", E(0, 0x9fc00, e820::kUsable));
}

// The old form has an exclusive end and no 0x.
TEST(DmesgE820, OldFormExclusiveEnd) {
  ExpectEntry(" BIOS-e820: 0000000000000000 - 000000000009f800 (usable)", E(0, 0x9f800, e820::kUsable));
  ExpectEntry(" BIOS-e820: 00000000000edbb0 - 0000000000100000 (reserved)",
              E(0xedbb0, 0x12450, e820::kReserved));
  ExpectEntry(" BIOS-e820: 00000000cec11000 - 00000000cee12000 (ACPI NVS)",
              E(0xcec11000, 0x201000, e820::kNvs));
  // Old kernels printed unknown types without parentheses.
  ExpectEntry(" BIOS-e820: 0000000100000000 - 0000000200000000 type 12",
              E(0x100000000, 0x100000000, e820::kPram));
}

// Every type name Linux prints maps to its E820 number.
TEST(DmesgE820, TypeNames) {
  struct Case {
    std::string_view text;
    uint32_t type;
  } cases[] = {
      {"usable", e820::kUsable},
      {"reserved", e820::kReserved},
      {"ACPI data", e820::kAcpi},
      {"ACPI NVS", e820::kNvs},
      {"unusable", e820::kUnusable},
      {"persistent (type 7)", e820::kPmem},
      {"persistent (type 12)", e820::kPram},
      {"persistent RAM (type 12)", e820::kPram},
      {"soft reserved", e820::kSoftReserved},
      {"type 9", 9},
      {"type 20", 20},
      {"System RAM", e820::kUsable},
      {"device reserved", e820::kReserved},
  };
  for (const Case& c : cases) {
    ExpectEntry("BIOS-e820: [mem 0x0000000100000000-0x00000001ffffffff] " + std::string(c.text),
                E(0x100000000, 0x100000000, c.type));
  }
}

// Linux 7.0: System RAM / device reserved, an optional size column, [gap] lines ignored.
TEST(DmesgE820, Linux70Shapes) {
  ExpectEntry("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff]  639 KB System RAM",
              E(0, 0x9fc00, e820::kUsable));
  ExpectEntry("BIOS-e820: [mem 0x000000007ffdf000-0x000000007fffffff]  132.0 KB device reserved",
              E(0x7ffdf000, 0x21000, e820::kReserved));
  EXPECT_EQ(D("BIOS-e820: [gap 0x0000000080000000-0x00000000afffffff]").kind, LineKind::kNeutral);
  EXPECT_EQ(D("BIOS-e820: [gap 0x0000000080000000-0x00000000afffffff]  768 MB ...").kind,
            LineKind::kNeutral);
  std::string text =
      "BIOS-provided physical RAM map:\n"
      "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] System RAM\n"
      "BIOS-e820: [gap 0x00000000000a0000-0x00000000000effff]\n"
      "[Firmware Bug]: out of order E820 entry!\n"
      "BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] device reserved\n"
      "BIOS-e820: [mem 0x0000000000100000-0x000000007ffdefff] System RAM\n";
  ImportResult r = ImportText(text, Format::kDmesg, /*strict=*/true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.e820.size(), 3u);
}

// The extended map and the Xen-modified map use other tags; sub-page boundaries are kept.
TEST(DmesgE820, OtherPrinters) {
  Line l = D("reserve setup_data: [mem 0x0000000000100000-0x000000003e5b3017] usable");
  ASSERT_EQ(l.kind, LineKind::kEntry);
  EXPECT_EQ(l.tag, 2);
  EXPECT_EQ(l.e820, E(0x100000, 0x3e4b3018, e820::kUsable));
  l = D("Xen: [mem 0x0000000000000000-0x000000000009ffff] usable");
  ASSERT_EQ(l.kind, LineKind::kEntry);
  EXPECT_EQ(l.tag, 1);
  l = D("Xen: 0000000000000000 - 00000000000a0000 (usable)");
  ASSERT_EQ(l.kind, LineKind::kEntry);
  EXPECT_EQ(l.e820, E(0, 0xa0000, e820::kUsable));
  // A 1 KiB entry stays 1 KiB.
  ExpectEntry("BIOS-e820: [mem 0x000000000009f800-0x000000000009fbff] reserved",
              E(0x9f800, 0x400, e820::kReserved));
}

// Lines that merely mention e820 or Xen are not map lines.
TEST(DmesgE820, NotMapLines) {
  for (std::string_view text :
       {"e820: update [mem 0x00000000-0x00000fff] usable ==> reserved",
        "e820: remove [mem 0x000a0000-0x000fffff] usable", "Xen: using vcpuop timer interface",
        "user: [mem 0x0000000000000000-0x000000000009fbff] usable",
        "PM: hibernation: Registered nosave memory: [mem 0x00000000-0x00000fff]"}) {
    EXPECT_EQ(D(text).kind, LineKind::kOther) << text;
  }
  EXPECT_EQ(D("e820: BIOS-provided physical RAM map:").kind, LineKind::kHeader);
}

// A tagged line that does not parse is an error saying what was expected.
TEST(DmesgE820, MalformedIsError) {
  Line l = D("BIOS-e820: [mem 0x0000000000000000-0x00000000000zzzzz] usable");
  ASSERT_EQ(l.kind, LineKind::kError);
  EXPECT_NE(l.text.find("expected \"[mem 0xSTART-0xEND]\""), std::string::npos) << l.text;
  l = D("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usabel");
  ASSERT_EQ(l.kind, LineKind::kError);
  EXPECT_NE(l.text.find("\"usabel\""), std::string::npos) << l.text;
  EXPECT_EQ(D("BIOS-e820: [mem 0x0000000000002000-0x0000000000000fff] usable").kind, LineKind::kError);
  EXPECT_EQ(D("BIOS-e820: [mem 0x0000000000000000-0xffffffffffffffff] usable").kind, LineKind::kError);
  EXPECT_EQ(D("BIOS-e820: [mem 0x00000000000000000-0x10000000000000000] usable").kind,
            LineKind::kError);
  EXPECT_EQ(D("BIOS-e820: something else").kind, LineKind::kError);
  EXPECT_EQ(D("BIOS-e820: [mem 0x0-0xfff] type 99999999999").kind, LineKind::kError);

  ImportResult r = ImportText(std::string(test::kUsableLine) + "BIOS-e820: [mem 0x1000-0xfff] usable\n",
                       Format::kDmesg);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("dump.txt:2: ", 0), 0u) << r.error;
  EXPECT_TRUE(r.map.e820.empty());  // never partial output
}

// The firmware's BIOS-e820 map wins over the kernel's extended copy, with a warning.
TEST(DmesgE820, PrefersFirmwareBlock) {
  std::string text =
      "e820: BIOS-provided physical RAM map:\n"
      "BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff] usable\n"
      "e820: extended physical RAM map:\n"
      "reserve setup_data: [mem 0x0000000000000000-0x0000000000000fff] usable\n"
      "reserve setup_data: [mem 0x0000000000001000-0x000000007fffffff] usable\n";
  ImportResult r = ImportText(text, Format::kAuto);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.e820, (std::vector<map::E820Entry>{E(0, 0x80000000, e820::kUsable)}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("reserve setup_data map (2 entries) was ignored"), std::string::npos)
      << r.warnings[0];
}

// A second printout of the same map (two boots in one log) is ignored with a warning.
TEST(DmesgE820, SecondBootIgnored) {
  std::string boot =
      "BIOS-provided physical RAM map:\n"
      "BIOS-e820: [mem 0x0000000000000000-0x000000007fffffff] usable\n"
      "Linux version 6.1\n";
  ImportResult r = ImportText(boot + boot, Format::kDmesg);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.e820.size(), 1u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].rfind("dump.txt:5: another BIOS-e820 map", 0), 0u) << r.warnings[0];
}

// --strict: an unrecognised line between two entries of a map is an error; lines after the
// map are not. Without --strict the line is skipped.
TEST(DmesgE820, Strict) {
  std::string text =
      "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
      "BIOS-e82O: [mem 0x000000000009fc00-0x000000000009ffff] reserved\n"
      "BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n"
      "Linux version 6.1 (after the map)\n";
  ImportResult lenient = ImportText(text, Format::kDmesg);
  ASSERT_TRUE(lenient.ok) << lenient.error;
  EXPECT_EQ(lenient.map.e820.size(), 2u);
  ImportResult strict = ImportText(text, Format::kDmesg, true);
  EXPECT_FALSE(strict.ok);
  EXPECT_EQ(strict.error.rfind("dump.txt:2: unrecognised line inside the BIOS-e820 map", 0), 0u)
      << strict.error;
}

// Entries keep the firmware's order, unsorted and overlapping as they came.
TEST(DmesgE820, OrderKept) {
  std::string text =
      "BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] usable\n"
      "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
      "BIOS-e820: [mem 0x0000000000000000-0x0000000000000fff] reserved\n";
  ImportResult r = ImportText(text, Format::kDmesg);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.e820, (std::vector<map::E820Entry>{E(0x100000000, 0x80000000, 1), E(0, 0xa0000, 1),
                                                     E(0, 0x1000, 2)}));
}

}  // namespace
}  // namespace bootmap::importer
