#include "tools/probe/probes.h"

#include "tools/probe/console.h"
#include "tools/probe/exceptions.h"

extern "C" {
int ProbeRead(uint64_t va);
int ProbeWrite(uint64_t va);
int ProbeExec(uint64_t va);
void ProbeRetInstruction();
}

namespace probe {
namespace {

using namespace bootmap::core;

constexpr uint64_t kPage = 4096;
constexpr size_t kMaxRamRegions = 16;  // first and last page of at most this many

enum class Access { kRead, kWrite, kFetch };

// A RET in the data range: executing it must fault (the data range is NX).
alignas(16) unsigned char ret_in_data[16] = {0xc3};

void Try(uint64_t va, Access a, const char* label) {
  const int faulted = a == Access::kRead    ? ProbeRead(va)
                      : a == Access::kWrite ? ProbeWrite(va)
                                            : ProbeExec(va);
  const FaultRecord f = TakeFault();
  Line line = Out("probe").Hex(va).Word(a == Access::kRead ? "read" : a == Access::kWrite ? "write" : "fetch");
  if (faulted && f.faulted) line.Word("fault").Dec(f.vector).Hex(f.error_code).Hex(f.cr2);
  else if (faulted || f.faulted) line.Word("inconsistent-fault-record");
  else line.Word("ok");
  line.Word(label).End();
}

// First and last page of each RAM-like region, read and written through the direct map.
void ProbeRam(const RegionInfo* regions, size_t count, uint64_t offset) {
  size_t done = 0;
  for (size_t i = 0; i < count && done < kMaxRamRegions; ++i) {
    if (!IsRamLike(regions[i].kind)) continue;
    ++done;
    const uint64_t first = offset + regions[i].base;
    const uint64_t last = offset + regions[i].base + regions[i].size - kPage;
    Try(first, Access::kRead, "ram-first");
    Try(first, Access::kWrite, "ram-first");
    Try(last, Access::kRead, "ram-last");
    Try(last, Access::kWrite, "ram-last");
  }
}

// The first hole between regions and the first reserved region: unmapped both in the
// direct map and at their identity address.
void ProbeUnmapped(const RegionInfo* regions, size_t count, uint64_t offset) {
  for (size_t i = 0; i + 1 < count; ++i) {
    const uint64_t end = regions[i].base + regions[i].size;
    if (end < regions[i + 1].base) {
      Try(offset + end, Access::kRead, "hole-direct");
      Try(end, Access::kRead, "hole-identity");
      break;
    }
  }
  for (size_t i = 0; i < count; ++i) {
    if (regions[i].kind != bootmap::RegionKind::kReserved) continue;
    Try(offset + regions[i].base, Access::kRead, "reserved-direct");
    Try(regions[i].base, Access::kRead, "reserved-identity");
    break;
  }
}

}  // namespace

void RunProbes(const RegionInfo* regions, size_t count, const WindowPlacement& direct,
               Paging paging, uint64_t boot_info_va, uint64_t stack_bottom) {
  ProbeRam(regions, count, direct.offset);
  const uint64_t code = reinterpret_cast<uint64_t>(&ProbeRetInstruction);
  Try(code, Access::kFetch, "transition-code");              // RX identity
  Try(code, Access::kWrite, "transition-code");              // read-only: #PF P|W
  Try(direct.offset + code, Access::kFetch, "code-via-direct-map");  // NX alias
  Try(reinterpret_cast<uint64_t>(ret_in_data), Access::kFetch, "transition-data");  // NX
  Try(boot_info_va, Access::kRead, "boot-info");
  Try(stack_bottom, Access::kWrite, "stack-bottom");
  ProbeUnmapped(regions, count, direct.offset);
  // SDM Vol. 3A 3.3.7.1: bits 63:47 (63:56 with LA57) must all equal; else #GP(0).
  Try(PagingLevels(paging) == 5 ? uint64_t{1} << 56 : uint64_t{1} << 47, Access::kRead, "non-canonical");
}

}  // namespace probe
