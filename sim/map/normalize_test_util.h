// Helpers shared by the normalisation tests.
#pragma once
#include <utility>
#include <vector>

#include "sim/map/normalize.h"

namespace bootmap::map::testing {

inline MemoryMap E820Map(std::vector<E820Entry> entries) {
  MemoryMap m;
  m.name = "t";
  m.e820 = std::move(entries);
  return m;
}

inline bool Has(const NormalizedMap& n, ChangeKind kind) {
  for (const Change& c : n.changes)
    if (c.kind == kind) return true;
  return false;
}

}  // namespace bootmap::map::testing
