#include "sim/emu/ept.h"

#include "sim/emu/ia32e_entry.h"

namespace bootmap::emu {
namespace {

using namespace ept;

int EptLevels(uint64_t eptp) { return static_cast<int>(bits::Field(eptp, 5, 3)) + 1; }

bool Present(const EptState& s, uint64_t e) {
  // SDM Vol. 3C 29.3.2: present if any of bits 2:0 (or bit 10 with mode-based execute) is 1.
  return (e & (kR | kW | kX)) != 0 || (s.mode_based_exec && (e & kUX) != 0);
}

bool IsLeaf(int level, uint64_t e) { return level == 1 || ((level == 2 || level == 3) && (e & kPS)); }

uint64_t RootOf(const EptState& s) { return s.eptp & ia32e::AddrMask(s.maxphyaddr); }

}  // namespace

const char* EptpProblem(const EptState& s) {
  uint64_t type = s.eptp & kEptpMemType;
  if (type != static_cast<uint8_t>(MemType::kUC) && type != static_cast<uint8_t>(MemType::kWB)) {
    return "EPTP memory type must be UC (0) or WB (6)";
  }
  int levels = EptLevels(s.eptp);
  if (levels != 4 && !(levels == 5 && s.five_level)) return "EPTP walk length must be 3 (4-level) or 4 (5-level)";
  if (s.eptp & kEptpRsvd) return "EPTP bits 11:8 are reserved";
  if (s.eptp & (s.maxphyaddr >= 64 ? 0 : bits::Range(63, s.maxphyaddr))) return "EPTP address is beyond MAXPHYADDR";
  return nullptr;
}

uint64_t EptMisconfigBits(const EptState& s, int level, uint64_t e, const char** why) {
  const char* unused;
  if (why == nullptr) why = &unused;
  // SDM Vol. 3C 29.3.3.1 EPT misconfigurations.
  if (!(e & kR) && (e & kW)) {
    *why = "write permission without read";
    return kW;
  }
  if (!s.execute_only && !(e & kR) && ((e & kX) || (s.mode_based_exec && (e & kUX)))) {
    *why = "execute-only without execute-only support";
    return e & (kX | kUX);
  }
  if (uint64_t r = e & ia32e::RsvdAbovePhys(s.maxphyaddr)) {
    *why = "address bits at or above MAXPHYADDR";
    return r;
  }
  if (!IsLeaf(level, e)) {
    if (uint64_t r = e & kNonLeafRsvd) {
      *why = level >= 4 ? "reserved bits 7:3 of a PML4E/PML5E" : "reserved bits 6:3 of a non-leaf entry";
      return r;
    }
    return 0;
  }
  if (level == 3 && !s.page1gb) {
    *why = "1 GiB page without 1 GiB support";
    return kPS;
  }
  if (level == 2 && !s.page2m) {  // IA32_VMX_EPT_VPID_CAP[16] clear
    *why = "2 MiB page without 2 MiB support";
    return kPS;
  }
  if (uint64_t r = e & (level == 3 ? kRsvd1g : level == 2 ? kRsvd2m : 0)) {
    *why = level == 3 ? "reserved bits 29:12 of a 1 GiB leaf" : "reserved bits 20:12 of a 2 MiB leaf";
    return r;
  }
  MemType t;
  if (!DecodeMemType(static_cast<uint8_t>(bits::Field(e, 5, 3)), false, &t)) {
    *why = "EPT memory type 2, 3 or 7";
    return e & kMemType;
  }
  return 0;
}

EptTranslation EptTranslate(PhysMem& mem, const EptState& s, uint64_t gpa, EptAccess access) {
  EptTranslation t;
  if (const char* p = EptpProblem(s)) {
    t.problem = p;
    return t;
  }
  const bool write = access.access == Access::kWrite;
  const bool fetch = access.access == Access::kFetch;
  const MemType table_type = static_cast<MemType>(s.eptp & kEptpMemType);
  uint64_t qual = (access.access == Access::kRead ? kQualRead : 0) | (write ? kQualWrite : 0) |
                  (fetch ? kQualFetch : 0) | (access.linear_valid ? kQualLinearValid : 0) |
                  (access.linear_valid && access.linear_translation ? kQualLinearTranslation : 0);
  bool r = true, w = true, x = true, ux = true;
  uint64_t table = RootOf(s);
  const int top = EptLevels(s.eptp);
  // Bits above those the walk translates (47 or 56) cannot be mapped: a violation without a walk.
  if ((gpa >> (12 + 9 * top)) != 0) {
    t.outcome = EptOutcome::kViolation;
    t.exit_qualification = qual;
    return t;
  }
  for (int level = top; level >= 1; --level) {
    uint64_t entry_pa = table + uint64_t(ia32e::Index(gpa, level)) * 8;
    uint64_t e = mem.Read64(entry_pa);
    t.steps[t.step_count++] = {entry_pa, e, static_cast<uint8_t>(level), table_type};
    r &= (e & kR) != 0;
    w &= (e & kW) != 0;
    x &= (e & kX) != 0;
    ux &= (e & kUX) != 0;
    if (!Present(s, e)) break;  // violation below, with the AND of the bits so far (all 0 here)
    if (uint64_t bad = EptMisconfigBits(s, level, e, &t.problem)) {
      t.outcome = EptOutcome::kMisconfig;
      t.bad_bits = bad;
      return t;
    }
    if (!IsLeaf(level, e)) {
      table = e & ia32e::AddrMask(s.maxphyaddr);
      continue;
    }
    t.page_size = ia32e::PageSize(level);
    t.hpa = ia32e::LeafBase(e, level) | (gpa & (t.page_size - 1));
    DecodeMemType(static_cast<uint8_t>(bits::Field(e, 5, 3)), false, &t.mem_type);
    t.ipat = (e & kIpat) != 0;
    break;
  }
  t.r = r;
  t.w = w;
  t.x = x;
  t.ux = s.mode_based_exec && ux;
  bool allowed = t.page_size != 0 && (!write || w) && (write || fetch || r) &&
                 (!fetch || (s.mode_based_exec && access.user_linear ? t.ux : x));
  if (!allowed) {
    t.outcome = EptOutcome::kViolation;
    t.exit_qualification = qual | (r ? kQualReadable : 0) | (w ? kQualWritable : 0) | (x ? kQualExecutable : 0) |
                           (t.ux ? kQualUserExecutable : 0);
    t.hpa = 0;
    return t;
  }
  t.outcome = EptOutcome::kOk;
  if (s.ad_updates && (s.eptp & kEptpAd)) {
    for (int i = 0; i < t.step_count; ++i) {
      uint64_t v = t.steps[i].entry | kA;
      if (i + 1 == t.step_count && write) v |= kD;
      if (v != t.steps[i].entry) mem.Write64(t.steps[i].entry_pa, v);
    }
  }
  return t;
}

MemType EptEffectiveType(MemType ept_type, bool ipat, MemType guest_pat_type) {
  return ipat ? ept_type : EffectiveMemType(guest_pat_type, ept_type);
}

namespace {

constexpr uint64_t kAttrR = bits::Bit(0), kAttrW = bits::Bit(1), kAttrX = bits::Bit(2), kAttrUX = bits::Bit(3),
                   kAttrIpat = bits::Bit(4);
constexpr int kAttrTypeShift = 8;

struct EptFormat {
  using RunType = EptRun;
  const EptState& s;
  int levels;
  uint64_t addr_mask, rsvd_addr;
  explicit EptFormat(const EptState& st)
      : s(st), levels(EptLevels(st.eptp)), addr_mask(ia32e::AddrMask(st.maxphyaddr)),
        rsvd_addr(ia32e::RsvdAbovePhys(st.maxphyaddr)) {}
  bool Present(uint64_t e) const { return emu::Present(s, e); }
  uint64_t Reserved(int level, uint64_t e) const { return EptMisconfigBits(s, level, e); }
  bool IsLeaf(int level, uint64_t e) const { return emu::IsLeaf(level, e); }
  uint64_t Child(uint64_t e) const { return e & addr_mask; }
  uint64_t LeafBase(int level, uint64_t e) const { return ia32e::LeafBase(e, level); }
  uint64_t RsvdAddr() const { return rsvd_addr; }
  uint64_t Canonical(uint64_t gpa) const { return gpa; }
  uint64_t RootAttrs() const { return kAttrR | kAttrW | kAttrX | kAttrUX; }
  uint64_t Inherit(uint64_t a, uint64_t e) const {
    if (!(e & kR)) a &= ~kAttrR;
    if (!(e & kW)) a &= ~kAttrW;
    if (!(e & kX)) a &= ~kAttrX;
    if (!(e & kUX) || !s.mode_based_exec) a &= ~kAttrUX;
    return a;
  }
  uint64_t LeafAttrs(uint64_t a, int, uint64_t e) const {
    return Inherit(a, e) | ((e & kIpat) ? kAttrIpat : 0) | (bits::Field(e, 5, 3) << kAttrTypeShift);
  }
  static EptRun MakeRun(uint64_t gpa, uint64_t size, uint64_t hpa, uint64_t page_size, uint64_t a) {
    EptRun run;
    run.gpa = gpa;
    run.size = size;
    run.hpa = hpa;
    run.page_size = page_size;
    run.r = (a & kAttrR) != 0;
    run.w = (a & kAttrW) != 0;
    run.x = (a & kAttrX) != 0;
    run.ux = (a & kAttrUX) != 0;
    run.ipat = (a & kAttrIpat) != 0;
    DecodeMemType(static_cast<uint8_t>(bits::Field(a, kAttrTypeShift + 2, kAttrTypeShift)), false, &run.mem_type);
    return run;
  }
};

}  // namespace

EptEnumerateResult EnumerateEpt(const PhysMem& mem, const EptState& s, const EnumerateOptions& options) {
  EptEnumerateResult result;
  if (const char* p = EptpProblem(s)) {
    result.error = p;
    return result;
  }
  EptFormat fmt(s);
  WalkOutcome out = RunWalk(mem, fmt, RootOf(s), options);
  static_cast<EnumerationSummary&>(result) = std::move(out.summary);
  result.runs = std::move(out.runs);
  result.misconfigured_entries = result.reserved_entries;
  return result;
}

}  // namespace bootmap::emu
