#include <gtest/gtest.h>

#include <string>

#include "sim/io/import/parsers.h"
#include "sim/io/import/test_util.h"

namespace bootmap::importer {
namespace {

using test::Classify;
using test::Efi;
using test::ImportText;

Line S(std::string_view text) { return Classify(&ClassifyUefiShell, text); }

// EFI 2.x names; End is inclusive; attributes are the raw hex.
TEST(UefiShell, Efi2Names) {
  struct Case {
    std::string_view name;
    uint32_t type;
  } cases[] = {{"Reserved", 0},  {"LoaderCode", 1}, {"LoaderData", 2}, {"BS_Code", 3},
               {"BS_Data", 4},   {"RT_Code", 5},    {"RT_Data", 6},    {"Available", 7},
               {"Unusable", 8},  {"ACPI_Recl", 9},  {"ACPI_NVS", 10},  {"MMIO", 11},
               {"MMIO_Port", 12}, {"PalCode", 13},  {"Persistent", 14}};
  for (const Case& c : cases) {
    Line l = S(std::string(c.name) + "  0000000000100000-00000000001FFFFF 0000000000000100 800000000000000F");
    ASSERT_EQ(l.kind, LineKind::kEntry) << c.name << ": " << l.text;
    EXPECT_EQ(l.efi, Efi(c.type, 0x100000, 0x100, 0x800000000000000f)) << c.name;
  }
}

// EFI 1.x shells print lower-case names.
TEST(UefiShell, Efi1Names) {
  struct Case {
    std::string_view name;
    uint32_t type;
  } cases[] = {{"available", 7}, {"BS_data", 4},  {"BS_code", 3},   {"RT_code", 5},
               {"RT_data", 6},   {"ACPI_recl", 9}, {"MemMapIO", 11}, {"reserved", 0},
               {"MemPortIO", 12}, {"PAL_code", 13}};
  for (const Case& c : cases) {
    Line l = S(std::string(c.name) + " 0000000000000000-000000000008EFFF 000000000000008F 000000000000000F");
    ASSERT_EQ(l.kind, LineKind::kEntry) << c.name << ": " << l.text;
    EXPECT_EQ(l.efi, Efi(c.type, 0, 0x8f, 0xf)) << c.name;
  }
}

// Header and footer are recognised, not entries; the map imports under --strict.
TEST(UefiShell, HeaderAndFooter) {
  EXPECT_EQ(S("Type       Start            End              # Pages          Attributes").kind,
            LineKind::kHeader);
  EXPECT_EQ(S("  Reserved  :         18,689 Pages (76,550,144 Bytes)").kind, LineKind::kNeutral);
  EXPECT_EQ(S("              -------------- ").kind, LineKind::kNeutral);
  EXPECT_EQ(S("Total Memory:          3,994 MB (4,188,663,808 Bytes)").kind, LineKind::kNeutral);
  std::string text =
      "Type       Start            End              # Pages          Attributes\n"
      "available  0000000000000000-000000000008EFFF 000000000000008F 000000000000000F\n"
      "BS_data    000000000008F000-000000000008FFFF 0000000000000001 000000000000000F\n"
      "\n"
      "  Reserved  :              0 Pages (0 Bytes)\n"
      "  Available :            143 Pages (585,728 Bytes)\n"
      "Total Memory:          0 MB (589,824 Bytes)\n";
  ImportResult r = ImportText(text, Format::kAuto, /*strict=*/true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.format, Format::kUefiShell);
  EXPECT_EQ(r.map.efi, (std::vector<map::EfiDescriptor>{Efi(7, 0, 0x8f, 0xf), Efi(4, 0x8f000, 1, 0xf)}));
}

// `memmap > file` in the UEFI Shell writes UTF-16LE with a byte-order mark.
TEST(UefiShell, Utf16File) {
  std::string ascii =
      "Type       Start            End              # Pages          Attributes\r\n"
      "Available  0000000000000000-000000000008EFFF 000000000000008F 000000000000000F\r\n";
  std::string utf16 = "\xff\xfe";
  for (char c : ascii) {
    utf16.push_back(c);
    utf16.push_back('\0');
  }
  ImportResult r = ImportText(utf16, Format::kAuto, /*strict=*/true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.format, Format::kUefiShell);
  EXPECT_EQ(r.map.efi, (std::vector<map::EfiDescriptor>{Efi(7, 0, 0x8f, 0xf)}));
}

// #Pages must match the range.
TEST(UefiShell, PagesChecked) {
  Line l = S("Available  0000000000008000-000000000005DFFF 0000000000000057 000000000000000F");
  ASSERT_EQ(l.kind, LineKind::kError);
  EXPECT_EQ(l.text, "#Pages 0x57 does not match the range 0x8000-0x5dfff (0x56 pages)");
}

// Malformed memmap lines are errors; prose is not a memmap line.
TEST(UefiShell, Errors) {
  EXPECT_EQ(S("Availabel  0000000000008000-000000000005DFFF 0000000000000056 000000000000000F").kind,
            LineKind::kError);
  EXPECT_EQ(S("Available  0000000000008000-00000000000ZDFFF 0000000000000056 000000000000000F").kind,
            LineKind::kError);
  EXPECT_EQ(S("Available  0000000000008000-000000000005DFFF 0000000000000056").kind, LineKind::kError);
  EXPECT_EQ(S("Available  0000000000008800-000000000005DFFF 0000000000000056 000000000000000F").kind,
            LineKind::kError);
  EXPECT_EQ(S("Shell> memmap").kind, LineKind::kOther);
  EXPECT_EQ(S("Available memory is listed below").kind, LineKind::kOther);
  EXPECT_EQ(S("Available 00000000").kind, LineKind::kError);
}

}  // namespace
}  // namespace bootmap::importer
