#include "sim/emu/paging.h"

#include <type_traits>

#include "sim/emu/ia32e_entry.h"

namespace bootmap::emu {
namespace {

using namespace ia32e;

MemType TableType(const CpuState& cpu, uint64_t pwt_pcd_source) {
  // Accesses to paging structures use PAT entry PCD*2 + PWT (SDM Vol. 3A 4.9.2).
  return PatEntry(cpu.pat, ((pwt_pcd_source & kPCD) ? 2 : 0) | ((pwt_pcd_source & kPWT) ? 1 : 0));
}

template <bool kUpdate, class Mem>
Translation Walk(Mem& mem, const CpuState& cpu, uint64_t va, AccessMode mode) {
  Translation t;
  if (!cpu.cr0_pg) {
    t.ok = true;
    t.pa = va;
    t.writable = t.user = true;
    t.pat_type = PatEntry(cpu.pat, 0);
    return t;
  }
  if (!cpu.cr4_pae || !cpu.efer_lme) return t;  // 32-bit and PAE paging: not modelled
  const bool la57 = cpu.cr4_la57;
  if (!IsCanonical(va, la57)) {
    t.fault = {kVectorGP, 0};  // SDM Vol. 3A 4.5: non-canonical -> #GP(0), not #PF
    return t;
  }
  if ((cpu.cr3 & RsvdAbovePhys(cpu.maxphyaddr)) != 0) {
    t.fault = {kVectorGP, 0};  // MOV to CR3 with such bits set #GPs; no walk can happen
    return t;
  }

  const bool write = mode.access == Access::kWrite;
  const bool fetch = mode.access == Access::kFetch;
  const bool user_access = mode.user && !mode.implicit_supervisor;
  // Error-code bits that describe the access (SDM Vol. 3A 4.7).
  uint32_t access_bits = (write ? pf::kWR : 0) | (user_access ? pf::kUS : 0) |
                         (fetch && (cpu.cr4_smep || cpu.efer_nxe) ? pf::kID : 0);

  const uint64_t addr_mask = AddrMask(cpu.maxphyaddr);
  const uint64_t always_rsvd = AlwaysReserved(cpu.maxphyaddr, cpu.efer_nxe);
  uint64_t table = cpu.cr3 & addr_mask;
  uint64_t pwt_pcd = cpu.cr3;
  bool rw = true, us = true, xd = false;
  // One step per level, unrolled so that each level's shifts and rules are constants.
  enum Next { kDescend, kLeaf, kFaulted };
  auto step = [&](auto level_constant) -> Next {
    constexpr int level = decltype(level_constant)::value;
    uint64_t entry_pa = table + uint64_t(Index(va, level)) * 8;
    uint64_t e = mem.Read64(entry_pa);
    t.steps[t.step_count++] = {entry_pa, e, static_cast<uint8_t>(level), TableType(cpu, pwt_pcd)};
    if (!(e & kP)) {
      t.fault = {kVectorPF, access_bits};  // P=0
      return kFaulted;
    }
    if (Reserved(always_rsvd, cpu.page1gb, level, e) != 0) {
      t.fault = {kVectorPF, access_bits | pf::kP | pf::kRSVD};
      return kFaulted;
    }
    rw &= (e & kRW) != 0;
    us &= (e & kUS) != 0;
    xd |= cpu.efer_nxe && (e & kXD) != 0;
    bool leaf = level == 1 || ((level == 2 || level == 3) && (e & kPS));
    if (!leaf) {
      table = e & addr_mask;
      pwt_pcd = e;
      return kDescend;
    }
    t.page_size = PageSize(level);
    t.pa = LeafBase(e, level) | (va & (t.page_size - 1));
    t.writable = rw;
    t.user = us;
    t.nx = xd;
    t.global = cpu.cr4_pge && (e & kG);
    t.pkey = (cpu.cr4_pke || cpu.cr4_pks) ? static_cast<uint8_t>(bits::Field(e, 62, kPkeyShift)) : 0;
    t.pat_type = PatEntry(cpu.pat, PatIndex(e, level));
    return kLeaf;
  };
  using L5 = std::integral_constant<int, 5>;
  using L4 = std::integral_constant<int, 4>;
  using L3 = std::integral_constant<int, 3>;
  using L2 = std::integral_constant<int, 2>;
  using L1 = std::integral_constant<int, 1>;
  Next n = la57 ? step(L5{}) : kDescend;
  if (n == kDescend) n = step(L4{});
  if (n == kDescend) n = step(L3{});
  if (n == kDescend) n = step(L2{});
  if (n == kDescend) n = step(L1{});
  if (n == kFaulted) return t;

  // Access rights, SDM Vol. 3A 4.6.1.
  bool allowed = true;
  if (user_access) {
    allowed = us && (!write || rw) && (!fetch || !xd);
  } else {
    bool smap_blocks = cpu.cr4_smap && us && !fetch && (mode.implicit_supervisor || !cpu.rflags_ac);
    if (fetch) {
      allowed = !xd && !(cpu.cr4_smep && us);
    } else if (smap_blocks) {
      allowed = false;
    } else if (write) {
      allowed = rw || !cpu.cr0_wp;
    }
  }
  // Protection keys, SDM Vol. 3A 4.6.2: data accesses only.
  bool pk = false;
  if (!fetch) {
    bool use_pkru = us && cpu.cr4_pke;
    bool use_pkrs = !us && cpu.cr4_pks;
    if (use_pkru || use_pkrs) {
      uint32_t reg = use_pkru ? cpu.pkru : cpu.pkrs;
      bool ad = (reg >> (2 * t.pkey)) & 1;
      bool wd = (reg >> (2 * t.pkey + 1)) & 1;
      pk = ad || (wd && write && (user_access || cpu.cr0_wp));
    }
  }
  if (!allowed || pk) {
    t.fault = {kVectorPF, access_bits | pf::kP | (pk ? pf::kPK : 0)};
    t.pa = 0;
    return t;
  }
  t.ok = true;
  if constexpr (kUpdate) {
    if (cpu.ad_updates) {
      // SDM Vol. 3A 4.8: A in every entry used; D in the leaf on a write.
      for (int i = 0; i < t.step_count; ++i) {
        uint64_t v = t.steps[i].entry | kA;
        if (i + 1 == t.step_count && write) v |= kD;
        if (v != t.steps[i].entry) mem.Write64(t.steps[i].entry_pa, v);
      }
    }
  }
  return t;
}

}  // namespace

bool IsCanonical(uint64_t va, bool la57) { return bits::SignExtend(va, la57 ? 56 : 47) == va; }

uint64_t ReservedBits(const CpuState& cpu, int level, uint64_t e) {
  return ia32e::Reserved(AlwaysReserved(cpu.maxphyaddr, cpu.efer_nxe), cpu.page1gb, level, e);
}

Translation Translate(PhysMem& mem, const CpuState& cpu, uint64_t va, AccessMode mode) {
  return Walk<true>(mem, cpu, va, mode);
}

Translation TranslateNoUpdate(const PhysMem& mem, const CpuState& cpu, uint64_t va, AccessMode mode) {
  return Walk<false>(mem, cpu, va, mode);
}

}  // namespace bootmap::emu
