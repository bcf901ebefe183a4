// The probe kernel: Multiboot info -> the core's plan, sizing and build with the `bootmap`
// profile -> IA32_PAT and CR3 switched to the new tables -> probes run on them. Every
// step reports a line on the debug console (README.md, "Report lines").
#include <stddef.h>
#include <stdint.h>

#include "sim/core/builder.h"
#include "sim/core/formats.h"
#include "sim/core/frame_alloc.h"
#include "sim/core/plan.h"
#include "tools/probe/console.h"
#include "tools/probe/cpu.h"
#include "tools/probe/exceptions.h"
#include "tools/probe/firmware_map.h"
#include "tools/probe/mtrr.h"
#include "tools/probe/probes.h"
#include "tools/probe/profile.h"

extern "C" {
void SwitchTo5Level(uint64_t root);
extern char __code_start[], __code_end[], __data_start[], __data_end[], __stack_start[], __stack_end[];
}

namespace probe {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t k4GiB = uint64_t{1} << 32;
constexpr uint32_t kMultibootMagic = 0x2badb002;  // Multiboot 0.6.96 3.2
constexpr size_t kMaxUsed = 6;
constexpr size_t kMaxRequests = 1024;
constexpr size_t kMaxFrames = 4096;

uint64_t Addr(const void* p) { return reinterpret_cast<uint64_t>(p); }
uint64_t PageDown(uint64_t v) { return v & ~(kPage - 1); }
uint64_t PageUp(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

[[noreturn]] void Fail(const char* what, uint64_t detail = 0) {
  Out("error").Word(what).Hex(detail).End();
  Halt();
}

const char* RoleName(RangeRole r) {
  switch (r) {
    case RangeRole::kCode: return "code";
    case RangeRole::kStack: return "stack";
    case RangeRole::kBootInfo: return "boot-info";
    case RangeRole::kData: return "data";
  }
  return "data";
}

// The kernel command line: `profile=NAME` (only bootmap), `paging=4|5`. Multiboot 3.3.
struct Options {
  bool la57 = false;
};

bool StartsWith(const char* s, const char* prefix) {
  while (*prefix)
    if (*s++ != *prefix++) return false;
  return true;
}

Options ParseCmdline(const char* s) {
  Options o;
  while (s && *s) {
    while (*s == ' ') ++s;
    if (StartsWith(s, "profile=") && !(StartsWith(s, "profile=bootmap") && (s[15] == ' ' || s[15] == 0)))
      Fail("unsupported-profile (only bootmap is built in)");
    if (StartsWith(s, "paging=5")) o.la57 = true;
    while (*s && *s != ' ') ++s;
  }
  return o;
}

// CPUID facts the core needs: CPUID.80000008H:EAX[7:0] (MAXPHYADDR), .80000001H:EDX[26]
// (1 GiB pages) and [20] (NX), .(EAX=7,ECX=0):ECX[16] (LA57). SDM Vol. 2A CPUID.
CpuInfo ReadCpu() {
  CpuInfo c;
  const uint32_t max_ext = Cpuid(0x80000000).eax;
  c.maxphyaddr = max_ext >= 0x80000008 ? uint8_t(Cpuid(0x80000008).eax & 0xff) : 36;
  const CpuidRegs ext = Cpuid(0x80000001);
  c.page1gb = (ext.edx >> 26) & 1;
  c.nx = (ext.edx >> 20) & 1;
  c.la57 = Cpuid(0).eax >= 7 && ((Cpuid(7, 0).ecx >> 16) & 1);
  return c;
}

struct Footprint {
  NamedRange used[kMaxUsed];
  RoleRange transition[kMaxUsed];
  size_t count = 0;
  void Add(const char* name, uint64_t lo, uint64_t hi, RangeRole role) {
    lo = PageDown(lo);
    hi = PageUp(hi);
    used[count] = {lo, hi - lo, name};
    transition[count] = {lo, hi - lo, role};
    ++count;
    Out("used").Word(name).Hex(lo).Hex(hi - lo).Word(RoleName(role)).End();
  }
};

// The image (code, data, stack: linker symbols, link.ld) and the boot info it still reads.
void DescribeFootprint(const MultibootInfo& mbi, Footprint* f) {
#ifdef PROBE_PLANT_NX_TRANSITION
  // Planted failure (tools/checks/qemu-probe): the code described as data, so the new
  // tables map it NX and the first fetch after the CR3 switch faults.
  f->Add("probe-code", Addr(__code_start), Addr(__code_end), RangeRole::kData);
#else
  f->Add("probe-code", Addr(__code_start), Addr(__code_end), RangeRole::kCode);
#endif
  f->Add("probe-data", Addr(__data_start), Addr(__data_end), RangeRole::kData);
  f->Add("probe-stack", Addr(__stack_start), Addr(__stack_end), RangeRole::kStack);
  // Multiboot 3.3: the info structure, the command line and the mmap buffer (QEMU puts
  // them in different places); page-rounded, merged where they share a page.
  struct Piece {
    uint64_t lo, hi;
    const char* name;
  } pieces[3] = {{Addr(&mbi), Addr(&mbi) + sizeof(MultibootInfo), "boot-info"},
                 {mbi.mmap_addr, uint64_t(mbi.mmap_addr) + mbi.mmap_length, "boot-mmap"},
                 {0, 0, "boot-cmdline"}};
  if (mbi.flags & kMbInfoCmdline) {
    const char* c = reinterpret_cast<const char*>(uint64_t(mbi.cmdline));
    uint64_t len = 0;
    while (c[len]) ++len;
    pieces[2] = {mbi.cmdline, mbi.cmdline + len + 1, "boot-cmdline"};
  }
  for (Piece& p : pieces) p = {PageDown(p.lo), PageUp(p.hi), p.name};
  for (int i = 0; i < 3; ++i) {
    if (pieces[i].hi == pieces[i].lo) continue;
    for (int j = i + 1; j < 3; ++j) {
      if (pieces[j].hi == pieces[j].lo || pieces[j].lo > pieces[i].hi || pieces[i].lo > pieces[j].hi) continue;
      pieces[i].lo = pieces[j].lo < pieces[i].lo ? pieces[j].lo : pieces[i].lo;
      pieces[i].hi = pieces[j].hi > pieces[i].hi ? pieces[j].hi : pieces[i].hi;
      pieces[j].hi = pieces[j].lo;  // merged into i
    }
    f->Add(pieces[i].name, pieces[i].lo, pieces[i].hi, RangeRole::kBootInfo);
  }
}

}  // namespace
}  // namespace probe

