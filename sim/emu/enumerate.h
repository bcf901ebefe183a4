// Enumeration of an IA-32e table tree into coalesced leaf runs, bounded against hostile trees.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/emu/paging.h"
#include "sim/emu/walk_engine.h"

namespace bootmap::emu {

// [va, va+size) -> [pa, pa+size): leaves of one page size, contiguous in va and pa, with
// the same effective attributes (combined across levels as Translate does).
struct Run {
  uint64_t va = 0, size = 0, pa = 0, page_size = 0;
  bool writable = false, user = false, nx = false, global = false;
  MemType pat_type = MemType::kUC;
  uint8_t pkey = 0;
};

struct EnumerateResult : EnumerationSummary {
  std::vector<Run> runs;  // ascending va
};

// Every present leaf reachable from CR3, as Translate (supervisor read) would see it:
// entries with reserved bits are reported and skipped (they fault). A table reached a second
// time is reported (shared or self-reference) and, unless follow_shared, not walked again.
EnumerateResult Enumerate(const PhysMem& mem, const CpuState& cpu, const EnumerateOptions& options = {});

}  // namespace bootmap::emu
