// What `render` draws from the verifier's report: table frames over the used, transition and
// framebuffer ranges, each violation as a mark at its physical range (one lane per code
// family), and the legend with every code present and its count.
#pragma once
#include <ostream>

#include "sim/map/memory_map.h"
#include "tools/bootmap/render_svg.h"
#include "tools/bootmap/replay_pipeline.h"

namespace bootmap::cli::render {

// Lanes under the physical axis from y; returns the y below them.
double DrawFramesAndMarks(const Scale& scale, const map::MemoryMap& m, const ReplayResult& r, double y, std::ostream& o);
// Outlines top-level slots that a slot-collision names (grid of 32 x 16 from x0, y0).
void DrawSlotMarks(const ReplayResult& r, int shift, double x0, double y0, std::ostream& o);
// The verdict and one legend line per code present; returns the y below it.
double DrawViolationLegend(const ReplayResult& r, double x, double y, std::ostream& o);

}  // namespace bootmap::cli::render
