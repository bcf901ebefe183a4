#include "sim/emu/image.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "sim/emu/mem_types.h"
#include "sim/map/format.h"

namespace bootmap::emu {
namespace {

// ELF-64 layout, System V ABI gABI "ELF Header" and "Program Header".
constexpr size_t kEhdrSize = 64;
constexpr size_t kPhdrSize = 56;
constexpr uint16_t kEtCore = 4;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtNote = 4;
// QEMUCPUState (target/i386/arch_dump.c): version, size, 18 registers, 10 segments of 24
// bytes, then cr[0..4] at byte 392.
constexpr uint64_t kQemuCrOffset = 8 + 18 * 8 + 10 * 24;
constexpr uint64_t kQemuStateMin = kQemuCrOffset + 5 * 8;
constexpr uint32_t kBootmapNoteType = 1;
constexpr uint64_t kBootmapDescSize = 5 * 8;  // cr0, cr3, cr4, efer, pat
constexpr uint16_t kPnXnum = 0xffff;

template <class T>
T Le(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= T(p[i]) << (8 * i);
  return v;
}

using map::Hex;

bool ReadAt(std::ifstream& in, uint64_t offset, uint8_t* out, uint64_t size) {
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(size));
  return static_cast<uint64_t>(in.gcount()) == size;
}

// The notes of one PT_NOTE segment (gABI "Note Section": namesz, descsz, type, name and
// descriptor each padded to 4 bytes); the first QEMU or BOOTMAP CPU note goes to *note.
bool ParseNotes(const std::string& file, const std::vector<uint8_t>& b, uint64_t segment,
                std::optional<CoreCpuNote>* note, std::string* error) {
  uint64_t at = 0;
  auto bad = [&](const std::string& what) {
    *error = file + ": PT_NOTE segment " + std::to_string(segment) + ": note at offset " + Hex(at) + " " + what;
    return false;
  };
  while (at < b.size()) {
    if (b.size() - at < 12) return bad("is truncated (no room for its header)");
    const uint64_t namesz = Le<uint32_t>(&b[at]), descsz = Le<uint32_t>(&b[at + 4]);
    const uint32_t type = Le<uint32_t>(&b[at + 8]);
    const uint64_t name_at = at + 12, desc_at = name_at + ((namesz + 3) & ~uint64_t{3});
    const uint64_t end = desc_at + ((descsz + 3) & ~uint64_t{3});
    if (end > b.size()) return bad("extends past its segment (truncated)");
    const std::string name(reinterpret_cast<const char*>(&b[name_at]), namesz && b[name_at + namesz - 1] == 0 ? namesz - 1 : namesz);
    const uint8_t* d = &b[desc_at];
    if (!*note && name == "QEMU" && type == 0) {
      if (descsz < kQemuStateMin) return bad("(QEMU CPU state) has " + std::to_string(descsz) + " bytes, fewer than its control registers need");
      CoreCpuNote n{file, "QEMU", Le<uint64_t>(d + kQemuCrOffset), Le<uint64_t>(d + kQemuCrOffset + 24),
                    Le<uint64_t>(d + kQemuCrOffset + 32), std::nullopt, std::nullopt};
      *note = n;
    } else if (!*note && name == "BOOTMAP" && type == kBootmapNoteType) {
      if (descsz < kBootmapDescSize) return bad("(BOOTMAP CPU state) has " + std::to_string(descsz) + " bytes, expected 40");
      *note = CoreCpuNote{file, "BOOTMAP", Le<uint64_t>(d), Le<uint64_t>(d + 8), Le<uint64_t>(d + 16), Le<uint64_t>(d + 24),
                          Le<uint64_t>(d + 32)};
    }
    at = end;
  }
  return true;
}

bool ParseElfCore(const std::string& file, std::ifstream& in, uint64_t file_size, std::vector<ImageSegment>* out,
                  std::optional<CoreCpuNote>* note, std::string* error) {
  uint8_t eh[kEhdrSize];
  if (file_size < kEhdrSize || !ReadAt(in, 0, eh, kEhdrSize)) {
    *error = file + ": truncated ELF header";
    return false;
  }
  if (eh[4] != 2 || eh[5] != 1) {
    *error = file + ": only little-endian ELF64 cores are supported";
    return false;
  }
  if (Le<uint16_t>(eh + 16) != kEtCore) {
    *error = file + ": ELF file is not a core file (e_type " + std::to_string(Le<uint16_t>(eh + 16)) + ")";
    return false;
  }
  uint64_t phoff = Le<uint64_t>(eh + 32);
  uint64_t shoff = Le<uint64_t>(eh + 40);
  uint16_t phentsize = Le<uint16_t>(eh + 54);
  uint64_t phnum = Le<uint16_t>(eh + 56);
  if (phentsize != kPhdrSize) {
    *error = file + ": unexpected program header size " + std::to_string(phentsize);
    return false;
  }
  if (phnum == kPnXnum) {  // real count in section header 0's sh_info (gABI "Extended numbering")
    uint8_t sh[64];
    if (shoff > file_size || file_size - shoff < sizeof sh || !ReadAt(in, shoff, sh, sizeof sh)) {
      *error = file + ": truncated section header 0 (needed for more than 65534 segments)";
      return false;
    }
    phnum = Le<uint32_t>(sh + 44);
  }
  if (phoff > file_size || (file_size - phoff) / kPhdrSize < phnum) {
    *error = file + ": program header table at " + Hex(phoff) + " extends past the end of the file (truncated)";
    return false;
  }
  std::vector<uint8_t> ph(phnum * kPhdrSize);
  if (!ph.empty() && !ReadAt(in, phoff, ph.data(), ph.size())) {
    *error = file + ": cannot read the program header table";
    return false;
  }
  for (uint64_t i = 0; i < phnum; ++i) {
    const uint8_t* p = ph.data() + i * kPhdrSize;
    if (Le<uint32_t>(p) == kPtNote) {
      const uint64_t off = Le<uint64_t>(p + 8), size = Le<uint64_t>(p + 32);
      if (off > file_size || file_size - off < size || size > (uint64_t{1} << 24)) {
        *error = file + ": PT_NOTE segment " + std::to_string(i) + " needs bytes up to " + Hex(off + size) +
                 " but the file has " + Hex(file_size) + " (truncated)";
        return false;
      }
      std::vector<uint8_t> notes(size);
      if ((size != 0 && !ReadAt(in, off, notes.data(), size)) || !ParseNotes(file, notes, i, note, error)) {
        if (error->empty()) *error = file + ": cannot read PT_NOTE segment " + std::to_string(i);
        return false;
      }
      continue;
    }
    if (Le<uint32_t>(p) != kPtLoad) continue;
    ImageSegment s;
    s.file = file;
    s.file_offset = Le<uint64_t>(p + 8);
    s.pa = Le<uint64_t>(p + 24);
    s.file_size = Le<uint64_t>(p + 32);
    s.mem_size = Le<uint64_t>(p + 40);
    if (s.file_offset > file_size || file_size - s.file_offset < s.file_size) {
      *error = file + ": PT_LOAD segment " + std::to_string(i) + " (paddr " + Hex(s.pa) + ") needs bytes up to " +
               Hex(s.file_offset + s.file_size) + " but the file has " + Hex(file_size) + " (truncated)";
      return false;
    }
    if (s.mem_size < s.file_size) s.mem_size = s.file_size;
    if (s.mem_size > 0) out->push_back(s);
  }
  return true;
}

bool ParseSpec(const std::string& spec, std::vector<ImageSegment>* out, std::vector<CoreCpuNote>* notes,
               std::string* error) {
  size_t at = spec.rfind('@');
  std::string file = at == std::string::npos ? spec : spec.substr(0, at);
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    *error = file + ": cannot open: " + std::strerror(errno);
    return false;
  }
  in.seekg(0, std::ios::end);
  uint64_t size = static_cast<uint64_t>(in.tellg());
  uint8_t magic[4] = {};
  bool elf = size >= 4 && ReadAt(in, 0, magic, 4) && std::memcmp(magic, "\x7f" "ELF", 4) == 0;
  if (at == std::string::npos) {
    if (!elf) {
      *error = file + ": not an ELF core; give a raw image's physical address as FILE@ADDR";
      return false;
    }
    std::optional<CoreCpuNote> note;
    if (!ParseElfCore(file, in, size, out, &note, error)) return false;
    if (note) notes->push_back(*note);
    return true;
  }
  ImageSegment s;
  s.file = file;
  if (!ParseAddress(spec.substr(at + 1), &s.pa)) {
    *error = spec + ": bad load address '" + spec.substr(at + 1) + "'";
    return false;
  }
  if (size == 0) {
    *error = file + ": empty image";
    return false;
  }
  s.file_size = s.mem_size = size;
  out->push_back(s);
  return true;
}

}  // namespace

