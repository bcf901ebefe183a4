// bootmap replay MAP... --summary: many maps replayed, one line each, then the totals.
#pragma once
#include <string>
#include <vector>

#include "tools/bootmap/replay_pipeline.h"

namespace bootmap::cli {

// Replays every map with `options` (profile, layout, paging, runs) and the loader rule `loader`,
// prints one line per map and the totals (or one JSON object). Exit 0 when every map verifies,
// 1 when any has violations, did not build or could not be loaded (each says why on its line).
int RunReplaySummary(const std::vector<std::string>& maps, const ReplayOptions& options, const std::string& paging,
                     const std::string& loader, bool json);

}  // namespace bootmap::cli
