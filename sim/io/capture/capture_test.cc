// bootmap capture over fake /sys, /proc and /dev trees: every source, every missing one, and
// hostile files (NUL bytes, huge lines, numbers past 64 bits) -> an error naming file and line.
#include "sim/io/capture/capture.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/io/capture/sources.h"
#include "sim/io/map_json.h"

namespace bootmap::capture {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class FakeTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("bootmap-capture-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Put(const std::string& path, const std::string& text) {
    fs::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path, std::ios::binary) << text;
  }
  // The memmap of this file's QEMU guest (real: sim/io/import/testdata/qemu-kvm-2node-64g-sysfs-memmap.txt shape).
  void Memmap() {
    const char* e[][3] = {{"0x0", "0x9fbff", "System RAM"},
                          {"0x9fc00", "0x9ffff", "Reserved"},
                          {"0xf0000", "0xfffff", "Reserved"},
                          {"0x100000", "0xbffdffff", "System RAM"},
                          {"0xbffe0000", "0xbfffffff", "Reserved"},
                          {"0x100000000", "0x23fffffff", "System RAM"}};
    for (int i = 0; i < 6; ++i) {
      Put("sys/firmware/memmap/" + std::to_string(i) + "/start", std::string(e[i][0]) + "\n");
      Put("sys/firmware/memmap/" + std::to_string(i) + "/end", std::string(e[i][1]) + "\n");
      Put("sys/firmware/memmap/" + std::to_string(i) + "/type", std::string(e[i][2]) + "\n");
    }
  }
  void Cpuinfo(const std::string& vendor = "GenuineIntel", const std::string& bits = "39") {
    Put("proc/cpuinfo", "processor\t: 0\nvendor_id\t: " + vendor +
                            "\nflags\t\t: fpu vme pae nx pdpe1gb lm\nvmx flags\t: vnmi ept ept_x_only ept_ad ept_1gb\n"
                            "address sizes\t: " + bits + " bits physical, 48 bits virtual\n\nprocessor\t: 1\n"
                            "vendor_id\t: AuthenticAMD\naddress sizes\t: 52 bits physical, 57 bits virtual\n\n");
  }
  CaptureResult Run() {
    CaptureOptions o;
    o.root = root_.string();
    o.name = "fake";
    return Capture(o);
  }
  bool Warned(const CaptureResult& r, const std::string& part) {
    for (const std::string& w : r.warnings) {
      if (w.find(part) != std::string::npos) return true;
    }
    return false;
  }
  std::string P(const std::string& path) { return (root_ / path).string(); }

  fs::path root_;
};

const char kIomem[] =
    "00000000-00000fff : Reserved\n"
    "00001000-0009fbff : System RAM\n"
    "00100000-bffdffff : System RAM\n"
    "  01000000-01e00b17 : Kernel code\n"
    "  02000000-0235cfff : Kernel rodata\n"
    "  02400000-0272c6bf : Kernel data\n"
    "  02c5d000-02ffffff : Kernel bss\n"
    "c0000000-febfffff : PCI Bus 0000:00\n"
    "  fd000000-fdffffff : 0000:00:01.0\n"
    "    fd000000-fd2fffff : BOOTFB\n"
    "100000000-23fffffff : System RAM\n";

const char kProcMtrr[] =
    "reg00: base=0x000000000 (    0MB), size= 2048MB, count=1: write-back\n"
    "reg01: base=0x080000000 ( 2048MB), size= 1024MB, count=1: write-back\n"
    "reg02: base=0x0000c0000 (    0MB), size=  256KB, count=1: uncachable\n";

