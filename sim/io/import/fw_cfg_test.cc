#include <gtest/gtest.h>

#include <string>

#include "sim/io/import/test_util.h"

namespace bootmap::importer {
namespace {

using test::E;
using test::ImportText;

// One little-endian etc/e820 entry: u64 address, u64 length, u32 type.
std::string Entry(uint64_t address, uint64_t length, uint32_t type) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(address >> (8 * i)));
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(length >> (8 * i)));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(type >> (8 * i)));
  return out;
}

// The binary table decodes entry by entry; auto-detection sees the NUL bytes.
TEST(FwCfg, DecodesLittleEndian) {
  std::string bytes = Entry(0, 0x80000000, 1) + Entry(0xfd00000000, 0x300000000, 2) +
                      Entry(0x100000000, 0x80000000, 1);
  ImportResult r = ImportText(bytes, Format::kAuto);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.format, Format::kFwCfg);
  EXPECT_EQ(r.map.e820, (std::vector<map::E820Entry>{E(0, 0x80000000, 1),
                                                     E(0xfd00000000, 0x300000000, 2),
                                                     E(0x100000000, 0x80000000, 1)}));
  EXPECT_EQ(r.map.origin, "QEMU fw_cfg etc/e820 imported from dump.txt");
}

// A size that is not a multiple of 20, or an entry passing 2^64, is an error.
TEST(FwCfg, Errors) {
  ImportResult r = ImportText(Entry(0, 0x1000, 1) + std::string(3, '\0'), Format::kFwCfg);
  EXPECT_EQ(r.error, "dump.txt: expected a whole number of 20-byte etc/e820 entries, got 23 bytes");
  r = ImportText(Entry(0, 0x1000, 1) + Entry(0xfffffffffffff000, 0x2000, 2), Format::kFwCfg);
  EXPECT_EQ(r.error, "dump.txt: entry 1 (byte 20): address 0xfffffffffffff000 + length 0x2000 passes 2^64");
  r = ImportText(Entry(0, 0x1000, 1) + Entry(0x1000, 0, 2), Format::kFwCfg);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], "dump.txt: entry 1 (byte 20): zero-length entry at 0x1000");
}

}  // namespace
}  // namespace bootmap::importer
