// Test-only: a small machine (map, expected mappings) and a tiny table writer that maps
// each expectation with the largest aligned pages (emu's TableBuilder writes the entries).
// Independent of sim/core: the verifier's tests must not trust the builder they check.
#pragma once
#include <memory>
#include <vector>

#include "sim/emu/ept.h"
#include "sim/emu/ia32e_entry.h"
#include "sim/emu/mem_types.h"
#include "sim/emu/table_builder.h"
#include "sim/verify/verify.h"

namespace bootmap::verify::testing {

inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kGiB = uint64_t{1} << 30;
inline constexpr uint64_t kDirect = 0xffff'8880'0000'0000ull;  // direct map base (PML4 slot 273)
inline constexpr uint64_t kDirect5 = 0xff11'0000'0000'0000ull;  // with 5-level paging (PML5 slot 273)
inline constexpr uint64_t kKernel = 0xffff'ffff'8000'0000ull;  // kernel image (PML4 slot 511)
inline constexpr uint64_t kFirstFrame = 16 * kMiB;            // tables from here (usable RAM)
// IA32_PAT of the tests: WB WC UC- UC WB WP UC- WT (Linux's layout).
inline constexpr uint64_t kTestPat = emu::MakePat({MemType::kWB, MemType::kWC, MemType::kUCMinus, MemType::kUC,
                                                   MemType::kWB, MemType::kWP, MemType::kUCMinus, MemType::kWT});

inline Expected Map(uint64_t va, uint64_t pa, uint64_t size, bool w, bool nx, MemType t, uint64_t max_page,
                    uint16_t window) {
  Expected e;
  e.va = va;
  e.pa = pa;
  e.size = size;
  e.writable = w;
  e.nx = nx;
  e.type = t;
  e.max_page = max_page;
  e.window = window;
  return e;
}

class World {
 public:
  // format: IA-32e 4/5-level or EPT 4-level. The standard map and windows:
  //   usable [0, 0x9f000), reserved [0xf0000, 1 MiB), usable [1 MiB, 2 GiB),
  //   reserved (MMIO) [0xfec00000, +1 MiB), usable [4 GiB, 6 GiB); framebuffer 512 MiB + 8 MiB
  //   (inside usable RAM); used "kernel" [2 MiB, 4 MiB); MTRR default WB, WT at 1 GiB + 1 MiB (1 MiB).
  //   windows: 0 kernel-text (RX, 2 MiB cap), 1 direct-map (RW NX WB), 2 mmio (identity, UC), 3 rodata (R NX).
  explicit World(Format format = Format::kIa32e4) : mem_(46) {
    in.format = format;
    in.mem = &mem_;
    in.map.cpu.maxphyaddr = 46;
    in.map.e820 = {{0, 0x9f000, map::e820::kUsable},
                   {0xf0000, 0x10000, map::e820::kReserved},
                   {kMiB, 2 * kGiB - kMiB, map::e820::kUsable},
                   {0xfec00000, kMiB, map::e820::kReserved},
                   {4 * kGiB, 2 * kGiB, map::e820::kUsable}};
    in.map.framebuffer = map::Framebuffer{512 * kMiB, 8 * kMiB};
    in.map.used = {{"kernel", 2 * kMiB, 2 * kMiB}};
    map::Mtrrs m;
    m.default_type = MemType::kWB;
    m.variable = {{kGiB + kMiB, ~(kMiB - 1) & ((uint64_t{1} << 46) - 1), MemType::kWT}};
    in.map.mtrr = m;
    in.regions = map::Normalize(in.map).regions;
    cuts = {kGiB + kMiB, kGiB + 2 * kMiB};
    in.windows = {"kernel-text", "direct-map", "mmio", "rodata"};
    const bool ept = IsEpt(format);
    const uint64_t direct = Levels(format) == 5 ? kDirect5 : kDirect;
    if (!ept) {
      in.expected.push_back(Map(kKernel, 2 * kMiB, 2 * kMiB, false, false, MemType::kWB, 2 * kMiB, 0));
      for (auto [base, size] : {std::pair{uint64_t{0}, uint64_t{0x9f000}}, {kMiB, 2 * kGiB - kMiB}, {4 * kGiB, 2 * kGiB}})
        in.expected.push_back(Map(direct + base, base, size, true, true, MemType::kWB, kGiB, 1));
      in.expected.push_back(Map(0xfec00000, 0xfec00000, kMiB, true, true, MemType::kUC, kGiB, 2));
      in.expected.push_back(Map(kKernel + 4 * kMiB, 6 * kMiB, kMiB, false, true, MemType::kWB, kGiB, 3));
    } else {
      // EPT identity: RAM WB RWX, MMIO UC.
      for (auto [base, size] : {std::pair{uint64_t{0}, uint64_t{0x9f000}}, {kMiB, 2 * kGiB - kMiB}, {4 * kGiB, 2 * kGiB}})
        in.expected.push_back(Map(base, base, size, true, false, MemType::kWB, kGiB, 1));
      in.expected.push_back(Map(0xfec00000, 0xfec00000, kMiB, true, true, MemType::kUC, kGiB, 2));
    }
  }