// Every text source present, no MSR device: E820, CPU, variable MTRRs (rest unknown), kernel
// ranges, framebuffer; each source in the origin, the missing ones warned about.
TEST_F(FakeTree, EverySourceButTheMsrs) {
  Memmap();
  Cpuinfo();
  Put("proc/mtrr", kProcMtrr);
  Put("proc/iomem", kIomem);
  Put("dev/kmsg", "6,1,0,-;Linux version 6.1\n SUBSYSTEM=x\n6,2,0,-;x86/PAT: Configuration [0-7]: WB  WC  UC- UC\n");
  CaptureResult r = Run();
  ASSERT_TRUE(r.ok) << r.error;
  const map::MemoryMap& m = r.map;
  EXPECT_EQ(m.name, "fake");
  ASSERT_EQ(m.e820.size(), 6u);
  EXPECT_EQ(m.e820[5].base, 0x100000000u);
  EXPECT_EQ(m.e820[5].size, 0x140000000u);
  EXPECT_EQ(m.e820[1].type, map::e820::kReserved);
  EXPECT_TRUE(m.efi.empty());
  EXPECT_EQ(m.cpu.vendor, map::CpuVendor::kIntel);  // the first processor's block only
  EXPECT_EQ(m.cpu.maxphyaddr, 39);
  EXPECT_TRUE(m.cpu.nx);
  EXPECT_TRUE(m.cpu.page1gb);
  EXPECT_FALSE(m.cpu.la57);
  EXPECT_TRUE(m.cpu.ept.page1gb);
  EXPECT_FALSE(m.cpu.ept.five_level);
  ASSERT_TRUE(m.mtrr);
  EXPECT_FALSE(m.mtrr->default_known);
  EXPECT_FALSE(m.mtrr->fixed_known);
  ASSERT_EQ(m.mtrr->variable.size(), 3u);
  EXPECT_EQ(m.mtrr->variable[1].base, 0x80000000u);
  EXPECT_EQ(m.mtrr->variable[1].mask, 0x7fc0000000u);  // 1 GiB under 39 bits
  EXPECT_EQ(m.mtrr->variable[2].mask, 0x7ffffc0000u);  // 256 KiB
  EXPECT_EQ(m.mtrr->variable[2].type, MemType::kUC);
  ASSERT_EQ(m.used.size(), 4u);
  EXPECT_EQ(m.used[0].name, "kernel-code");
  EXPECT_EQ(m.used[0].role, RangeRole::kCode);
  EXPECT_EQ(m.used[0].base, 0x1000000u);
  EXPECT_EQ(m.used[0].size, 0xe00b18u);
  EXPECT_EQ(m.used[3].name, "kernel-bss");
  EXPECT_EQ(m.used[3].role, RangeRole::kData);
  ASSERT_TRUE(m.framebuffer);
  EXPECT_EQ(m.framebuffer->base, 0xfd000000u);
  EXPECT_EQ(m.framebuffer->size, 0x300000u);
  for (const char* src : {"sys/firmware/memmap", "proc/cpuinfo", "proc/mtrr", "proc/iomem"})
    EXPECT_NE(m.origin.find(P(src)), std::string::npos) << src << " not in " << m.origin;
  EXPECT_TRUE(Warned(r, P("dev/cpu/0/msr") + ": No such file or directory"));
  EXPECT_TRUE(Warned(r, P("sys/firmware/efi/runtime-map") + ": missing"));
  EXPECT_TRUE(Warned(r, P("dev/kmsg") + ": no BIOS-e820 or efi: mem lines"));
  EXPECT_TRUE(Warned(r, "ept.page2m true assumed"));
  // It saves and loads back as the same map, "unknown" MTRR parts included.
  map::MemoryMap back;
  io::LoadResult lr = io::ParseMap(io::SaveMap(m), "x.json", &back);
  ASSERT_TRUE(lr.ok) << lr.error;
  EXPECT_EQ(back, m);
}

