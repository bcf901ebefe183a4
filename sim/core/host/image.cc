#include "sim/core/host/image.h"

#include <cstring>

namespace bootmap::core::host {
namespace {

constexpr size_t kHeaderBytes = 64;
constexpr uint32_t kVersion = 1;

void Put(std::string* s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s->push_back(char((v >> (8 * i)) & 0xff));
}
uint64_t Get(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(s[at + i])) << (8 * i);
  return v;
}

}  // namespace

std::string EncodeImage(const ImageInfo& info, const std::vector<uint64_t>& frames,
                        const emu::PhysMem& mem) {
  std::string out(kImageMagic, sizeof kImageMagic);
  Put(&out, kVersion, 4);
  Put(&out, uint32_t(info.paging), 4);
  Put(&out, info.root_pa, 8);
  Put(&out, frames.size(), 8);
  Put(&out, info.pat_msr, 8);
  out.resize(kHeaderBytes, '\0');
  out.reserve(kHeaderBytes + frames.size() * (8 + emu::kFrameSize));
  static const uint8_t kZero[emu::kFrameSize] = {};
  for (uint64_t pa : frames) {
    Put(&out, pa, 8);
    const uint8_t* f = mem.FrameForRead(pa);
    out.append(reinterpret_cast<const char*>(f ? f : kZero), emu::kFrameSize);
  }
  return out;
}

std::string DecodeImage(const std::string& bytes, ImageInfo* info, emu::PhysMem* mem) {
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kImageMagic, sizeof kImageMagic) != 0)
    return "not a bootmap table image (no BMTABLE1 header)";
  if (Get(bytes, 8, 4) != kVersion) return "unsupported image version " + std::to_string(Get(bytes, 8, 4));
  const uint64_t paging = Get(bytes, 12, 4);
  if (paging > uint32_t(Paging::kEptLevel5)) return "unknown paging format " + std::to_string(paging);
  info->paging = Paging(paging);
  info->root_pa = Get(bytes, 16, 8);
  info->frames = Get(bytes, 24, 8);
  info->pat_msr = Get(bytes, 32, 8);
  const uint64_t record = 8 + emu::kFrameSize;
  if ((bytes.size() - kHeaderBytes) / record < info->frames || (bytes.size() - kHeaderBytes) % record != 0)
    return "truncated: header says " + std::to_string(info->frames) + " frames";
  for (uint64_t i = 0; i < info->frames; ++i) {
    const size_t at = kHeaderBytes + i * record;
    const uint64_t pa = Get(bytes, at, 8);
    if (pa % emu::kFrameSize != 0) return "frame " + std::to_string(i) + ": address not 4 KiB aligned";
    uint8_t* f = mem->FrameForWrite(pa);
    if (!f) return "frame " + std::to_string(i) + ": address beyond MAXPHYADDR";
    std::memcpy(f, bytes.data() + at + 8, emu::kFrameSize);
  }
  return "";
}

}  // namespace bootmap::core::host
