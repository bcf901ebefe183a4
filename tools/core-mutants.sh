# Planted bugs in sim/core: the one list tools/checks/oracle-mutants (does the verifier
# catch each?) and tools/fuzz-mutants (how long does each fuzz target take to find it?) read.
# Sourced by both after they define
#   mutant NAME FILE CODE SET OLD NEW
# NAME: the bug; FILE: the source it is planted in; CODE: the violation code the verifier
# must report; SET: the oracle-mutants run set (all, ept), or fuzz where no bundled map
# reaches the bug (only tools/fuzz-mutants plants it; its oracle is the same verifier,
# run on the fuzzer's maps); OLD -> NEW: an exact replacement
# that must occur exactly once in FILE (a stale pattern fails both scripts). The mutated
# FILE must still compile with -Werror: g++ (oracle-mutants) and clang (fuzz-mutants).
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
  'start = run_start + pick;' \
  'start = run_start + pick - 1;'
# Every selection rounded out to 2 MiB "so large pages fit": RAM pages cover reserved neighbours.
mutant selection-rounded-to-2m sim/core/plan.cc large-page-spans-types all \
  'const uint64_t round = LevelBytes(w.round_level) - 1;' \
  'const uint64_t round = LevelBytes(Max(w.round_level, kLevel2M)) - 1;'
# Requests not split at MTRR type changes (SDM Vol. 3A 12.11.9).
mutant mtrr-split-skipped sim/core/plan.cc large-page-spans-types all \
  'const uint64_t stop = Min(p.end, NextBoundary(in, a, Cacheable(r.type)));' \
  'const uint64_t stop = p.end;'

# Phase 4's merge tests the type boundary at the start of the run, not its end: runs
# split at an MTRR change are merged again.
mutant merge-boundary-at-run-start sim/core/plan.cc large-page-spans-types fuzz \
  'const bool adjacent = !overlap && r.va - 1 == l_last && !IsBoundary(in, l.pa + l.size, Cacheable(l.type));' \
  'const bool adjacent = !overlap && r.va - 1 == l_last && !IsBoundary(in, l.pa, Cacheable(l.type));'
# The framebuffer's edges split only uncached requests: a write-back large page covers a
# framebuffer placed inside RAM (regressions/framebuffer-inside-ram-large-page).
mutant framebuffer-edge-not-split sim/core/plan.cc large-page-spans-types fuzz \
  'if (cacheable && in.has_framebuffer && in.framebuffer.size != 0) {' \
  'if (!cacheable && in.has_framebuffer && in.framebuffer.size != 0) {'
# The emitter extends a run over a gap of up to 2 MiB "to keep large pages": the hole
# between two selected regions is mapped.
mutant run-extended-over-gap sim/core/plan.cc unexpected-mapping all \
  'va <= last_va_ + last_size_ &&' \
  'va <= last_va_ + last_size_ + LevelBytes(kLevel2M) &&'
# A used range taken as usable RAM wherever it lies: mapped write-back over reserved
# memory or MMIO (regressions/used-range-over-reserved-cached).
mutant used-range-always-ram sim/core/plan.cc cacheable-non-ram fuzz \
  'fn(SelectedRange{lo, end, Origin::kRegion, r.kind, r.efi_attributes});' \
  'fn(SelectedRange{lo, end, Origin::kRegion, RegionKind::kUsable, 0});'
# A whole-span window loses the hole after its last region.
mutant whole-span-tail-hole-dropped sim/core/plan.cc unmapped ept \
  'if (holes && pos < clip.hi) sink(SelectedRange{pos, clip.hi, Origin::kHole, RegionKind::kReserved, 0});' \
  'if (holes && pos > clip.hi) sink(SelectedRange{pos, clip.hi, Origin::kHole, RegionKind::kReserved, 0});'

# Differing caps made disjoint without rounding out: a 2 MiB leaf both caps allow is split
# between two pieces (the CI finding regressions/overlapping-caps-split-into-4k).
mutant cap-pieces-not-rounded sim/core/cap_pieces.h leaves-not-minimal fuzz \
  'const uint64_t mask = LevelBytes(level_) - 1;' \
  'const uint64_t mask = 0;'
# A piece takes the larger of its first request's cap and the smallest over it.
mutant cap-pieces-first-cap sim/core/plan.cc page-over-cap fuzz \
  'p.max_level = level;' \
  'p.max_level = level > head.max_level ? level : head.max_level;'

# ---- builder (sim/core/builder.cc, formats.h)
# After a partial first entry, pa advances a whole step instead of the distance covered.
mutant pa-advances-whole-step sim/core/builder.cc wrong-pa all \
  'pa += stop - va;' \
  'pa += kStep;'
# The run of fresh leaves written by four accumulators, one started a page too far:
# every 8 leaves, two map the wrong frames.
mutant store-run-lane-skewed sim/core/builder.cc wrong-pa all \
  'c = a + 4 * kStep,' \
  'c = a + 5 * kStep,'
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

# Off by one in a new table's zeroing: entry 512, one past the frame, is cleared (the
# next prepared frame's link word, or past the host allocation: a heap overflow). On the
# bundled maps the build stops with "sizing and build disagree", an error, not a violation.
mutant table-zeroing-one-past-end sim/core/builder.cc wrong-pa fuzz \
  'for (uint64_t i = fill_end; i < kEntriesPerTable; ++i) t[i] = 0;' \
  'for (uint64_t i = fill_end; i <= kEntriesPerTable; ++i) t[i] = 0;'
# PAT bit 12 of 2 MiB / 1 GiB leaves dropped: WT and WP large pages become UC (SDM Vol. 3A 4.9.2).
mutant pat-bit-large-dropped sim/core/formats.h wrong-memtype fuzz \
  'e |= PageSize::kMask | PatLarge::Make(pat >> 2);' \
  'e |= PageSize::kMask;'
# UC- passed to EPT as is: memory type 7 is reserved there (SDM Vol. 3C 29.3.7).
mutant ept-uc-minus-kept sim/core/formats.h wrong-memtype fuzz \
  'const MemType t = a.type == MemType::kUCMinus ? MemType::kUC : a.type;' \
  'const MemType t = a.type;'
# EPT X bit inverted: code not executable, data executable.
mutant ept-execute-inverted sim/core/formats.h wrong-exec ept \
  'Execute::Make(!a.nx)' \
  'Execute::Make(a.nx)'
# Non-leaf IA-32e entries without U/S: user leaves below them are supervisor-only (SDM Vol. 3A 4.6).
mutant table-entry-not-user sim/core/formats.h wrong-user fuzz \
  'return Present::kMask | Writable::kMask | User::kMask | TableAddr::Get(pa);' \
  'return Present::kMask | Writable::kMask | TableAddr::Get(pa);'

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
  'out.push_back({lo, hi - lo, "page-tables"});' \
  'out.push_back({lo, kFrameBytes, "page-tables"});'
# Before ExitBootServices only conventional memory is free (UEFI 2.10 7.4): boot-services
# memory handed out as table frames while firmware still owns it.
mutant firmware-live-boot-services-taken sim/core/frame_alloc.cc table-on-firmware-memory fuzz \
  'if (policy_.firmware_live && region.kind != RegionKind::kUsable) continue;  // UEFI 2.10 7.4' \
  ''
