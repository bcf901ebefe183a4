// The oracle: expected mappings against what the emulator finds in a table tree.
// It reads tables only through sim/emu (Enumerate for the whole picture, Translate for
// spot walks) and the map model; it never uses the builder's code.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/emu/ept.h"
#include "sim/emu/paging.h"
#include "sim/map/memory_map.h"
#include "sim/map/normalize.h"
#include "sim/verify/codes.h"
#include "sim/verify/expected.h"
#include "sim/verify/spec.h"

namespace bootmap::verify {

struct OutputRegion {
  uint64_t base = 0, size = 0;
  bool page_tables = false;  // marked as holding page tables
};

struct VaRange {
  uint64_t va = 0, size = 0;
};

struct Input {
  Format format = Format::kIa32e4;
  emu::PhysMem* mem = nullptr;  // walks do not write (no A/D updates)
  emu::CpuState cpu;            // IA-32e: CR3, PAT, EFER.NXE, CR4.LA57, MAXPHYADDR, 1 GiB pages
  emu::EptState ept;            // EPT: EPTP, capabilities
  map::MemoryMap map;           // CPU facts, MTRRs, framebuffer, used ranges
  std::vector<map::Region> regions;  // the normalised map
  // The expectation: derived from `layout` by the specification (spec.h) when given, else
  // `expected` and `transition` as they stand (tables built elsewhere, tests).
  std::optional<LayoutSpec> layout;
  std::vector<WindowOutcome> outcomes;  // by window: left out, or the auto offset to check
  std::vector<Expected> expected;    // any order; overlaps must agree
  std::vector<std::string> windows;  // names, by Expected::window
  std::vector<TransitionRange> transition;  // physical ranges live across the CR3 switch
  std::optional<std::vector<uint64_t>> table_frames;   // frames the builder says it used
  std::optional<std::vector<OutputRegion>> output_map; // the memory map handed on
  std::optional<emu::CpuState> old_tables;  // tables before the switch; none: identity (firmware)
};

struct Options {
  size_t max_listed = 20;         // violations kept with messages (all are counted)
  uint64_t seed = 1;              // spot-walk sample
  uint32_t samples = 1024;        // random spot walks
  uint32_t max_boundary_walks = 1 << 16;  // runs/expectations whose boundaries are walked
  std::vector<uint64_t> extra_walks;     // addresses walked in addition
  uint64_t blanket_identity_bytes = k1G;  // unneeded identity mapping reported from this size
  emu::EnumerateOptions budgets;
  // A restricted check (bootmap verify --window/--va-range): only the va spans of these
  // windows and these va ranges are checked; mappings elsewhere go to Report::scope.
  std::vector<std::string> scope_windows;
  std::vector<VaRange> scope_ranges;
};

struct Violation {
  Code code = Code::kUnmapped;
  uint64_t va = 0, pa = 0;
  std::string message;
  uint64_t size = 0;  // bytes from va (table codes: from pa); 0 for a point or no range
  bool has_va = true;  // false: a table frame or a whole-layout verdict (va is 0, not an address)
};

// What a restricted check left out: the other windows' mappings and the unexpected ones.
struct ScopeReport {
  std::vector<VaRange> checked;  // the va ranges checked, ascending and disjoint
  struct Other {
    std::string window;
    uint64_t expected_bytes = 0, mapped_bytes = 0;  // outside the scope; mapped: any translation
  };
  std::vector<Other> other_windows;
  uint64_t unexpected_bytes = 0, unexpected_ranges = 0;  // mapped outside the scope and every window
  std::vector<VaRange> unexpected;        // the first Options::max_listed of them
  std::vector<uint64_t> unexpected_pa;    // their first pa
  std::vector<std::string> not_checked;   // whole-layout rules a restricted check skips
};

// Where the memory types the verdicts use come from: "mtrr" (the map's MTRRs, captured or
// imported), "mtrr-partial" (variable ranges only; the unknown rest assumed WB), "assumed" (no
// MTRRs in the map: the documented assumption) or "ept" (EPT entries carry their own types).
struct MemTypeSource {
  std::string source;
  std::string text;  // one line for people: "memory types: ..."
};

struct Report {
  bool verified = false;  // no violation at all
  std::string error;      // bad input (e.g. expected mappings that conflict): nothing verified
  std::vector<Violation> violations;  // the first Options::max_listed, in check order
  uint64_t violation_count = 0;
  std::array<uint64_t, kCodeCount> by_code{};
  std::array<uint64_t, 3> leaves{};          // 4 KiB, 2 MiB, 1 GiB leaves found
  std::array<uint64_t, 3> minimal_leaves{};  // greedy largest aligned pages for the expectation
  int64_t leaf_gap = 0;              // leaves found - minimum (negative: an oracle bug, below-minimum)
  // Verdicts that rest on an assumption (no MTRRs given): counted here, not as violations.
  std::array<uint64_t, kCodeCount> assumed_by_code{};
  std::vector<std::string> assumptions;  // each assumption a verdict rests on, said once
  MemTypeSource mem_types;               // where the memory types come from
  std::vector<Expected> spec;            // the expectation checked: disjoint, ascending va
  uint64_t table_pages = 0;          // table frames reached from the root
  uint64_t minimal_table_pages = 0;  // for the minimal leaves
  uint64_t needed_table_pages = 0;   // for the leaves present
  uint64_t runs = 0, walks = 0;
  uint64_t expected_bytes = 0, mapped_bytes = 0;
  std::vector<uint64_t> table_frames;  // reached from the root, ascending
  std::optional<ScopeReport> scope;    // set by a restricted check
  uint64_t leaf_total() const { return leaves[0] + leaves[1] + leaves[2]; }
  uint64_t minimal_total() const { return minimal_leaves[0] + minimal_leaves[1] + minimal_leaves[2]; }
};

Report Verify(const Input& input, const Options& options = {});

// A leaf run as the verifier compares it (IA-32e or EPT, from the emulator).
struct Leaf {
  uint64_t va = 0, size = 0, pa = 0, page_size = 0;
  bool writable = false, user = false, exec = false;
  MemType type = MemType::kUC;
  bool global = false;
  uint8_t pkey = 0;
};
// A walk's answer, or the enumeration's for the same address.
struct Probe {
  bool mapped = false;
  uint64_t pa = 0, page_size = 0;
  bool writable = false, user = false, exec = false;
  MemType type = MemType::kUC;
  bool operator==(const Probe&) const = default;
};
// What the enumeration `runs` (ascending va) says about va.
Probe ProbeRuns(const std::vector<Leaf>& runs, uint64_t va);
// A page walk of va through the emulator.
Probe Walk(const Input& input, uint64_t va);

}  // namespace bootmap::verify
