// Table frames reached from the root: where they lie and whether the builder reported them.
#include <algorithm>
#include <cstring>

#include "sim/emu/flat_set.h"
#include "sim/emu/ia32e_entry.h"
#include "sim/verify/verifier.h"

namespace bootmap::verify::internal {
namespace {

struct TableWalk {
  std::vector<uint64_t> frames;  // ascending
  bool over_budget = false;
};

// Table frames reachable from the root (addresses; level-1 tables are not read).
TableWalk CollectTables(const Input& in, uint64_t max_tables) {
  TableWalk out;
  const bool ept = IsEpt(in.format);
  const uint8_t phys = ept ? in.ept.maxphyaddr : in.cpu.maxphyaddr;
  const uint64_t addr = emu::ia32e::AddrMask(phys);
  const int levels = Levels(in.format);
  const uint64_t root = (ept ? in.ept.eptp : in.cpu.cr3) & addr;
  emu::FrameSet seen;
  std::vector<std::pair<uint64_t, int>> stack = {{root, levels}};
  seen.Insert(root);
  while (!stack.empty()) {
    auto [table, level] = stack.back();
    stack.pop_back();
    if (level == 1) continue;
    const uint8_t* frame = in.mem->FrameForRead(table);
    if (frame == nullptr) continue;
    for (int i = 0; i < emu::ia32e::kEntries; ++i) {
      uint64_t e;
      std::memcpy(&e, frame + 8 * i, 8);
      // Present: P (IA-32e), any of bits 2:0 (EPT, Vol. 3C 29.3.2). Leaves: PS at levels 2-3.
      const bool present = ept ? (e & emu::bits::Range(2, 0)) != 0 : (e & emu::ia32e::kP) != 0;
      if (!present) continue;
      if ((level == 2 || level == 3) && (e & emu::ia32e::kPS)) continue;
      const bool bad = ept ? emu::EptMisconfigBits(in.ept, level, e) != 0 : emu::ReservedBits(in.cpu, level, e) != 0;
      if (bad) continue;
      const uint64_t child = e & addr;
      if (!seen.Insert(child)) continue;
      if (seen.size() > max_tables) {
        out.over_budget = true;
        stack.clear();
        break;
      }
      stack.push_back({child, level - 1});
    }
  }
  out.frames = seen.Sorted();
  return out;
}

}  // namespace

void Verifier::CheckTables() {
  TableWalk walk = CollectTables(in_, opt_.budgets.max_tables);
  report_.table_frames = std::move(walk.frames);
  report_.table_pages = report_.table_frames.size();
  std::vector<uint64_t> declared;
  if (in_.table_frames) {
    declared = *in_.table_frames;
    std::sort(declared.begin(), declared.end());
  }
  size_t region_index = 0;  // frames ascend, so the region search goes on where it stopped
  for (uint64_t f : report_.table_frames) CheckTableFrame(f, declared, &region_index);
  if (walk.over_budget) {
    Finding x{Code::kEnumerationFailed};
    x.text = "table collection stopped: more than " + std::to_string(opt_.budgets.max_tables) + " tables";
    findings_.Add(std::move(x));
  }
}

// One frame: inside RAM the loader may take (UEFI 2.10 7.4 before ExitBootServices), clear of
// used ranges, the framebuffer and transition ranges, and reported as page tables.
void Verifier::CheckTableFrame(uint64_t f, const std::vector<uint64_t>& declared, size_t* region_index) {
  size_t& ri = *region_index;
  while (ri < in_.regions.size() && in_.regions[ri].end() <= f) ++ri;
  const bool in_region = ri < in_.regions.size() && in_.regions[ri].base <= f && in_.regions[ri].end() >= U128(f) + k4K;
  const RegionKind kind = in_region ? in_.regions[ri].kind : RegionKind::kReserved;
  if (!in_region || !(IsAllocatable(kind) || kind == RegionKind::kLoader)) {
    Finding x{Code::kTableOutsideRam, f, k4K, f};
    if (in_region) x.region = kind;  // none: a hole
    findings_.Add(x);
  } else if (in_.map.stage == map::Stage::kBeforeExitBootServices && kind != RegionKind::kUsable) {
    Finding x{Code::kTableOnFirmwareMemory, f, k4K, f};  // UEFI 2.10 7.4
    x.region = kind;
    findings_.Add(x);
  }
  for (size_t u = 0; u < in_.map.used.size(); ++u) {
    const map::UsedRange& used = in_.map.used[u];
    if (f < used.base + used.size && used.base < f + k4K) {
      Finding x{Code::kTableOverlapsUsed, f, k4K, f};
      x.used_range = u;
      findings_.Add(x);
    }
  }
  if (in_.map.framebuffer) {
    const auto& fb = *in_.map.framebuffer;
    if (f < fb.base + fb.size && fb.base < f + k4K) findings_.Add(Finding(Code::kTableOverlapsFramebuffer, f, k4K, f));
  }
  for (const TransitionRange& t : transition_) {
    if (f < U128(t.base) + t.size && t.base < U128(f) + k4K) {
      Finding x{Code::kTableOverlapsTransition, f, k4K, f};
      x.range_base = t.base;
      x.range_size = t.size;
      findings_.Add(x);
    }
  }
  bool reported = true;
  if (in_.output_map) {
    reported = std::any_of(in_.output_map->begin(), in_.output_map->end(), [&](const OutputRegion& o) {
      return o.page_tables && o.base <= f && U128(o.base) + o.size >= U128(f) + k4K;
    });
  } else if (in_.table_frames) {
    reported = std::binary_search(declared.begin(), declared.end(), f);
  }
  if (!reported) findings_.Add(Finding(Code::kTableUnreported, f, k4K, f));
}

}  // namespace bootmap::verify::internal