  // Writes tables for every expectation; call after editing `in.expected`.
  void Build() {
    const bool ept = IsEpt(in.format);
    const int levels = Levels(in.format);
    tb_ = std::make_unique<emu::TableBuilder>(mem_, levels, kFirstFrame,
                                              ept ? emu::ept::kR | emu::ept::kW | emu::ept::kX
                                                  : emu::TableBuilder::kDefaultTableFlags);
    for (const Expected& e : in.expected) Write(e);
    in.cpu.cr3 = tb_->root();
    in.cpu.cr4_la57 = levels == 5;
    in.cpu.maxphyaddr = 46;
    in.cpu.pat = kTestPat;
    in.ept.eptp = emu::ept::MakeEptp(tb_->root(), levels);
    in.ept.maxphyaddr = 46;
    SyncOutputMap();
  }
  // The output map marks [kFirstFrame, next frame) as page tables.
  void SyncOutputMap() { in.output_map = std::vector<OutputRegion>{{kFirstFrame, tb_->next_frame() - kFirstFrame, true}}; }

  uint64_t LeafBits(const Expected& e, int level) const {
    if (IsEpt(in.format)) {
      const MemType t = e.type == MemType::kUCMinus ? MemType::kUC : e.type;
      return emu::ept::kR | (e.writable ? emu::ept::kW : 0) | (e.nx ? 0 : emu::ept::kX) |
             (uint64_t(t) << 3) | (level > 1 ? emu::ept::kPS : 0);
    }
    int index = 0;
    while (index < 8 && emu::PatEntry(kTestPat, index) != e.type) ++index;
    namespace x = emu::ia32e;
    return x::kP | (e.writable ? x::kRW : 0) | (e.user ? x::kUS : 0) | (e.nx ? x::kXD : 0) |
           ((index & 1) ? x::kPWT : 0) | ((index & 2) ? x::kPCD : 0) |
           ((index & 4) ? (level == 1 ? x::kPat4k : x::kPatLarge) : 0) | (level > 1 ? x::kPS : 0);
  }

  // Greedy: the largest page that is aligned in va and pa, under the cap, without a cut inside.
  void Write(const Expected& e) {
    uint64_t off = 0;
    while (off < e.size) {
      const uint64_t va = e.va + off, pa = e.pa + off;
      int level = 3;
      for (; level > 1; --level) {
        const uint64_t s = emu::ia32e::PageSize(level);
        if (s > e.max_page || va % s || pa % s || e.size - off < s) continue;
        bool cut = false;
        for (uint64_t c : cuts) cut |= c > pa && c < pa + s;
        if (!cut) break;
      }
      tb_->Set(va, level, LeafBits(e, level) | pa);
      off += emu::ia32e::PageSize(level);
    }
  }

  emu::TableBuilder& tables() { return *tb_; }
  emu::PhysMem& mem() { return mem_; }
  // The entry mapping va at `level` (tables are created if missing: use on mapped addresses).
  uint64_t EntryPa(uint64_t va, int level) { return tb_->EntryPa(va, level); }
  uint64_t Get(uint64_t va, int level) { return mem_.Read64(EntryPa(va, level)); }
  void Set(uint64_t va, int level, uint64_t e) { mem_.Write64(EntryPa(va, level), e); }

  Report Check(const Options& o = {}) { return Verify(in, o); }

  Input in;
  std::vector<uint64_t> cuts;  // MTRR type changes (physical)

 private:
  emu::PhysMem mem_;
  std::unique_ptr<emu::TableBuilder> tb_;
};

}  // namespace bootmap::verify::testing
