#include <gtest/gtest.h>

#include <string>

#include "sim/io/import/test_util.h"

namespace bootmap::importer {
namespace {

using bootmap::MemType;
using map::MtrrRange;
using map::MtrrVariable;
using test::ImportFixture;
using test::ImportText;

// The Asus log's print_mtrr_state() block, read by hand: default UC, five fixed runs, six
// enabled variable ranges (two disabled), masks of 36 bits; its boot CPU is an Intel.
TEST(DmesgCpu, RealIntelLogWithMtrrs) {
  ImportResult r = ImportFixture("asus-k52jt-dmesg-mtrr-e820-update.txt", Format::kAuto);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.cpu.vendor, map::CpuVendor::kIntel);
  EXPECT_EQ(r.map.cpu.maxphyaddr, 36);
  ASSERT_TRUE(r.map.mtrr.has_value());
  const map::Mtrrs& m = *r.map.mtrr;
  EXPECT_EQ(m.default_type, MemType::kUC);
  EXPECT_EQ(m.fixed, (std::vector<MtrrRange>{{0, 0xa0000, MemType::kWB},
                                             {0xa0000, 0x20000, MemType::kUC},
                                             {0xc0000, 0x10000, MemType::kWP},
                                             {0xd0000, 0x10000, MemType::kUC},
                                             {0xe0000, 0x20000, MemType::kWP}}));
  EXPECT_EQ(m.variable, (std::vector<MtrrVariable>{{0, 0xf80000000, MemType::kWB},
                                                   {0x80000000, 0xfc0000000, MemType::kWB},
                                                   {0x100000000, 0xf00000000, MemType::kWB},
                                                   {0x200000000, 0xfc0000000, MemType::kWB},
                                                   {0x23c000000, 0xffc000000, MemType::kUC},
                                                   {0x1fc000000, 0xffc000000, MemType::kUC}}));
  EXPECT_TRUE(test::AnyHas(r.notes, ":91: cpu.vendor intel from the boot CPU line"));
  EXPECT_TRUE(test::AnyHas(r.notes, "cpu.maxphyaddr 36 from the variable MTRR masks (lines 53-68)"));
  EXPECT_TRUE(test::AnyHas(r.notes, ":69: PAT MSR the kernel loaded: \"0x7010600070106\""));
  EXPECT_TRUE(test::AnyHas(r.notes, ":80: mtrr_cleanup rewrote the variable MTRRs"));
  EXPECT_NE(r.map.origin.find("from the log: cpu.vendor (line 91), cpu.maxphyaddr (line 53), "
                              "mtrr (line 53)"),
            std::string::npos)
      << r.map.origin;
}

// The Dell log (Linux 5.15) prints the vendor and the PAT but no MTRRs: nothing is assumed.
TEST(DmesgCpu, RealAmdLogWithoutMtrrs) {
  ImportResult r = ImportFixture("dell-poweredge-c6525-dmesg-amd-pat.txt", Format::kAuto);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.cpu.vendor, map::CpuVendor::kAmd);
  EXPECT_EQ(r.map.cpu.maxphyaddr, map::CpuFacts{}.maxphyaddr);
  EXPECT_FALSE(r.map.mtrr.has_value());
  EXPECT_TRUE(test::AnyHas(r.notes, "PAT the kernel loaded: \"WB  WC  UC- UC  WB  WP  UC- WT\""));
}

// The "KERNEL supported cpus" list names both vendors; only the boot CPU line counts.
TEST(DmesgCpu, VendorOnlyFromTheBootCpu) {
  std::string log = std::string(test::kUsableLine) +
                    "KERNEL supported cpus:\n  Intel GenuineIntel\n  AMD AuthenticAMD\n";
  ImportResult r = ImportText(log, Format::kDmesg);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.map.cpu.vendor, map::CpuVendor::kUnknown);
  r = ImportText(log + "smpboot: CPU0: AMD Ryzen 7 5800X 8-Core Processor (family: 0x19)\n",
                 Format::kDmesg);
  EXPECT_EQ(r.map.cpu.vendor, map::CpuVendor::kAmd);
  // The vendor's PMU driver says it too; a CPU0 line without a vendor name says nothing.
  r = ImportText(log + "CPU0: Thermal monitoring enabled (TM1)\n"
                       "Performance Events: PEBS fmt1+, 16-deep LBR, Westmere events, Intel PMU "
                       "driver.\n",
                 Format::kDmesg);
  EXPECT_EQ(r.map.cpu.vendor, map::CpuVendor::kIntel);
  EXPECT_TRUE(test::AnyHas(r.notes, ":6: cpu.vendor intel from the PMU driver line"));
}