bool ParseAddress(const std::string& text, uint64_t* value) {
  if (text.empty() || text[0] == '-' || text[0] == '+' || text[0] == ' ') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 0);
  if (errno != 0 || end == text.c_str() || *end != '\0') return false;
  *value = v;
  return true;
}

std::string EncodeBootmapNote(const CoreCpuNote& note) {
  std::string out;
  auto put = [&out](uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(char((v >> (8 * i)) & 0xff));
  };
  put(8, 4);  // namesz: "BOOTMAP" and its NUL
  put(kBootmapDescSize, 4);
  put(kBootmapNoteType, 4);
  out.append("BOOTMAP\0", 8);
  for (uint64_t v : {note.cr0, note.cr3, note.cr4, note.efer.value_or(0), note.pat.value_or(kPowerOnPat)}) put(v, 8);
  return out;
}

bool LoadImages(const std::vector<std::string>& specs, PhysMem* mem, std::string* error,
                std::vector<ImageSegment>* segments, std::vector<CoreCpuNote>* notes) {
  std::vector<ImageSegment> all;
  std::vector<CoreCpuNote> found;
  for (const std::string& spec : specs) {
    if (!ParseSpec(spec, &all, &found, error)) return false;
  }
  for (const ImageSegment& s : all) {
    uint64_t last = s.pa + (s.mem_size - 1);
    if (last < s.pa || !mem->InRange(last)) {
      *error = s.file + ": segment at " + Hex(s.pa) + " (" + Hex(s.mem_size) + " bytes) is beyond MAXPHYADDR " +
               std::to_string(mem->maxphyaddr());
      return false;
    }
  }
  std::vector<const ImageSegment*> sorted;
  for (const ImageSegment& s : all) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->pa < b->pa; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    const ImageSegment& a = *sorted[i - 1];
    const ImageSegment& b = *sorted[i];
    if (b.pa - a.pa < a.mem_size) {
      *error = "overlapping segments: " + a.file + " [" + Hex(a.pa) + ", " + Hex(a.pa + a.mem_size) + ") and " +
               b.file + " [" + Hex(b.pa) + ", " + Hex(b.pa + b.mem_size) + ")";
      return false;
    }
  }
  // Everything checked: load (only file I/O can fail now, and it is reported the same way).
  std::vector<uint8_t> buf(uint64_t{1} << 20);
  static const uint8_t kZero[kFrameSize] = {};
  for (const ImageSegment& s : all) {
    std::ifstream in(s.file, std::ios::binary);
    uint64_t done = 0;
    while (done < s.file_size) {
      uint64_t n = std::min<uint64_t>(buf.size(), s.file_size - done);
      if (!ReadAt(in, s.file_offset + done, buf.data(), n)) {
        *error = s.file + ": read failed at offset " + Hex(s.file_offset + done);
        return false;
      }
      // Store page-sized pieces aligned to physical frames, skipping all-zero ones.
      uint64_t off = 0;
      while (off < n) {
        uint64_t pa = s.pa + done + off;
        uint64_t chunk = std::min<uint64_t>(kFrameSize - pa % kFrameSize, n - off);
        if (std::memcmp(buf.data() + off, kZero, chunk) != 0) mem->WriteBytes(pa, buf.data() + off, chunk);
        off += chunk;
      }
      done += n;
    }
  }
  if (segments != nullptr) *segments = std::move(all);
  if (notes != nullptr) *notes = std::move(found);
  return true;
}

}  // namespace bootmap::emu
