#include "sim/emu/image.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

namespace bootmap::emu {
namespace {

std::string WriteFile(const std::string& name, const std::vector<uint8_t>& bytes) {
  std::string path = testing::TempDir() + "emu_image_test_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return path;
}

template <class T>
void Put(std::vector<uint8_t>& b, size_t at, T v) {
  if (b.size() < at + sizeof v) b.resize(at + sizeof v);
  std::memcpy(b.data() + at, &v, sizeof v);
}

struct Seg {
  uint32_t type;
  uint64_t paddr, filesz, memsz;
  uint8_t fill;
};
// An ELF64 core as QEMU's dump-guest-memory writes it: header, program headers, then data.
std::vector<uint8_t> ElfCore(const std::vector<Seg>& segs, uint16_t e_type = 4, bool xnum = false) {
  std::vector<uint8_t> b(64);
  const char ident[] = "\x7f" "ELF\x02\x01\x01";
  std::memcpy(b.data(), ident, 7);
  Put<uint16_t>(b, 16, e_type);
  Put<uint16_t>(b, 18, 62);  // EM_X86_64
  Put<uint64_t>(b, 32, 64);  // e_phoff
  Put<uint16_t>(b, 54, 56);
  Put<uint16_t>(b, 56, xnum ? 0xffff : static_cast<uint16_t>(segs.size()));
  uint64_t data = 64 + 56 * segs.size();
  if (xnum) {
    Put<uint64_t>(b, 40, data);  // e_shoff: section header 0 with sh_info = count
    Put<uint32_t>(b, data + 44, static_cast<uint32_t>(segs.size()));
    Put<uint64_t>(b, data + 56, 0);
    data += 64;
  }
  for (size_t i = 0; i < segs.size(); ++i) {
    size_t p = 64 + 56 * i;
    Put<uint32_t>(b, p, segs[i].type);
    Put<uint64_t>(b, p + 8, data);
    Put<uint64_t>(b, p + 24, segs[i].paddr);
    Put<uint64_t>(b, p + 32, segs[i].filesz);
    Put<uint64_t>(b, p + 40, segs[i].memsz);
    b.resize(data + segs[i].filesz, segs[i].fill);
    data += segs[i].filesz;
  }
  return b;
}

// A raw image lands at its address; all-zero pages are not stored.
TEST(Images, RawImage) {
  std::vector<uint8_t> bytes(3 * 4096, 0);
  bytes[5] = 0xAB;
  bytes[2 * 4096 + 8] = 0xCD;
  std::string f = WriteFile("raw", bytes);
  PhysMem mem(40);
  std::string error;
  std::vector<ImageSegment> segs;
  ASSERT_TRUE(LoadImages({f + "@0x10000"}, &mem, &error, &segs)) << error;
  EXPECT_EQ(mem.Read64(0x10000) >> 40, 0xABu);
  EXPECT_EQ(mem.Read64(0x12008) & 0xFF, 0xCDu);
  EXPECT_EQ(mem.frames(), 2u);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].pa, 0x10000u);
}

// Bad specs are errors that name the file and the problem, and load nothing.
TEST(Images, BadSpecs) {
  std::string raw = WriteFile("raw2", std::vector<uint8_t>(8192, 1));
  std::string empty = WriteFile("empty", {});
  struct Case {
    std::vector<std::string> specs;
    const char* message;
  } cases[] = {
      {{raw + "@zz"}, "bad load address"},
      {{raw + "@-1"}, "bad load address"},
      {{raw}, "not an ELF core"},
      {{"/nonexistent/x@0"}, "cannot open"},
      {{empty + "@0"}, "empty image"},
      {{raw + "@0x1000", raw + "@0x2000"}, "overlapping segments"},
      {{raw + "@0xfffffff000"}, "beyond MAXPHYADDR"},
  };
  for (const Case& c : cases) {
    PhysMem mem(40);
    std::string error;
    EXPECT_FALSE(LoadImages(c.specs, &mem, &error)) << c.message;
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
    EXPECT_EQ(mem.frames(), 0u) << c.message;
  }
}