// The kernel log's efi: mem lines give the full EFI map; the runtime-map is checked against it.
TEST_F(FakeTree, EfiMapFromTheKernelLogAndRuntimeMap) {
  const char* root = std::getenv("BOOTMAP_ROOT");
  const std::string dump = ReadFile(fs::path(root ? root : ".") / "sim/io/import/testdata/qemu-7.2-q35-epyc-4g-ovmf-efi.txt");
  std::string kmsg;
  std::istringstream in(dump);
  int seq = 0;
  for (std::string line; std::getline(in, line);) {
    const size_t bracket = line.find("] ");
    if (line.rfind("[", 0) == 0 && bracket != std::string::npos) kmsg += "6," + std::to_string(seq++) + ",0,-;" + line.substr(bracket + 2) + "\n";
  }
  Put("dev/kmsg", kmsg);
  Cpuinfo("AuthenticAMD", "40");
  // Runtime code 0x7f9ed000, 0x100 pages (mem110 of that dump), and a descriptor the map lacks.
  const char* rt[2][5] = {{"0x5", "0x7f9ed000", "0x100", "0x800000000000000f", "0xfffffffeff9ed000"},
                          {"0x6", "0x7f000000", "0x1", "0x800000000000000f", "0x0"}};
  const char* fields[5] = {"type", "phys_addr", "num_pages", "attribute", "virt_addr"};
  for (int i = 0; i < 2; ++i) {
    for (int f = 0; f < 5; ++f)
      Put("sys/firmware/efi/runtime-map/" + std::to_string(i) + "/" + fields[f], std::string(rt[i][f]) + "\n");
  }
  CaptureResult r = Run();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.map.efi.size(), 125u);  // the dump's 125 efi: mem lines
  EXPECT_NE(r.map.origin.find("EFI map (125 descriptors) from " + P("dev/kmsg")), std::string::npos) << r.map.origin;
  EXPECT_TRUE(r.map.e820.empty());
  EXPECT_EQ(r.map.cpu.vendor, map::CpuVendor::kAmd);
  EXPECT_TRUE(Warned(r, P("sys/firmware/memmap") + ": missing"));
  EXPECT_TRUE(Warned(r, P("proc/mtrr") + ": No such file or directory: no MTRRs"));
  EXPECT_FALSE(r.map.mtrr);
  EXPECT_TRUE(Warned(r, "1 of 2 runtime descriptors are not in the kernel log's EFI map"));
  EXPECT_NE(r.map.origin.find("EFI runtime descriptors (2) from " + P("sys/firmware/efi/runtime-map") +
                              ", checked against the EFI map"),
            std::string::npos);
  EXPECT_TRUE(r.map.used.empty());
}

// Without the full EFI map, runtime descriptors become used ranges (code: role code).
TEST_F(FakeTree, RuntimeMapWithoutEfiMapIsUsedRanges) {
  Memmap();
  Put("sys/firmware/efi/runtime-map/0/type", "0x5\n");
  Put("sys/firmware/efi/runtime-map/0/phys_addr", "0xbffe0000\n");
  Put("sys/firmware/efi/runtime-map/0/num_pages", "0x10\n");
  Put("sys/firmware/efi/runtime-map/0/attribute", "0x800000000000000f\n");
  Put("sys/firmware/efi/runtime-map/0/virt_addr", "0x0\n");
  CaptureResult r = Run();
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.map.used.size(), 1u);
  EXPECT_EQ(r.map.used[0].base, 0xbffe0000u);
  EXPECT_EQ(r.map.used[0].size, 0x10000u);
  EXPECT_EQ(r.map.used[0].role, RangeRole::kCode);
  EXPECT_TRUE(Warned(r, P("proc/cpuinfo") + ": No such file or directory: CPU facts are the map defaults"));
}

// A readable MSR device whose IA32_MTRR_DEF_TYPE has E clear: all memory UC, no ranges.
TEST_F(FakeTree, MsrDeviceWithMtrrsDisabled) {
  Memmap();
  Put("dev/cpu/0/msr", std::string(0x400, '\0'));
  Put("proc/mtrr", kProcMtrr);  // not read: the MSRs win
  CaptureResult r = Run();
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_TRUE(r.map.mtrr);
  EXPECT_TRUE(r.map.mtrr->default_known);
  EXPECT_EQ(r.map.mtrr->default_type, MemType::kUC);
  EXPECT_TRUE(r.map.mtrr->variable.empty());
  EXPECT_NE(r.map.origin.find("from " + P("dev/cpu/0/msr")), std::string::npos);
  EXPECT_EQ(r.map.origin.find("proc/mtrr"), std::string::npos);
}

