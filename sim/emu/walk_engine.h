// The enumeration algorithm, once for every table format (IA-32e and EPT): a depth-first
// pass over present entries that coalesces leaves into runs, in time proportional to the
// entries present. Internal to sim/emu; the formats supply a traits object:
//   int levels; bool Present(e); uint64_t Reserved(level, e) (nonzero: the entry is unusable);
//   bool IsLeaf(level, e); uint64_t Child(e); uint64_t LeafBase(level, e);
//   uint64_t RootAttrs(); uint64_t Inherit(attrs, e); uint64_t LeafAttrs(attrs, level, e);
//   uint64_t Canonical(address); uint64_t RsvdAddr() (address bits at and above MAXPHYADDR);
//   RunType MakeRun(va, size, pa, page_size, attrs).
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "sim/emu/flat_set.h"
#include "sim/emu/phys_mem.h"

namespace bootmap::emu {

enum class AnomalyKind : uint8_t {
  kSharedTable,    // a table referenced by a second entry (visited once)
  kSelfReference,  // an entry referencing its own table or an ancestor (recursive slot)
  kReservedBits,   // present entry with reserved bits set: translation through it faults (or EPT misconfiguration)
};
struct Anomaly {
  AnomalyKind kind = AnomalyKind::kReservedBits;
  uint8_t level = 0;      // level of the entry
  uint64_t va = 0;        // first address the entry translates
  uint64_t entry_pa = 0;  // where the entry is
  uint64_t entry = 0;
  uint64_t detail = 0;    // shared/self: referenced table; reserved: the offending bits
};

// Budgets of an enumeration (IA-32e or EPT); past one it stops with an error.
struct EnumerateOptions {
  uint64_t max_leaves = uint64_t{1} << 30;
  uint64_t max_tables = uint64_t{1} << 22;
  uint64_t max_runs = uint64_t{1} << 24;
  uint64_t max_anomalies = 1024;  // stored; all are counted
  bool follow_shared = false;     // walk shared subtables again (bounded by the budget)
};

// What an enumeration found besides its runs (IA-32e and EPT alike).
struct EnumerationSummary {
  bool ok = false;  // false: a budget was exceeded (error says which) or the root state is invalid
  std::string error;
  std::array<uint64_t, 3> leaves{};  // 4 KiB, 2 MiB, 1 GiB
  std::array<uint64_t, 6> tables{};  // tables[level]: table frames at level 1..5 (PT .. PML5)
  std::vector<Anomaly> anomalies;    // the first max_anomalies
  uint64_t anomaly_count = 0, shared_tables = 0, self_references = 0;
  uint64_t reserved_entries = 0;  // present entries with reserved bits (EPT: misconfigured entries)
};

// Result: a summary plus the format's run type (Fmt::RunType, with a `size` member).
template <class Fmt>
struct WalkOutcome {
  EnumerationSummary summary;
  std::vector<typename Fmt::RunType> runs;
};

template <class Fmt>
class WalkEngine {
 public:
  WalkEngine(const PhysMem& mem, const Fmt& fmt, const EnumerateOptions& limits, WalkOutcome<Fmt>* out)
      : mem_(mem), fmt_(fmt), limits_(limits), out_(out) {}

  void Run(uint64_t root) {
    visited_.Insert(root);
    stack_[fmt_.levels] = root;
    Table(root, fmt_.levels, 0, fmt_.RootAttrs(), true);
  }

 private:
  static constexpr int kShift0 = 12;
  static constexpr uint64_t k4k = 4096;

  bool Fail(std::string msg) {
    out_->summary.ok = false;
    out_->summary.error = std::move(msg);
    return false;
  }
  void Note(AnomalyKind kind, int level, uint64_t va, uint64_t entry_pa, uint64_t e, uint64_t detail) {
    ++out_->summary.anomaly_count;
    if (out_->summary.anomalies.size() < limits_.max_anomalies) {
      out_->summary.anomalies.push_back({kind, static_cast<uint8_t>(level), va, entry_pa, e, detail});
    }
  }
  bool Leaf(int level, uint64_t va, uint64_t e, uint64_t attrs) {
    uint64_t size = uint64_t{1} << (kShift0 + 9 * (level - 1));
    uint64_t pa = fmt_.LeafBase(level, e);
    if (++leaves_total_ > limits_.max_leaves) {
      return Fail("leaf budget exceeded: more than " + std::to_string(limits_.max_leaves) + " leaf entries");
    }
    ++out_->summary.leaves[level - 1];
    auto& runs = out_->runs;
    // Only the last run can grow: its end, page size and packed attributes are kept here.
    if (!runs.empty() && end_va_ == va && end_pa_ == pa && page_size_ == size && attrs_ == attrs) {
      Extend(size);
      return true;
    }
    if (runs.size() >= limits_.max_runs) {
      return Fail("run budget exceeded: more than " + std::to_string(limits_.max_runs) + " runs");
    }
    runs.push_back(fmt_.MakeRun(va, size, pa, size, attrs));
    end_va_ = va + size;
    end_pa_ = pa + size;
    page_size_ = size;
    attrs_ = attrs;
    return true;
  }
  void Extend(uint64_t size) {
    out_->runs.back().size += size;
    end_va_ += size;
    end_pa_ += size;
  }