// PT_LOAD segments of an ELF core go to their p_paddr; p_memsz beyond p_filesz reads as zero;
// a note that is no CPU note (here an empty one) is skipped.
TEST(Images, ElfCore) {
  std::string f = WriteFile("core", ElfCore({{4 /*PT_NOTE*/, 0, 12, 12, 0},
                                             {1, 0x0, 0x2000, 0x4000, 0x11},
                                             {1, 0x100000, 0x1000, 0x1000, 0x22}}));
  PhysMem mem(40);
  std::string error;
  std::vector<ImageSegment> segs;
  ASSERT_TRUE(LoadImages({f}, &mem, &error, &segs)) << error;
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(mem.Read64(0x1ff8), 0x1111111111111111u);
  EXPECT_EQ(mem.Read64(0x3000), 0u);
  EXPECT_EQ(mem.Read64(0x100000), 0x2222222222222222u);
  EXPECT_EQ(segs[0].mem_size, 0x4000u);
}

// More than 65534 segments use extended numbering (count in section header 0).
TEST(Images, ElfCoreExtendedNumbering) {
  std::string f = WriteFile("xnum", ElfCore({{1, 0x5000, 0x1000, 0x1000, 0x33}}, 4, true));
  PhysMem mem(40);
  std::string error;
  ASSERT_TRUE(LoadImages({f}, &mem, &error)) << error;
  EXPECT_EQ(mem.Read64(0x5000), 0x3333333333333333u);
}

// Truncated cores, non-core ELF files and overlapping segments are rejected.
TEST(Images, BadElf) {
  std::vector<uint8_t> truncated = ElfCore({{1, 0x0, 0x2000, 0x2000, 0x11}});
  truncated.resize(truncated.size() - 1);
  std::vector<uint8_t> header_only = ElfCore({{1, 0x0, 0x2000, 0x2000, 0x11}});
  header_only.resize(40);
  std::vector<uint8_t> phdrs_cut = ElfCore({{1, 0x0, 0x10, 0x10, 0x11}, {1, 0x1000, 0x10, 0x10, 0x11}});
  phdrs_cut.resize(100);
  struct Case {
    std::vector<uint8_t> bytes;
    const char* message;
  } cases[] = {
      {truncated, "truncated"},
      {header_only, "truncated ELF header"},
      {phdrs_cut, "program header table"},
      {ElfCore({{1, 0, 0x10, 0x10, 1}}, 2 /*ET_EXEC*/), "not a core"},
      {ElfCore({{1, 0x1000, 0x2000, 0x2000, 1}, {1, 0x2000, 0x1000, 0x1000, 2}}), "overlapping"},
  };
  int i = 0;
  for (const Case& c : cases) {
    std::string f = WriteFile("bad" + std::to_string(i++), c.bytes);
    PhysMem mem(40);
    std::string error;
    EXPECT_FALSE(LoadImages({f}, &mem, &error)) << c.message;
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
    EXPECT_NE(error.find(f), std::string::npos) << error;
  }
}

// Addresses parse as hex or decimal, whole string only.
TEST(Images, ParseAddress) {
  uint64_t v = 0;
  EXPECT_TRUE(ParseAddress("0x1000", &v));
  EXPECT_EQ(v, 0x1000u);
  EXPECT_TRUE(ParseAddress("4096", &v));
  EXPECT_EQ(v, 4096u);
  EXPECT_FALSE(ParseAddress("0x1000k", &v));
  EXPECT_FALSE(ParseAddress("", &v));
  EXPECT_FALSE(ParseAddress("0x1ffffffffffffffff", &v));
}

// A PT_NOTE segment (first) holding `note`, then one PT_LOAD page.
std::vector<uint8_t> CoreWithNote(const std::vector<uint8_t>& note) {
  std::vector<uint8_t> b = ElfCore({{4, 0, note.size(), 0, 0}, {1, 0x1000, 0x1000, 0x1000, 0xab}});
  std::memcpy(b.data() + 64 + 2 * 56, note.data(), note.size());
  return b;
}

