// Violation codes of the verifier: stable names (scripts and CI match on them).
#pragma once
#include <cstdint>
#include <string_view>

namespace bootmap::verify {

enum class Code : uint8_t {
  // Translations against the expected mappings.
  kUnmapped,            // an expected byte is not mapped
  kWrongPa,             // mapped to another physical address
  kUnexpected,          // mapped, but no window asked for it
  kWrongWritable,       // R/W differs from the request
  kWrongUser,           // U/S differs (IA-32e only)
  kWrongExec,           // executability differs
  kWriteExec,           // writable and executable (anywhere)
  kWrongMemType,        // effective memory type (PAT x MTRR, or EPT type) differs
  kLargePageSpansTypes, // a large page covers MTRR ranges or regions of different types
  kCacheableNonRam,     // a hole / reserved / MMIO range mapped cacheable (WB, WT, WP)
  kReservedBits,        // a present entry with reserved bits (it faults; EPT: misconfiguration)
  // Table frames.
  kTableOutsideRam,         // not in usable (or boot-services / loader) RAM
  kTableOverlapsUsed,       // inside a used range (kernel, boot info, ...)
  kTableOverlapsFramebuffer,
  kTableShared,             // one frame reached twice (shared subtable or self-reference)
  kTableUnreported,         // not marked as page tables in the output memory map
  // Layout.
  kSlotCollision,  // two windows with different offsets in one top-level slot
  kNonCanonical,   // a window outside the canonical (or guest-physical) address space
  kTransitionBroken,  // a transition byte not mapped as in the old tables
  kBlanketIdentity,   // identity-mapped far beyond what the switch needs
  // Cost.
  kLeavesNotMinimal,  // more leaves than greedy largest aligned pages need
  kTablesNotMinimal,  // more table frames than the leaves present need
  // The oracle's own consistency.
  kSpotWalkMismatch,     // a page walk disagrees with the enumeration or the expectation
  kEnumerationFailed,    // the enumeration hit a budget
};
inline constexpr int kCodeCount = static_cast<int>(Code::kEnumerationFailed) + 1;

// "unmapped", "wrong-pa", ... (stable).
std::string_view CodeName(Code c);
// One line saying what the code means.
std::string_view CodeSummary(Code c);

}  // namespace bootmap::verify