namespace probe {
namespace {

// Before the switch every table frame is reached through entry.S's identity map of the
// first 4 GiB; the frame policy's ceiling keeps frames there (the host gets the same
// ceiling: `bootmap build --ceiling 0x100000000`).
uint64_t* IdentityTable(void*, uint64_t pa) { return reinterpret_cast<uint64_t*>(pa); }

// The core's allocator, recording each frame for the report.
struct RecordingAllocator {
  RegionFrameAllocator* inner;
  uint64_t frames[kMaxFrames];
  size_t count = 0;
  FrameAllocator Interface() {
    FrameAllocator a;
    a.ctx = this;
    a.allocate = [](void* c, uint64_t* pa) {
      auto* self = static_cast<RecordingAllocator*>(c);
      if (self->count == kMaxFrames || !self->inner->Allocate(pa)) return false;
      self->frames[self->count++] = *pa;
      return true;
    };
    a.reserve = [](void* c, uint64_t n) {
      auto* self = static_cast<RecordingAllocator*>(c);
      return n <= kMaxFrames - self->count && self->inner->Reserve(n);
    };
    return a;
  }
  void Report() const {  // runs of consecutive frames: `frames BASE COUNT`
    for (size_t i = 0; i < count;) {
      size_t j = i + 1;
      while (j < count && frames[j] == frames[j - 1] + kPage) ++j;
      Out("frames").Hex(frames[i]).Dec(j - i).End();
      i = j;
    }
  }
};

RecordingAllocator recorder{nullptr, {}, 0};

struct Built {
  uint64_t root = 0;
  WindowPlacement places[kBootmapWindowCount];
};

void PlanAndBuild(const PlanInput& in, const RegionInfo* regions, size_t region_count,
                  const Footprint& fp, Built* out) {
  static MapRequest requests[kMaxRequests];
  PlanOutput po{requests, kMaxRequests, out->places};
  const Result<size_t> planned = Plan(in, &po);
  if (!planned.ok()) Fail(StatusName(planned.error.status), planned.error.request);
  Out("requests").Dec(planned.value).End();
  for (size_t w = 0; w < kBootmapWindowCount; ++w)
    if (!out->places[w].empty)
      Out("window").Word(kBootmapWindows[w].name).Hex(out->places[w].va_lo).Hex(out->places[w].va_hi)
          .Hex(out->places[w].offset).End();

  // Frames as the host takes them (sim/core/host/build.cc): allocatable RAM >= 1 MiB,
  // outside every used and transition range.
  static PhysRange exclude[2 * kMaxUsed];
  for (size_t i = 0; i < fp.count; ++i) {
    exclude[2 * i] = {fp.used[i].base, fp.used[i].size};
    exclude[2 * i + 1] = {fp.transition[i].base, fp.transition[i].size};
  }
  FramePolicy policy;
  policy.regions = regions;
  policy.region_count = region_count;
  policy.exclude = exclude;
  policy.exclude_count = 2 * fp.count;
  const uint64_t phys_top = uint64_t{1} << in.cpu.maxphyaddr;
  policy.ceiling = phys_top < k4GiB ? phys_top : k4GiB;
  const PhysWindow window{nullptr, IdentityTable};
  RegionFrameAllocator inner(policy, window);
  recorder.inner = &inner;
  recorder.count = 0;
  FrameAllocator allocator = recorder.Interface();

  BuildOptions options;
  options.paging = in.paging;
  options.page1gb = in.cpu.page1gb;
  options.nx = in.cpu.nx;
  options.maxphyaddr = in.cpu.maxphyaddr;
  options.max_frames = kMaxFrames;
  const Result<uint64_t> sized = SizeTables(options, window, kNoRoot, requests, planned.value);
  if (!sized.ok()) Fail(StatusName(sized.error.status), sized.error.address);
  Out("sized").Dec(sized.value).End();
  const Result<BuildOutput> built =
      BuildTables(options, window, allocator, kNoRoot, requests, planned.value);
  if (!built.ok()) Fail(StatusName(built.error.status), built.error.address);
  if (built.value.frames != sized.value) Fail("sizing-disagrees-with-build", built.value.frames);
  recorder.Report();
  out->root = built.value.root_pa;
}

void ReportMap(const E820Entry* e, int n, const RegionInfo* regions, int region_count) {
  for (int i = 0; i < n; ++i) Out("map").Hex(e[i].base).Hex(e[i].size).Dec(e[i].type).End();
  for (int i = 0; i < region_count; ++i)
    Out("region").Hex(regions[i].base).Hex(regions[i].size).Dec(uint64_t(regions[i].kind)).End();
}

}  // namespace
}  // namespace probe

