#include "tools/probe/boot_core.h"

#include "sim/core/builder.h"
#include "sim/core/formats.h"
#include "sim/core/frame_alloc.h"
#include "tools/probe/console.h"
#include "tools/probe/cpu.h"
#include "tools/probe/mtrr.h"
#include "tools/probe/probes.h"
#include "tools/probe/profile.h"

namespace probe {
namespace {

constexpr uint64_t k4GiB = uint64_t{1} << 32;
constexpr size_t kMaxRequests = 1024;
constexpr size_t kMaxFrames = 4096;
constexpr uint32_t kMsrEfer = 0xc0000080;

const char* RoleName(RangeRole r) {
  switch (r) {
    case RangeRole::kCode: return "code";
    case RangeRole::kStack: return "stack";
    case RangeRole::kBootInfo: return "boot-info";
    case RangeRole::kData: return "data";
  }
  return "data";
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

// Before the switch every table frame is reached through an identity map (multiboot_entry.S's
// static one, or the firmware's) of the
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

void PlanAndBuild(const PlanInput& in, const Footprint& fp, Built* out) {
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
  static PhysRange exclude[2 * Footprint::kMax];
  size_t n = 0;
  for (size_t i = 0; i < fp.used_count; ++i) exclude[n++] = {fp.used[i].base, fp.used[i].size};
  for (size_t i = 0; i < fp.transition_count; ++i) exclude[n++] = {fp.transition[i].base, fp.transition[i].size};
  FramePolicy policy;
  policy.regions = in.regions;
  policy.region_count = in.region_count;
  policy.exclude = exclude;
  policy.exclude_count = n;
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

// CPU facts and MTRRs into the plan's input, each reported.
void DescribeCpu(bool la57, PlanInput* in) {
  in->cpu = ReadCpu();
  if (la57 && !in->cpu.la57) Fail("paging=5-but-the-cpu-has-no-la57");
  in->paging = la57 ? Paging::kX86Level5 : Paging::kX86Level4;
  Out("cpu").Dec(in->cpu.maxphyaddr).Dec(in->cpu.page1gb).Dec(in->cpu.la57).Dec(in->cpu.nx).End();
  Out("paging").Dec(PagingLevels(in->paging)).End();
  static MtrrState mtrr;
  ReadMtrrs(&mtrr);
  ReportMtrrs(mtrr);
  static TypeRange types[512];
  const int type_count = EffectiveTypes(mtrr, in->cpu.maxphyaddr, types, 512);
  if (type_count < 0) Fail("too-many-mtrr-type-ranges");
  in->mtrr = types;
  in->mtrr_count = size_t(type_count);
}

}  // namespace

void Fail(const char* what, uint64_t detail) {
  Out("error").Word(what).Hex(detail).End();
  Halt();
}

void Footprint::Keep(const char* name, uint64_t lo, uint64_t hi, RangeRole role) {
  lo = PageDown(lo);
  hi = PageUp(hi);
  if (used_count == kMax) Fail("too-many-used-ranges");
  used[used_count++] = {lo, hi - lo, name};
  transition[transition_count++] = {lo, hi - lo, role};
  Out("used").Word(name).Hex(lo).Hex(hi - lo).Word(RoleName(role)).End();
}

void Footprint::Reserve(const char* name, uint64_t lo, uint64_t hi) {
  lo = PageDown(lo);
  hi = PageUp(hi);
  if (used_count == kMax) Fail("too-many-used-ranges");
  used[used_count++] = {lo, hi - lo, name};
  Out("reserve").Word(name).Hex(lo).Hex(hi - lo).End();
}

void RunCore(const BootInputs& boot) {
  PlanInput in;
  DescribeCpu(boot.la57, &in);
  Out("profile bootmap").End();
  const Footprint& fp = *boot.footprint;
  in.regions = boot.regions;
  in.region_count = boot.region_count;
  in.used = fp.used;
  in.used_count = fp.used_count;
  in.layout = {kBootmapWindows, kBootmapWindowCount, fp.transition, fp.transition_count};
  static Built built;
  PlanAndBuild(in, fp, &built);

  // SDM Vol. 3A 12.12.2: the leaves' PAT/PCD/PWT bits index the value the core assumes.
  WriteMsr(kMsrPat, kPatMsr);
  Out("pat").Hex(ReadMsr(kMsrPat)).End();
  // The leaves set XD: EFER.NXE must be on or bit 63 is reserved (SDM Vol. 3A 4.5.1).
  if (in.cpu.nx) WriteMsr(kMsrEfer, ReadMsr(kMsrEfer) | (1u << 11));
  Out("cr3").Hex(built.root).End();
  WriteCr0(ReadCr0() | (1u << 16));  // CR0.WP: supervisor writes honour R/W
  WriteCr4(ReadCr4() | (1u << 7));   // CR4.PGE: the direct map's G bits take effect
  if (boot.la57) {
    if (!boot.switch_la57) Fail("no-la57-switch-in-this-entry");
    boot.switch_la57(built.root);  // through protected mode, CR4.LA57, CR3
  } else {
    WriteCr3(built.root);
  }
  Out("switched").Hex(ReadCr3()).Hex(ReadCr4()).End();  // CR4 bit 12: LA57
  RunProbes(boot.regions, boot.region_count, built.places[kDirectMapWindow], in.paging, boot.boot_info_va,
            boot.stack_bottom);
  Out("done").End();
  Halt();
}

}  // namespace probe
