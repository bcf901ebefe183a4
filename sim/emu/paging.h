// IA-32e linear-address translation (4-level and 5-level paging), SDM Vol. 3A chapter 4.
// An independent reading of the manual: shares no entry-format code with sim/core.
#pragma once
#include <array>
#include <cstdint>

#include "sim/emu/mem_types.h"
#include "sim/emu/phys_mem.h"
#include "sim/map/mem_type.h"

namespace bootmap::emu {

// The control-register and MSR state that paging reads. Defaults: a normal long-mode kernel.
// (CR4.PSE is ignored with PAE: SDM Vol. 3A 4.1.1, so it is not modelled.)
struct CpuState {
  uint64_t cr3 = 0;
  bool cr0_pg = true, cr0_wp = true;
  bool cr4_pae = true, cr4_pge = true, cr4_la57 = false, cr4_smep = false, cr4_smap = false,
       cr4_pke = false, cr4_pks = false;
  bool efer_lme = true, efer_nxe = true, rflags_ac = false;
  uint32_t pkru = 0, pkrs = 0;
  uint8_t maxphyaddr = 46;  // CPUID.80000008H:EAX[7:0]
  bool page1gb = true;      // CPUID.80000001H:EDX[26]
  uint64_t pat = kPowerOnPat;
  bool ad_updates = false;  // Translate sets A/D flags (SDM Vol. 3A 4.8)
};

enum class Access : uint8_t { kRead, kWrite, kFetch };
struct AccessMode {
  Access access = Access::kRead;
  bool user = false;                 // CPL 3
  bool implicit_supervisor = false;  // e.g. a GDT or stack access made by the CPU: supervisor, no AC override
};

inline constexpr uint8_t kVectorGP = 13;
inline constexpr uint8_t kVectorPF = 14;
struct Fault {
  uint8_t vector = 0;  // 14 #PF, 13 #GP; 0: none (or a paging mode this emulator does not model)
  uint32_t error_code = 0;
};

// Page-fault error code, SDM Vol. 3A 4.7 Figure 4-12.
namespace pf {
inline constexpr uint32_t kP = 1u << 0;
inline constexpr uint32_t kWR = 1u << 1;
inline constexpr uint32_t kUS = 1u << 2;
inline constexpr uint32_t kRSVD = 1u << 3;
inline constexpr uint32_t kID = 1u << 4;
inline constexpr uint32_t kPK = 1u << 5;
}  // namespace pf

// One paging-structure entry read by the walk. No default member initializers: a Translation
// holds five and only the first step_count are written (zero-filling them all cost ~10%).
struct WalkStep {
  uint64_t entry_pa;    // where the entry was read
  uint64_t entry;       // its value (before any A/D update)
  uint8_t level;        // 5 PML5E, 4 PML4E, 3 PDPTE, 2 PDE, 1 PTE
  MemType table_type;   // PAT type used to access the table holding it (CR3 or parent PWT/PCD)
};

struct Translation {
  bool ok = false;
  uint64_t pa = 0;
  uint64_t page_size = 0;  // 4 KiB, 2 MiB or 1 GiB
  std::array<WalkStep, 5> steps;  // [0, step_count) are set
  uint8_t step_count = 0;         // entries read, top level first (also on a fault)
  bool writable = false;   // R/W=1 at every level
  bool user = false;       // U/S=1 at every level
  bool nx = false;         // XD=1 at some level, with EFER.NXE
  bool global = false;     // G=1 in the leaf, with CR4.PGE
  uint8_t pkey = 0;        // leaf bits 62:59 with CR4.PKE or CR4.PKS, else 0
  MemType pat_type = MemType::kUC;
  Fault fault;
};

// Translates `va`. With cpu.ad_updates, sets A in every entry used and D in the leaf on a write,
// only if the access succeeds. Without CR0.PG the address is used as is; modes other than
// IA-32e paging (no PAE or LME) are not modelled (ok=false, fault.vector=0).
Translation Translate(PhysMem& mem, const CpuState& cpu, uint64_t va, AccessMode mode);
// The same without A/D updates (cpu.ad_updates is ignored).
Translation TranslateNoUpdate(const PhysMem& mem, const CpuState& cpu, uint64_t va, AccessMode mode);

// Canonical address check, SDM Vol. 1 3.3.7.1 / Vol. 3A 4.5: bits 63:47 (63:56 with LA57) equal.
bool IsCanonical(uint64_t va, bool la57);
inline int PagingLevels(const CpuState& cpu) { return cpu.cr4_la57 ? 5 : 4; }
// Reserved-bit check of a present entry at `level` (SDM Vol. 3A 4.5.4, Tables 4-14 .. 4-20).
uint64_t ReservedBits(const CpuState& cpu, int level, uint64_t entry);

}  // namespace bootmap::emu