extern "C" void ProbeMain(uint32_t magic, uint32_t info_pa) {
  using namespace probe;
  Out("start bootmap-probe").End();
  if (magic != kMultibootMagic) Fail("not-multiboot", magic);
  InstallIdt();
  const auto& mbi = *reinterpret_cast<const MultibootInfo*>(uint64_t(info_pa));
  const Options options =
      ParseCmdline((mbi.flags & kMbInfoCmdline) ? reinterpret_cast<const char*>(uint64_t(mbi.cmdline)) : nullptr);
  static E820Entry entries[kMaxEntries];
  const int n = ReadMultibootMap(mbi, entries, kMaxEntries);
  if (n <= 0) Fail("no-multiboot-mmap-or-over-128-entries", mbi.flags);
  static RegionInfo regions[2 * kMaxEntries + 1];
  const int region_count = Normalize(entries, size_t(n), regions, 2 * kMaxEntries + 1);
  if (region_count <= 0) Fail("empty-map", uint64_t(n));
  ReportMap(entries, n, regions, region_count);

  PlanInput in;
  in.cpu = ReadCpu();
  if (options.la57 && !in.cpu.la57) Fail("paging=5-but-no-la57");
  in.paging = options.la57 ? Paging::kX86Level5 : Paging::kX86Level4;
  Out("cpu").Dec(in.cpu.maxphyaddr).Dec(in.cpu.page1gb).Dec(in.cpu.la57).Dec(in.cpu.nx).End();
  Out("paging").Dec(PagingLevels(in.paging)).End();
  static MtrrState mtrr;
  ReadMtrrs(&mtrr);
  ReportMtrrs(mtrr);
  static TypeRange types[512];
  const int type_count = EffectiveTypes(mtrr, in.cpu.maxphyaddr, types, 512);
  if (type_count < 0) Fail("too-many-mtrr-type-ranges");
  in.mtrr = types;
  in.mtrr_count = size_t(type_count);
  Out("profile bootmap").End();
  static Footprint footprint;
  DescribeFootprint(mbi, &footprint);
  in.regions = regions;
  in.region_count = size_t(region_count);
  in.used = footprint.used;
  in.used_count = footprint.count;
  in.layout = {kBootmapWindows, kBootmapWindowCount, footprint.transition, footprint.count};
  static Built built;
  PlanAndBuild(in, regions, size_t(region_count), footprint, &built);

  // SDM Vol. 3A 12.12.2: the leaves' PAT/PCD/PWT bits index the value the core assumes.
  WriteMsr(kMsrPat, kPatMsr);
  Out("pat").Hex(ReadMsr(kMsrPat)).End();
  Out("cr3").Hex(built.root).End();
  WriteCr4(ReadCr4() | (1u << 7));  // CR4.PGE: the direct map's G bits take effect
  if (options.la57) {
    SwitchTo5Level(built.root);  // entry.S: through protected mode, CR4.LA57, CR3
  } else {
    WriteCr3(built.root);
  }
  Out("switched").Hex(ReadCr3()).Hex(ReadCr4()).End();  // CR4 bit 12: LA57
  RunProbes(regions, size_t(region_count), built.places[kDirectMapWindow], in.paging, mbi);
  Out("done").End();
  Halt();
}
