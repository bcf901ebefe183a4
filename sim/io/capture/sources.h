// Parsers for each live-system source (internal to bootmap_capture). Each takes the text and
// the file name, and on bad content returns false with "FILE:LINE: problem" in *error.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/map/memory_map.h"

namespace bootmap::capture {

// /proc/cpuinfo, the first processor's block. *notes: facts it did not hold (defaults kept).
bool ParseCpuinfo(std::string_view text, const std::string& file, map::CpuFacts* cpu,
                  std::vector<std::string>* notes, std::string* error);

// /proc/iomem: Kernel code (role code), Kernel rodata/data/bss (role data), the boot framebuffer.
struct KernelRanges {
  std::vector<map::UsedRange> used;
  std::optional<map::Framebuffer> framebuffer;
  bool hidden = false;  // every address reads 0: the reader lacks CAP_SYS_ADMIN
};
bool ParseIomemRanges(std::string_view text, const std::string& file, KernelRanges* out, std::string* error);

// /proc/mtrr: the enabled variable ranges (arch/x86/kernel/cpu/mtrr/if.c mtrr_seq_show).
bool ParseProcMtrr(std::string_view text, const std::string& file, uint8_t maxphyaddr,
                   std::vector<map::MtrrVariable>* out, std::string* error);

// IA32_MTRR* MSR values -> the map's MTRRs (SDM Vol. 3A 12.11.1-12.11.3).
struct MtrrMsrs {
  uint64_t cap = 0;       // IA32_MTRRCAP 0xFE
  uint64_t def_type = 0;  // IA32_MTRR_DEF_TYPE 0x2FF
  uint64_t fixed[11] = {};  // 0x250, 0x258, 0x259, 0x268..0x26F
  std::vector<std::pair<uint64_t, uint64_t>> variable;  // (PHYSBASEn, PHYSMASKn), n < VCNT
};
inline constexpr uint32_t kFixedMsrs[11] = {0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
                                            0x26b, 0x26c, 0x26d, 0x26e, 0x26f};
bool DecodeMtrrMsrs(const MtrrMsrs& msrs, const std::string& file, uint8_t maxphyaddr, map::Mtrrs* out,
                    std::string* error);

// /sys/firmware/efi/runtime-map (drivers/firmware/efi/runtime-map.c): N/{type,phys_addr,
// num_pages,attribute,virt_addr}. Missing directory: false with *error empty.
bool ReadEfiRuntimeMap(const std::string& dir, std::vector<map::EfiDescriptor>* out, std::string* error);

// The kernel log from /dev/kmsg (records "PRI,SEQ,TS,FLAGS;MESSAGE", read without blocking)
// or a dmesg text file, as plain lines, one per line read. *why, *err: why it could not be read.
enum class LogStatus { kOk, kMissing, kUnreadable, kBad };
LogStatus ReadKernelLog(const std::string& path, std::string* text, std::string* why, int* err);

}  // namespace bootmap::capture
