// Raw page-table image: what `bootmap build --image` writes and `walk`/`dump` read.
//
// Layout, little-endian:
//   header, 64 bytes: magic "BMTABLE1" (8), version u32 = 1, paging u32
//   (0 IA-32e 4-level, 1 IA-32e 5-level, 2 EPT 4-level, 3 EPT 5-level), root_pa u64,
//   frame_count u64, pat_msr u64, zeros to 64 bytes;
//   then frame_count records: pa u64, 4096 bytes of the frame. Frames ascend by pa.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/types.h"
#include "sim/emu/phys_mem.h"

namespace bootmap::core::host {

inline constexpr char kImageMagic[8] = {'B', 'M', 'T', 'A', 'B', 'L', 'E', '1'};

struct ImageInfo {
  Paging paging = Paging::kX86Level4;
  uint64_t root_pa = 0;
  uint64_t pat_msr = 0;
  uint64_t frames = 0;
};

// The image as bytes (frames read from mem).
std::string EncodeImage(const ImageInfo& info, const std::vector<uint64_t>& frames,
                        const emu::PhysMem& mem);
// Fills mem with the frames; "" on success, else why ("truncated at frame 3", ...).
std::string DecodeImage(const std::string& bytes, ImageInfo* info, emu::PhysMem* mem);

}  // namespace bootmap::core::host
