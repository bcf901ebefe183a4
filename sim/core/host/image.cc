#include "sim/core/host/image.h"

#include <utility>

#include "sim/core/host/build.h"

namespace bootmap::core::host {
namespace {

// System V gABI: ELF header, program header, extended numbering (PN_XNUM).
constexpr size_t kEhdrSize = 64;
constexpr size_t kPhdrSize = 56;
constexpr size_t kShdrSize = 64;
constexpr uint16_t kEtCore = 4;
constexpr uint16_t kEmX86_64 = 62;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtNote = 4;
constexpr uint32_t kPfR = 4;
constexpr uint16_t kPnXnum = 0xffff;

void Put(std::string* s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s->push_back(char((v >> (8 * i)) & 0xff));
}

}  // namespace

// SDM Vol. 3A 2.5 (CR0.PE bit 0, WP 16, PG 31; CR4.PAE 5, PGE 7, LA57 12) and 2.2.1 (EFER.LME
// bit 8, LMA 10, NXE 11).
emu::CoreCpuNote CpuStateOf(const BuildResult& b) {
  emu::CoreCpuNote n;
  n.source = "BOOTMAP";
  n.cr0 = (uint64_t{1} << 0) | (uint64_t{1} << 16) | (uint64_t{1} << 31);
  n.cr3 = b.root_pa;
  n.cr4 = (uint64_t{1} << 5) | (uint64_t{1} << 7) | (b.paging == Paging::kX86Level5 ? uint64_t{1} << 12 : 0);
  n.efer = (uint64_t{1} << 8) | (uint64_t{1} << 10) | (b.build_options.nx ? uint64_t{1} << 11 : 0);
  n.pat = b.pat_msr;
  return n;
}

std::string EncodeTablesCore(const std::vector<uint64_t>& frames, const emu::PhysMem& mem,
                             const emu::CoreCpuNote& cpu) {
  std::vector<std::pair<uint64_t, uint64_t>> runs;  // [base, end)
  for (uint64_t f : frames) {
    if (!runs.empty() && runs.back().second == f) runs.back().second += emu::kFrameSize;
    else runs.push_back({f, f + emu::kFrameSize});
  }
  const std::string note = emu::EncodeBootmapNote(cpu);
  const uint64_t phnum = runs.size() + 1;  // the note, then the loads
  const bool extended = phnum >= kPnXnum;
  const uint64_t phoff = kEhdrSize;
  const uint64_t shoff = extended ? phoff + phnum * kPhdrSize : 0;
  const uint64_t note_at = phoff + phnum * kPhdrSize + (extended ? kShdrSize : 0);
  const uint64_t headers = note_at + note.size();
  const uint64_t data = (headers + emu::kFrameSize - 1) & ~(emu::kFrameSize - 1);

  std::string out;
  out.reserve(data + frames.size() * emu::kFrameSize);
  out.append("\x7f" "ELF", 4);
  out.push_back(2);  // ELFCLASS64
  out.push_back(1);  // ELFDATA2LSB
  out.push_back(1);  // EV_CURRENT
  out.resize(16, '\0');
  Put(&out, kEtCore, 2);
  Put(&out, kEmX86_64, 2);
  Put(&out, 1, 4);  // e_version
  Put(&out, 0, 8);  // e_entry
  Put(&out, phoff, 8);
  Put(&out, shoff, 8);
  Put(&out, 0, 4);  // e_flags
  Put(&out, kEhdrSize, 2);
  Put(&out, kPhdrSize, 2);
  Put(&out, extended ? kPnXnum : phnum, 2);
  Put(&out, extended ? kShdrSize : 0, 2);  // e_shentsize
  Put(&out, extended ? 1 : 0, 2);          // e_shnum
  Put(&out, 0, 2);                         // e_shstrndx
  Put(&out, kPtNote, 4);
  Put(&out, 0, 4);           // p_flags
  Put(&out, note_at, 8);     // p_offset
  Put(&out, 0, 8);           // p_vaddr
  Put(&out, 0, 8);           // p_paddr
  Put(&out, note.size(), 8); // p_filesz
  Put(&out, 0, 8);           // p_memsz
  Put(&out, 4, 8);           // p_align
  uint64_t offset = data;
  for (const auto& [base, end] : runs) {
    Put(&out, kPtLoad, 4);
    Put(&out, kPfR, 4);
    Put(&out, offset, 8);      // p_offset
    Put(&out, 0, 8);           // p_vaddr
    Put(&out, base, 8);        // p_paddr
    Put(&out, end - base, 8);  // p_filesz
    Put(&out, end - base, 8);  // p_memsz
    Put(&out, emu::kFrameSize, 8);
    offset += end - base;
  }
  if (extended) {  // section header 0: sh_info holds the real segment count
    const size_t at = out.size();
    out.resize(at + kShdrSize, '\0');
    for (int i = 0; i < 4; ++i) out[at + 44 + i] = char((phnum >> (8 * i)) & 0xff);
  }
  out += note;
  out.resize(data, '\0');
  static const uint8_t kZero[emu::kFrameSize] = {};
  for (uint64_t f : frames) {
    const uint8_t* p = mem.FrameForRead(f);
    out.append(reinterpret_cast<const char*>(p ? p : kZero), emu::kFrameSize);
  }
  return out;
}

}  // namespace bootmap::core::host
