// EPT: guest-physical to host-physical translation, SDM Vol. 3C "EPT Translation Mechanism"
// (29.3.2), violations vs misconfigurations (29.3.3), memory type (29.3.7), EPTP (25.6.11).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/emu/bits.h"
#include "sim/emu/paging.h"
#include "sim/emu/walk_engine.h"

namespace bootmap::emu {

namespace ept {
// EPT entry bits, SDM Vol. 3C Tables 29-1 .. 29-6 (numbers vary by SDM edition).
inline constexpr uint64_t kR = bits::Bit(0);
inline constexpr uint64_t kW = bits::Bit(1);
inline constexpr uint64_t kX = bits::Bit(2);  // supervisor-mode execute with mode-based execute control
inline constexpr uint64_t kMemType = bits::Range(5, 3);  // leaves
inline constexpr uint64_t kIpat = bits::Bit(6);          // leaves
inline constexpr uint64_t kPS = bits::Bit(7);
inline constexpr uint64_t kA = bits::Bit(8);
inline constexpr uint64_t kD = bits::Bit(9);   // leaves
inline constexpr uint64_t kUX = bits::Bit(10);  // user-mode execute, mode-based execute control only
inline constexpr uint64_t kNonLeafRsvd = bits::Range(7, 3);
inline constexpr uint64_t kRsvd1g = bits::Range(29, 12);
inline constexpr uint64_t kRsvd2m = bits::Range(20, 12);
// EPTP fields, SDM Vol. 3C 25.6.11.
inline constexpr uint64_t kEptpMemType = bits::Range(2, 0);
inline constexpr uint64_t kEptpWalkLength = bits::Range(5, 3);  // levels - 1
inline constexpr uint64_t kEptpAd = bits::Bit(6);
inline constexpr uint64_t kEptpRsvd = bits::Range(11, 8);
// Exit qualification for EPT violations, SDM Vol. 3C 28.2.1.
inline constexpr uint64_t kQualRead = bits::Bit(0);
inline constexpr uint64_t kQualWrite = bits::Bit(1);
inline constexpr uint64_t kQualFetch = bits::Bit(2);
inline constexpr uint64_t kQualReadable = bits::Bit(3);
inline constexpr uint64_t kQualWritable = bits::Bit(4);
inline constexpr uint64_t kQualExecutable = bits::Bit(5);
inline constexpr uint64_t kQualUserExecutable = bits::Bit(6);
inline constexpr uint64_t kQualLinearValid = bits::Bit(7);
inline constexpr uint64_t kQualLinearTranslation = bits::Bit(8);

// Builds an EPTP: PML4/PML5 address, levels 4 or 5, memory type (UC or WB), A/D enable.
constexpr uint64_t MakeEptp(uint64_t root, int levels = 4, MemType type = MemType::kWB, bool ad = false) {
  return root | (uint64_t(levels - 1) << 3) | static_cast<uint8_t>(type) | (ad ? kEptpAd : 0);
}
}  // namespace ept

struct EptState {
  uint64_t eptp = 0;
  uint8_t maxphyaddr = 46;
  bool page2m = true;            // IA32_VMX_EPT_VPID_CAP[16]
  bool page1gb = true;           // IA32_VMX_EPT_VPID_CAP[17]
  bool five_level = true;        // IA32_VMX_EPT_VPID_CAP[7]: 5-level walks allowed
  bool execute_only = true;      // IA32_VMX_EPT_VPID_CAP[0]
  bool mode_based_exec = false;  // secondary control "mode-based execute control for EPT"
  bool ad_updates = false;       // set A/D flags when EPTP[6] enables them
};

struct EptAccess {
  Access access = Access::kRead;
  bool user_linear = false;          // with mode-based execute: the guest linear address is user-mode
  bool linear_valid = true;          // exit qualification bit 7
  bool linear_translation = true;    // bit 8: the access was to the translation, not a guest paging entry
};

enum class EptOutcome : uint8_t { kOk, kViolation, kMisconfig, kBadEptp };

struct EptTranslation {
  EptOutcome outcome = EptOutcome::kBadEptp;
  uint64_t hpa = 0;
  uint64_t page_size = 0;
  std::array<WalkStep, 5> steps;  // [0, step_count) are set
  uint8_t step_count = 0;
  bool r = false, w = false, x = false, ux = false;  // combined across levels
  MemType mem_type = MemType::kUC;  // leaf bits 5:3
  bool ipat = false;
  uint64_t exit_qualification = 0;  // kViolation
  uint64_t bad_bits = 0;            // kMisconfig: the offending bits of the last step's entry
  const char* problem = "";         // kMisconfig / kBadEptp: what is wrong
  bool ok() const { return outcome == EptOutcome::kOk; }
};

// nullptr if the EPTP is valid for `state` (VM-entry checks, SDM Vol. 3C 27.2.1.1), else why not.
const char* EptpProblem(const EptState& state);
// Misconfiguration bits of a present entry at `level` (nonzero: misconfigured), and why.
uint64_t EptMisconfigBits(const EptState& state, int level, uint64_t entry, const char** why = nullptr);

// Walks `gpa`. With state.ad_updates and EPTP[6], sets A at every level and D on writes, on success only.
EptTranslation EptTranslate(PhysMem& mem, const EptState& state, uint64_t gpa, EptAccess access);

// Memory type of a guest access through EPT, SDM Vol. 3C 29.3.7.2: the EPT type if IPAT,
// else the guest PAT type combined with it as with an MTRR type (Vol. 3A Table 12-7).
MemType EptEffectiveType(MemType ept_type, bool ipat, MemType guest_pat_type);

struct EptRun {
  uint64_t gpa = 0, size = 0, hpa = 0, page_size = 0;
  bool r = false, w = false, x = false, ux = false;
  MemType mem_type = MemType::kUC;
  bool ipat = false;
};
struct EptEnumerateResult : EnumerationSummary {
  std::vector<EptRun> runs;
  uint64_t misconfigured_entries = 0;  // present entries that are EPT misconfigurations (= reserved_entries)
};
EptEnumerateResult EnumerateEpt(const PhysMem& mem, const EptState& state, const EnumerateOptions& options = {});

}  // namespace bootmap::emu