// A short MSR file (a read past its end, as EIO on a CPU without the MSR) falls back to /proc/mtrr.
TEST_F(FakeTree, UnreadableMsrFallsBackToProcMtrr) {
  Memmap();
  Put("dev/cpu/0/msr", std::string(0x200, 0));
  Put("proc/mtrr", kProcMtrr);
  CaptureResult r = Run();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(Warned(r, P("dev/cpu/0/msr") + ": MSR 0x2ff not readable"));
  ASSERT_TRUE(r.map.mtrr);
  EXPECT_EQ(r.map.mtrr->variable.size(), 3u);
}

// Without CAP_SYS_ADMIN /proc/iomem shows every address as 0: said, nothing taken.
TEST_F(FakeTree, HiddenIomemIsAWarning) {
  Memmap();
  Put("proc/iomem", "00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n  00000000-00000000 : Kernel code\n");
  CaptureResult r = Run();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.map.used.empty());
  EXPECT_TRUE(Warned(r, P("proc/iomem") + ": every address reads 0 (needs root: CAP_SYS_ADMIN)"));
}

TEST_F(FakeTree, NoMapAtAllIsAnError) {
  Cpuinfo();
  CaptureResult r = Run();
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, P("sys/firmware/memmap") + ": no memory map: no firmware E820 there and no BIOS-e820 or efi: mem "
                                                "lines in " + P("dev/kmsg"));
  EXPECT_TRUE(r.map.e820.empty());
}

struct Hostile {
  const char* file;
  std::string text;
  std::string error;  // after the file's path
};

// Bad content anywhere: an error naming the file and line, and no map.
TEST_F(FakeTree, HostileFilesNameFileAndLine) {
  const Hostile cases[] = {
      {"proc/cpuinfo", "processor\t: 0\nvendor_id\t: Genuine\0Intel\n"s, ":2: NUL byte at column 20"},
      {"proc/cpuinfo", "processor\t: 0\naddress sizes\t: 99999999999999999999999 bits physical\n",
       ":2: expected \"N bits physical, M bits virtual\", got \"99999999999999999999999 bits physical\""},
      {"proc/cpuinfo", "processor\t: 0\naddress sizes\t: 64 bits physical\n", ":2: 64 bits physical is outside 32..52"},
      {"proc/iomem", "00000000-00000fff : Reserved\n" + std::string(100000, 'x') + "\n", ":2: line longer than 65536 bytes"},
      {"proc/iomem", "00000000-00000fff : Reserved\n1000-1ffffffffffffffffff : System RAM\n",
       ":2: expected \"START-END : NAME\" with hex numbers of at most 64 bits"},
      {"proc/iomem", "2000-1000 : System RAM\n", ":1: end 0x1000 is below start 0x2000"},
      {"proc/iomem", "10000000000000-10000000ffffff : System RAM\n  10000000000000-10000000000fff : Kernel code\n",
       ":2: Kernel code ends at 0x10000000000fff, beyond any x86-64 physical address (2^52)"},
      {"proc/iomem", "\x7f" "ELF\x02\x01\x01", ":1: control byte 0x7f at column 1 (binary data in a text file)"},
      {"proc/mtrr", "reg00: base=0x000000000 (    0MB), size=99999999999999999999MB, count=1: write-back\n",
       ":1: expected a decimal size of at most 64 bits"},
      {"proc/mtrr", "reg00: base=0x000000000 (    0MB), size= 3MB, count=1: write-back\n",
       ":1: the range is not a power of two"},
      {"proc/mtrr", "reg00: base=0x000000000 (    0MB), size= 2048MB, count=1: strange\n", ":1: expected a type"},
      {"sys/firmware/efi/runtime-map/0/type", "0x1ffffffffffffffffff\n", ":1: expected a number (0x hex) of at most 64 bits"},
      {"dev/kmsg", "6,1,0,-;BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n6,2,0,-;x\0y\n"s,
       ":2: NUL byte"},
  };
  for (const Hostile& h : cases) {
    fs::remove_all(root_);
    Memmap();
    Put(h.file, h.text);
    CaptureResult r = Run();
    EXPECT_FALSE(r.ok) << h.file;
    EXPECT_EQ(r.error.rfind(P(h.file) + h.error, 0), 0u) << r.error;
    EXPECT_TRUE(r.map.e820.empty() && r.map.used.empty()) << h.file;
  }
}