  // first: the frame's first visit (tables[] counts frames, not visits of shared ones).
  bool Table(uint64_t table, int level, uint64_t va_base, uint64_t attrs, bool first) {
    if (++tables_total_ > limits_.max_tables) {
      return Fail("table budget exceeded: more than " + std::to_string(limits_.max_tables) + " tables");
    }
    if (first) ++out_->summary.tables[level];
    const uint8_t* frame = mem_.FrameForRead(table);
    if (frame == nullptr) return true;  // never written: all entries zero (not present)
    const int shift = kShift0 + 9 * (level - 1);
    uint64_t expect = 0;  // level 1: the entry that would extend the last run by 4 KiB
    for (int i = 0; i < 512; ++i) {
      uint64_t e;
      std::memcpy(&e, frame + 8 * i, 8);
      if (level == 1 && e == expect && e != 0) {
        // Same flags, next frames: same attributes, contiguous va and pa.
        const int n = ContinuingEntries(frame, i, e);
        if (leaves_total_ + uint64_t(n) > limits_.max_leaves) {  // count up to the budget, as leaf by leaf
          out_->summary.leaves[0] += limits_.max_leaves - leaves_total_;
          return Fail("leaf budget exceeded: more than " + std::to_string(limits_.max_leaves) + " leaf entries");
        }
        leaves_total_ += uint64_t(n);
        out_->summary.leaves[0] += uint64_t(n);
        Extend(k4k * uint64_t(n));
        i += n - 1;
        expect = NextExpect(e + k4k * uint64_t(n - 1));
        continue;
      }
      if (!fmt_.Present(e)) {
        expect = 0;  // a hole: the next leaf does not continue the run
        continue;
      }
      uint64_t va = fmt_.Canonical(va_base | (uint64_t(i) << shift));
      uint64_t entry_pa = table + 8 * uint64_t(i);
      if (uint64_t r = fmt_.Reserved(level, e); r != 0) {
        ++out_->summary.reserved_entries;
        Note(AnomalyKind::kReservedBits, level, va, entry_pa, e, r);
        expect = 0;
        continue;
      }
      if (fmt_.IsLeaf(level, e)) {
        if (!Leaf(level, va, e, fmt_.LeafAttrs(attrs, level, e))) return false;
        expect = level == 1 ? NextExpect(e) : 0;
        continue;
      }
      uint64_t child = fmt_.Child(e);
      bool on_stack = false;
      for (int l = level; l <= fmt_.levels; ++l) on_stack |= stack_[l] == child;
      const bool first = visited_.Insert(child);
      if (!first) {
        if (on_stack) {
          ++out_->summary.self_references;
          Note(AnomalyKind::kSelfReference, level, va, entry_pa, e, child);
        } else {
          ++out_->summary.shared_tables;
          Note(AnomalyKind::kSharedTable, level, va, entry_pa, e, child);
        }
        if (!limits_.follow_shared) continue;
      }
      stack_[level - 1] = child;
      if (!Table(child, level - 1, va, fmt_.Inherit(attrs, e), first)) return false;
      stack_[level - 1] = kNone;
    }
    return true;
  }

  // How many entries from i on equal e, e + 4 KiB, e + 8 KiB, ... (at least 1: entry i is
  // e), stopping before the address field would carry into the reserved bits (NextExpect).
  int ContinuingEntries(const uint8_t* frame, int i, uint64_t e) const {
    const uint64_t top = fmt_.RsvdAddr() != 0 ? fmt_.RsvdAddr() & (0 - fmt_.RsvdAddr()) : uint64_t{1} << 52;
    const uint64_t room = (top - (e & (top - 1) & ~(k4k - 1))) / k4k;  // frames up to the top, e's included
    const int end = int(std::min<uint64_t>(512, uint64_t(i) + room));
    int j = i + 1;
    uint64_t x = e + k4k;
    for (; j + 8 <= end; j += 8, x += 8 * k4k) {  // 8 at a time, branch-free inside
      uint64_t block[8], differ = 0;
      std::memcpy(block, frame + 8 * j, sizeof block);
      for (int k = 0; k < 8; ++k) differ |= block[k] ^ (x + k4k * uint64_t(k));
      if (differ != 0) break;
    }
    for (; j < end; ++j, x += k4k) {
      uint64_t next;
      std::memcpy(&next, frame + 8 * j, 8);
      if (next != x) break;
    }
    return j - i;
  }

  // Adds 4 KiB to the address field; 0 (never matched) on a carry out of bit 51 or into
  // the reserved bits at and above MAXPHYADDR.
  uint64_t NextExpect(uint64_t e) const {
    uint64_t n = e + k4k;
    return ((n ^ e) >> 52) == 0 && (n & fmt_.RsvdAddr()) == 0 ? n : 0;
  }

  static constexpr uint64_t kNone = ~uint64_t{0};
  const PhysMem& mem_;
  const Fmt& fmt_;
  EnumerateOptions limits_;
  WalkOutcome<Fmt>* out_;
  uint64_t end_va_ = 0, end_pa_ = 0, page_size_ = 0, attrs_ = 0;  // the last run
  FrameSet visited_;
  std::array<uint64_t, 6> stack_{kNone, kNone, kNone, kNone, kNone, kNone};
  uint64_t leaves_total_ = 0, tables_total_ = 0;
};

template <class Fmt>
WalkOutcome<Fmt> RunWalk(const PhysMem& mem, const Fmt& fmt, uint64_t root, const EnumerateOptions& limits) {
  WalkOutcome<Fmt> out;
  out.summary.ok = true;
  WalkEngine<Fmt>(mem, fmt, limits, &out).Run(root);
  return out;
}

}  // namespace bootmap::emu
