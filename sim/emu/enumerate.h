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

struct EnumerateResult {
  bool ok = false;  // false: a budget was exceeded (error says which); runs so far are kept
  std::string error;
  std::vector<Run> runs;             // ascending va
  std::array<uint64_t, 3> leaves{};  // 4 KiB, 2 MiB, 1 GiB
  std::array<uint64_t, 6> tables{};  // tables[level]: table frames at level 1..5 (PT .. PML5)
  std::vector<Anomaly> anomalies;
  uint64_t anomaly_count = 0, shared_tables = 0, self_references = 0, reserved_entries = 0;
};

// Every present leaf reachable from CR3, as Translate (supervisor read) would see it:
// entries with reserved bits are reported and skipped (they fault). A table reached a second
// time is reported (shared or self-reference) and, unless follow_shared, not walked again.
EnumerateResult Enumerate(const PhysMem& mem, const CpuState& cpu, const EnumerateOptions& options = {});

}  // namespace bootmap::emu