// IA32_MTRR* MSRs decoded by SDM Vol. 3A 12.11: the default, the fixed ranges, valid variable pairs.
TEST(MtrrMsrs, DecodesDefaultFixedAndVariable) {
  MtrrMsrs m;
  m.cap = 0x100 | 2;                         // FIX, VCNT 2
  m.def_type = (1u << 11) | (1u << 10) | 0;  // E, FE, default UC
  for (uint64_t& f : m.fixed) f = 0x0606060606060606ull;  // all WB ...
  m.fixed[1] = 0x0000000006060606ull;        // ... but 0x90000-0x9ffff UC
  m.variable = {{0x0 | 6, 0x7f80000000ull | 0x800},  // 0-2 GiB WB, valid
                {0x80000000ull | 0, 0x7fc0000000ull}};  // V clear: unused
  map::Mtrrs out;
  std::string error;
  ASSERT_TRUE(DecodeMtrrMsrs(m, "msr", 39, &out, &error)) << error;
  EXPECT_TRUE(out.default_known);
  EXPECT_EQ(out.default_type, MemType::kUC);
  ASSERT_EQ(out.fixed.size(), 3u);
  EXPECT_EQ(out.fixed[0].base, 0u);
  EXPECT_EQ(out.fixed[0].size, 0x90000u);
  EXPECT_EQ(out.fixed[1].base, 0x90000u);
  EXPECT_EQ(out.fixed[1].size, 0x10000u);
  EXPECT_EQ(out.fixed[1].type, MemType::kUC);
  EXPECT_EQ(out.fixed[2].base, 0xa0000u);
  EXPECT_EQ(out.fixed[2].size, 0x60000u);
  ASSERT_EQ(out.variable.size(), 1u);
  EXPECT_EQ(out.variable[0].mask, 0x7f80000000u);
  EXPECT_EQ(out.variable[0].type, MemType::kWB);
  // FE clear: the fixed ranges are disabled.
  m.def_type &= ~uint64_t{1u << 10};
  ASSERT_TRUE(DecodeMtrrMsrs(m, "msr", 39, &out, &error));
  EXPECT_TRUE(out.fixed.empty());
}

TEST(MtrrMsrs, ReservedTypesAreErrors) {
  MtrrMsrs m;
  m.cap = 1;
  m.def_type = (1u << 11) | 2;
  map::Mtrrs out;
  std::string error;
  EXPECT_FALSE(DecodeMtrrMsrs(m, "msr", 39, &out, &error));
  EXPECT_EQ(error, "msr: MSR 0x2ff (IA32_MTRR_DEF_TYPE): default type 2 is reserved (SDM Vol. 3A Table 12-8)");
  m.def_type = (1u << 11) | 6;
  m.variable = {{7, 0x7f80000800ull}};
  EXPECT_FALSE(DecodeMtrrMsrs(m, "msr", 39, &out, &error));
  EXPECT_EQ(error, "msr: MSR 0x200 (IA32_MTRR_PHYSBASE0): memory type 7 is reserved (SDM Vol. 3A Table 12-8)");
  m.cap = 0x100;
  m.def_type = (1u << 11) | (1u << 10) | 6;
  m.variable.clear();
  m.fixed[4] = 0x0300000000000000ull;
  EXPECT_FALSE(DecodeMtrrMsrs(m, "msr", 39, &out, &error));
  EXPECT_EQ(error, "msr: MSR 0x269 byte 7: memory type 3 is reserved (SDM Vol. 3A Table 12-8)");
}

}  // namespace
}  // namespace bootmap::capture