// A note record: namesz, descsz, type, the name and the descriptor each padded to 4 bytes.
std::vector<uint8_t> Note(const std::string& name, uint32_t type, const std::vector<uint8_t>& desc) {
  std::vector<uint8_t> n;
  Put<uint32_t>(n, 0, static_cast<uint32_t>(name.size() + 1));
  Put<uint32_t>(n, 4, static_cast<uint32_t>(desc.size()));
  Put<uint32_t>(n, 8, type);
  n.insert(n.end(), name.begin(), name.end());
  n.resize((n.size() + 1 + 3) & ~size_t{3}, 0);
  n.insert(n.end(), desc.begin(), desc.end());
  n.resize((n.size() + 3) & ~size_t{3}, 0);
  return n;
}

// QEMU's QEMUCPUState note (target/i386/arch_dump.c): cr[0], cr[3], cr[4] at bytes 392, 416, 424;
// an unrelated note before it is skipped; it carries neither EFER nor PAT.
TEST(Image, QemuCpuNote) {
  std::vector<uint8_t> state(440, 0);
  Put<uint64_t>(state, 392, 0x80050033);
  Put<uint64_t>(state, 400, 0xdead);  // cr[1]
  Put<uint64_t>(state, 408, 0xbeef);  // cr[2]
  Put<uint64_t>(state, 416, 0x2a10000);
  Put<uint64_t>(state, 424, 0x3506f0);
  std::vector<uint8_t> notes = Note("CORE", 1, std::vector<uint8_t>(336, 7));  // NT_PRSTATUS
  const std::vector<uint8_t> qemu = Note("QEMU", 0, state);
  notes.insert(notes.end(), qemu.begin(), qemu.end());
  const std::string path = WriteFile("qemu-note.elf", CoreWithNote(notes));
  PhysMem mem(46);
  std::string error;
  std::vector<CoreCpuNote> found;
  ASSERT_TRUE(LoadImages({path}, &mem, &error, nullptr, &found)) << error;
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].source, "QEMU");
  EXPECT_EQ(found[0].cr0, 0x80050033u);
  EXPECT_EQ(found[0].cr3, 0x2a10000u);
  EXPECT_EQ(found[0].cr4, 0x3506f0u);
  EXPECT_FALSE(found[0].efer.has_value());
  EXPECT_FALSE(found[0].pat.has_value());
  EXPECT_EQ(mem.Read64(0x1000), 0xababababababababull);
}

// bootmap's own note round-trips; broken notes are bad input naming the file and the note.
TEST(Image, BootmapNoteAndBrokenNotes) {
  CoreCpuNote in{"", "BOOTMAP", 0x80010001, 0x300000, 0xa0, 0xd00, 0x0407050600070106};
  const std::string enc = EncodeBootmapNote(in);
  const std::string path = WriteFile("bootmap-note.elf", CoreWithNote(std::vector<uint8_t>(enc.begin(), enc.end())));
  PhysMem mem(46);
  std::string error;
  std::vector<CoreCpuNote> found;
  ASSERT_TRUE(LoadImages({path}, &mem, &error, nullptr, &found)) << error;
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].cr3, 0x300000u);
  EXPECT_EQ(found[0].efer, 0xd00u);
  EXPECT_EQ(found[0].pat, 0x0407050600070106u);
  std::vector<uint8_t> past = Note("QEMU", 0, std::vector<uint8_t>(440, 0));
  past.resize(past.size() - 40);  // descsz says 440, the segment ends 40 bytes short
  std::vector<uint8_t> small = Note("QEMU", 0, std::vector<uint8_t>(100, 0));
  for (const auto& [name, bytes, message] :
       {std::tuple{"past.elf", past, "extends past its segment (truncated)"},
        std::tuple{"small.elf", small, "fewer than its control registers need"},
        std::tuple{"header.elf", std::vector<uint8_t>(8, 0), "no room for its header"}}) {
    const std::string bad = WriteFile(name, CoreWithNote(bytes));
    PhysMem m(46);
    EXPECT_FALSE(LoadImages({bad}, &m, &error, nullptr, &found)) << name;
    EXPECT_NE(error.find(bad + ": PT_NOTE segment 0"), std::string::npos) << error;
    EXPECT_NE(error.find(message), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace bootmap::emu
