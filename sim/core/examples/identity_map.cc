// The smallest embedding of the core (sim/core/README.md): plan an identity map of a
// firmware map's RAM, then build IA-32e 4-level tables for it, taking table frames from
// the map's usable RAM. Freestanding: compiled with sim/core/freestanding.flags and
// linked with -nostdlib by tools/checks/install-consume against the installed tree only.
#include "sim/core/builder.h"
#include "sim/core/frame_alloc.h"
#include "sim/core/plan.h"

namespace {

using namespace bootmap;
using namespace bootmap::core;

// While the tables are built, physical memory is identity-mapped (a UEFI loader's view).
uint64_t* IdentityTable(void* /*ctx*/, uint64_t pa) { return reinterpret_cast<uint64_t*>(pa); }

// Static storage: the core allocates nothing. 256 requests is plenty for one window
// over a few dozen regions; Plan says how many it needs if not (kBufferTooSmall).
MapRequest g_requests[256];
WindowPlacement g_placement[1];

}  // namespace

// regions: the firmware map, sorted and disjoint. Returns the root table's physical
// address for CR3 (load IA32_PAT = kPatMsr first), or 0 with *status set.
extern "C" uint64_t bootmap_identity_map(const RegionInfo* regions, size_t count, int* status) {
  Window ram;
  ram.name = "identity";
  ram.kinds = RamLikeKinds();  // usable, ACPI, NVS, boot/loader, runtime, persistent
  ram.nx = false;              // the loader runs from here

  PlanInput in;
  in.regions = regions;
  in.region_count = count;
  in.cpu = {46, /*page1gb=*/true, /*la57=*/false, /*nx=*/true};  // from CPUID in a real loader
  in.paging = Paging::kX86Level4;
  in.layout = {&ram, 1, nullptr, 0};
  PlanOutput out{g_requests, sizeof g_requests / sizeof g_requests[0], g_placement};
  const Result<size_t> planned = Plan(in, &out);
  if (!planned.ok()) {
    *status = int(planned.error.status);
    return 0;
  }

  const PhysWindow window{nullptr, &IdentityTable};
  FramePolicy policy;  // frames from usable RAM >= 1 MiB (add exclude ranges for the kernel)
  policy.regions = regions;
  policy.region_count = count;
  RegionFrameAllocator frames(policy, window);
  FrameAllocator allocator = frames.Interface();

  BuildOptions options;
  options.paging = in.paging;
  options.page1gb = in.cpu.page1gb;
  options.nx = in.cpu.nx;
  options.maxphyaddr = in.cpu.maxphyaddr;
  const Result<BuildOutput> built =
      BuildTables(options, window, allocator, kNoRoot, g_requests, planned.value);
  *status = int(built.error.status);
  return built.ok() ? built.value.root_pa : 0;
}
