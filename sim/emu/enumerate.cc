#include "sim/emu/enumerate.h"

#include "sim/emu/ia32e_entry.h"

namespace bootmap::emu {
namespace {

using namespace ia32e;

// Packed run attributes: combined R/W, U/S, XD; leaf G, PAT type, protection key.
constexpr uint64_t kAttrRW = bits::Bit(0);
constexpr uint64_t kAttrUS = bits::Bit(1);
constexpr uint64_t kAttrXD = bits::Bit(2);
constexpr uint64_t kAttrG = bits::Bit(3);
constexpr int kAttrPatShift = 8;   // bits 10:8
constexpr int kAttrPkeyShift = 16;  // bits 19:16

struct Ia32eFormat {
  using RunType = Run;
  const CpuState& cpu;
  int levels;
  uint64_t addr_mask, rsvd_addr, always_rsvd;

  explicit Ia32eFormat(const CpuState& c)
      : cpu(c), levels(PagingLevels(c)), addr_mask(AddrMask(c.maxphyaddr)), rsvd_addr(RsvdAbovePhys(c.maxphyaddr)),
        always_rsvd(AlwaysReserved(c.maxphyaddr, c.efer_nxe)) {}
  bool Present(uint64_t e) const { return (e & kP) != 0; }
  uint64_t Reserved(int level, uint64_t e) const { return ia32e::Reserved(always_rsvd, cpu.page1gb, level, e); }
  bool IsLeaf(int level, uint64_t e) const { return level == 1 || ((level == 2 || level == 3) && (e & kPS)); }
  uint64_t Child(uint64_t e) const { return e & addr_mask; }
  uint64_t LeafBase(int level, uint64_t e) const { return ia32e::LeafBase(e, level); }
  uint64_t RsvdAddr() const { return rsvd_addr; }
  uint64_t Canonical(uint64_t va) const { return bits::SignExtend(va, levels == 5 ? 56 : 47); }
  uint64_t RootAttrs() const { return kAttrRW | kAttrUS; }
  uint64_t Inherit(uint64_t a, uint64_t e) const {
    if (!(e & kRW)) a &= ~kAttrRW;
    if (!(e & kUS)) a &= ~kAttrUS;
    if (cpu.efer_nxe && (e & kXD)) a |= kAttrXD;
    return a;
  }
  uint64_t LeafAttrs(uint64_t a, int level, uint64_t e) const {
    a = Inherit(a, e);
    if (cpu.cr4_pge && (e & kG)) a |= kAttrG;
    a |= uint64_t{static_cast<uint8_t>(PatEntry(cpu.pat, PatIndex(e, level)))} << kAttrPatShift;
    if (cpu.cr4_pke || cpu.cr4_pks) a |= bits::Field(e, 62, kPkeyShift) << kAttrPkeyShift;
    return a;
  }
  static Run MakeRun(uint64_t va, uint64_t size, uint64_t pa, uint64_t page_size, uint64_t a) {
    Run run;
    run.va = va;
    run.size = size;
    run.pa = pa;
    run.page_size = page_size;
    run.writable = (a & kAttrRW) != 0;
    run.user = (a & kAttrUS) != 0;
    run.nx = (a & kAttrXD) != 0;
    run.global = (a & kAttrG) != 0;
    run.pat_type = static_cast<MemType>(bits::Field(a, kAttrPatShift + 2, kAttrPatShift));
    run.pkey = static_cast<uint8_t>(bits::Field(a, kAttrPkeyShift + 3, kAttrPkeyShift));
    return run;
  }
};

}  // namespace

EnumerateResult Enumerate(const PhysMem& mem, const CpuState& cpu, const EnumerateOptions& options) {
  EnumerateResult result;
  if (!cpu.cr0_pg || !cpu.cr4_pae || !cpu.efer_lme) {
    result.error = "only IA-32e paging (CR0.PG, CR4.PAE, EFER.LME) can be enumerated";
    return result;
  }
  if ((cpu.cr3 & RsvdAbovePhys(cpu.maxphyaddr)) != 0) {
    result.error = "CR3 has address bits at or above MAXPHYADDR";
    return result;
  }
  Ia32eFormat fmt(cpu);
  WalkOutcome out = RunWalk(mem, fmt, cpu.cr3 & fmt.addr_mask, options);
  static_cast<EnumerationSummary&>(result) = std::move(out.summary);
  result.runs = std::move(out.runs);
  return result;
}

}  // namespace bootmap::emu
