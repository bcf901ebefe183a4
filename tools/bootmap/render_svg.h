// The SVG that `bootmap render` writes: one panel per replayed profile, side by side, each
// with the physical address space, page sizes, table frames, violations and virtual layout.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/map/memory_map.h"
#include "tools/bootmap/replay_pipeline.h"

namespace bootmap::cli::render {

using U128 = unsigned __int128;

inline constexpr double kPanelWidth = 1200, kLeft = 70, kWidth = 1100;
// Violations kept with their ranges (Options::max_listed) and drawn, per profile: a 2^28-leaf
// legacy build stays a picture, the rest are counted in the legend.
inline constexpr size_t kMaxMarks = 2000;

// A region or a hole and its place on the physical axis (width grows with log2 of its size).
struct Seg {
  uint64_t base = 0;
  U128 end = 0;
  std::string kind;  // region kind name, or "hole"
  double x = 0, w = 0;
};

// Physical address -> x: linear inside each segment, clamped to the axis.
class Scale {
 public:
  explicit Scale(const map::MemoryMap& m);
  const std::vector<Seg>& segs() const { return segs_; }
  double X(U128 pa) const;

 private:
  std::vector<Seg> segs_;
};

// XML text and attribute escaping; control characters XML 1.0 forbids become '?'.
std::string Esc(const std::string& s);
std::string Num(double v);  // "%.2f"

// The whole document; `file` names the map when it has no name.
std::string Svg(const std::string& file, const map::MemoryMap& m, const std::vector<const ReplayResult*>& panels);

}  // namespace bootmap::cli::render
