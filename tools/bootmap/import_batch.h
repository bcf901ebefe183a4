// bootmap import DIR_OR_FILES... -o OUTDIR: one map per input, a summary table, every failure listed.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "sim/map/memory_map.h"

namespace bootmap::cli {

// Converts one input into a map (name, origin, CPU set); false with *error on bad input.
using ConvertFn = std::function<bool(const std::string& input, map::MemoryMap* m, std::vector<std::string>* warnings,
                                     std::string* error)>;

// Whether `output` names a directory to convert into (an existing directory, or ends in '/').
bool IsOutputDirectory(const std::string& output);

// Expands inputs (a directory is its regular files, sorted, unless it is itself a
// /sys/firmware/memmap copy), converts each into OUTDIR/STEM.json, prints the summary table.
// Exit 0 all converted, 1 some failed (each listed), 2 bad usage (no input, OUTDIR unusable).
int RunImportBatch(const std::vector<std::string>& inputs, const std::string& outdir, const ConvertFn& convert);

}  // namespace bootmap::cli
