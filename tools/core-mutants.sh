# Planted bugs in sim/core: the one list tools/checks/oracle-mutants (does the verifier
# catch each?) and tools/fuzz-mutants (how long does each fuzz target take to find it?) read.
# Sourced by both after they define
#   mutant NAME FILE CODE SET OLD NEW
# NAME: the bug; FILE: the source it is planted in; CODE: the violation code the verifier
# must report; SET: the oracle-mutants run set (all, ept); OLD -> NEW: an exact replacement
# that must occur exactly once in FILE (a stale pattern fails both scripts). The mutated
# FILE must still compile with clang -Werror and g++ -Werror.
# shellcheck shell=bash

# ---- planner (sim/core/plan.cc)
# 32-bit truncation of a region's end: RAM above 4 GiB drops out of the direct map.
mutant ram-end-truncated-32bit sim/core/plan.cc unmapped all \
  'uint64_t hi = SatEnd(base, size);' \
  'uint64_t hi = uint32_t(SatEnd(base, size));'
# || for &&: every window NX, transition code included.
mutant code-made-nx sim/core/plan.cc transition-permissions all \
  'r.nx = w.nx && in.cpu.nx;' \
  'r.nx = w.nx || in.cpu.nx;'
# E820 RAM has no EFI attributes: taking that case as UC, as for runtime regions, makes it uncached.
mutant e820-ram-uncached sim/core/plan.cc wrong-memtype all \
  'if (efi_attributes == 0) return runtime ? MemType::kUC : MemType::kWB;' \
  'if (efi_attributes == 0) return runtime ? MemType::kUC : MemType::kUC;'
# EFI_MEMORY_RUNTIME ignored (the window's kinds tested where its runtime kinds belong):
# runtime MMIO/reserved regions are not identity-mapped.
mutant efi-runtime-attr-ignored sim/core/plan.cc efi-runtime-unmapped all \
  '((r.efi_attributes & kEfiRuntime) && (w.runtime_kinds & bit))' \
  '((r.efi_attributes & kEfiRuntime) && (w.kinds & bit))'
# Off by one in the free-slot run: the direct map starts in an occupied (low-half) slot.
mutant auto-slot-off-by-one sim/core/plan.cc bad-placement all \
  'start = s + 1 - uint32_t(need);' \
  'start = s - uint32_t(need);'
# Every selection rounded out to 2 MiB "so large pages fit": RAM pages cover reserved neighbours.
mutant selection-rounded-to-2m sim/core/plan.cc large-page-spans-types all \
  'const uint64_t round = LevelBytes(w.round_level) - 1;' \
  'const uint64_t round = LevelBytes(Max(w.round_level, kLevel2M)) - 1;'
# Requests not split at MTRR type changes (SDM Vol. 3A 12.11.9).
mutant mtrr-split-skipped sim/core/plan.cc large-page-spans-types all \
  'const uint64_t stop = Min(p.end, NextBoundary(in, a, Cacheable(r.type)));' \
  'const uint64_t stop = p.end;'

# ---- builder (sim/core/builder.cc, formats.h)
# After a partial first entry, pa advances a whole step instead of the distance covered.
mutant pa-advances-whole-step sim/core/builder.cc wrong-pa all \
  'pa += stop - va;' \
  'pa += kStep;'
# 1 GiB pages without checking CPUID (page1gb): PS in a PDPTE is a reserved bit there.
mutant gib-pages-without-cpu-support sim/core/builder.cc reserved-bits all \
  'leaf_max_ = Min<int>(r.max_level, options_.page1gb ? kLevel1G : options_.page2m ? kLevel2M : kLevel4K);' \
  'leaf_max_ = r.max_level;'
# The window's page-size cap ignored.
mutant page-cap-ignored sim/core/builder.cc page-over-cap ept \
  'leaf_max_ = Min<int>(r.max_level, options_.page1gb ? kLevel1G : options_.page2m ? kLevel2M : kLevel4K);' \
  'leaf_max_ = options_.page1gb ? kLevel1G : options_.page2m ? kLevel2M : kLevel4K;'
# G bit not copied into the leaf attributes.
mutant global-bit-dropped sim/core/builder.cc wrong-global all \
  'a.global = r.global;' \
  ''
# < for <=: the largest page the window and CPU allow is never used.
mutant largest-page-never-used sim/core/builder.cc leaves-not-minimal all \
  'if (L <= leaf_max_ &&' \
  'if (L < leaf_max_ &&'
# NX condition inverted: XD never set on a CPU that has NX.
mutant nx-bit-never-set sim/core/formats.h wrong-exec all \
  'if (nx_supported) e |= ExecuteDisable::Make(a.nx);' \
  'if (!nx_supported) e |= ExecuteDisable::Make(a.nx);'
# R/W always set: read-only (code) leaves become writable.
mutant writable-always-set sim/core/formats.h wrong-writable all \
  'Writable::Make(a.writable)' \
  'Writable::kMask'

# ---- frame allocator (sim/core/frame_alloc.cc) and its host glue (sim/core/host/build.cc)
# Wrong end compared: an exclusion starting at the cursor counts as behind it, so tables
# land in the loader's own footprint.
mutant exclusion-at-cursor-skipped sim/core/frame_alloc.cc table-overlaps-transition all \
  'if (ex_end <= lo || ex.base >= hi) continue;' \
  'if (ex.base <= lo || ex.base >= hi) continue;'
# The exclusion list built but never handed to the allocator.
mutant exclusions-not-passed sim/core/host/build.cc table-overlaps-used all \
  'policy.exclude_count = exclude.size();' \
  ''
# The output map marks only the first frame of each run of table frames.
mutant output-map-one-frame-per-run sim/core/host/build.cc table-unreported all \
  'out.push_back({runs[r].first, runs[r].second - runs[r].first, "page-tables"});' \
  'out.push_back({runs[r].first, kFrameBytes, "page-tables"});'