// A stated physical address width wins; MTRR masks that disagree with it are not imported.
TEST(DmesgCpu, StatedBitsAndInconsistentMtrrs) {
  std::string mtrr = "MTRR default type: write-back\nMTRR variable ranges enabled:\n"
                     "  0 base 0080000000 mask FF80000000 uncachable\n  1 disabled\n";
  ImportResult r = ImportText(std::string(test::kUsableLine) + mtrr, Format::kDmesg);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.map.cpu.maxphyaddr, 40);
  ASSERT_TRUE(r.map.mtrr.has_value());
  EXPECT_EQ(r.map.mtrr->default_type, MemType::kWB);
  EXPECT_TRUE(r.map.mtrr->fixed.empty());
  r = ImportText(std::string(test::kUsableLine) + "address sizes : 43 bits physical\n" + mtrr,
                 Format::kDmesg);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.map.cpu.maxphyaddr, 43);
  EXPECT_FALSE(r.map.mtrr.has_value());
  EXPECT_TRUE(test::AnyHas(r.warnings, "MTRRs not imported: the masks have 40 address bits"));
}

// Each MTRR rule, broken on purpose: a mask that is not contiguous, a base not aligned to
// its range, masks of two widths, more ranges than IA32_MTRRCAP can count, a fixed range off
// the granularity, an unknown type.
TEST(DmesgCpu, BadMtrrsAreDroppedWithAWarning) {
  const char* bad[] = {
      "  0 base 0080000000 mask FF00F00000 uncachable\n",
      "  0 base 0080100000 mask FF80000000 uncachable\n",
      ("  0 base 0080000000 mask FF80000000 uncachable\n  1 base 000000000 mask F80000000 "
       "write-back\n"),
  };
  for (const char* v : bad) {
    std::string log = std::string(test::kUsableLine) +
                      "MTRR default type: uncachable\nMTRR variable ranges enabled:\n" + v;
    ImportResult r = ImportText(log, Format::kDmesg);
    ASSERT_TRUE(r.ok) << v;
    EXPECT_FALSE(r.map.mtrr.has_value()) << v;
    EXPECT_TRUE(test::AnyHas(r.warnings, "MTRRs not imported")) << v;
  }
  std::string many = std::string(test::kUsableLine) +
                     "MTRR default type: uncachable\nMTRR variable ranges enabled:\n";
  for (int i = 0; i < 256; ++i) many += "  0 base 000000000 mask F80000000 write-back\n";
  ImportResult too_many = ImportText(many, Format::kDmesg);
  ASSERT_TRUE(too_many.ok);
  EXPECT_FALSE(too_many.map.mtrr.has_value());
  EXPECT_TRUE(test::AnyHas(too_many.warnings, "more than 255 variable ranges"));
  std::string fixed = std::string(test::kUsableLine) +
                      "MTRR default type: uncachable\nMTRR fixed ranges enabled:\n"
                      "  00000-9FFFF write-back\n  A0000-A0FFF uncachable\n";
  ImportResult r = ImportText(fixed, Format::kDmesg);
  ASSERT_TRUE(r.ok);
  ASSERT_TRUE(r.map.mtrr.has_value());
  EXPECT_EQ(r.map.mtrr->fixed.size(), 1u);  // A0000-A0FFF is 4 KiB below 0xC0000: not a fixed run
  r = ImportText(std::string(test::kUsableLine) + "MTRR default type: uncached-ish\n",
                 Format::kDmesg);
  EXPECT_FALSE(r.map.mtrr.has_value());
  EXPECT_TRUE(test::AnyHas(r.warnings, "unknown default type"));
}

// MTRRs off (E clear, "variable ranges disabled") make all memory UC (SDM Vol. 3A 12.11.2.1).
TEST(DmesgCpu, DisabledMtrrsMeanUc) {
  std::string log = std::string(test::kUsableLine) +
                    "MTRR default type: write-back\nMTRR fixed ranges disabled:\n"
                    "  00000-9FFFF write-back\nMTRR variable ranges disabled:\n"
                    "  0 base 0080000000 mask FF80000000 uncachable\n";
  ImportResult r = ImportText(log, Format::kDmesg);
  ASSERT_TRUE(r.ok);
  ASSERT_TRUE(r.map.mtrr.has_value());
  EXPECT_EQ(*r.map.mtrr, map::Mtrrs{});
  EXPECT_TRUE(test::AnyHas(r.notes, "MTRRs disabled: all memory UC"));
}

// A second boot's printout is ignored with a warning.
TEST(DmesgCpu, SecondPrintoutIgnored) {
  std::string block = "MTRR default type: uncachable\nMTRR variable ranges enabled:\n"
                      "  0 base 000000000 mask F80000000 write-back\n";
  ImportResult r = ImportText(std::string(test::kUsableLine) + block + block, Format::kDmesg);
  ASSERT_TRUE(r.ok);
  ASSERT_TRUE(r.map.mtrr.has_value());
  EXPECT_EQ(r.map.mtrr->variable.size(), 1u);
  EXPECT_TRUE(test::AnyHas(r.warnings, ":5: a second MTRR printout was ignored"));
}

}  // namespace
}  // namespace bootmap::importer
