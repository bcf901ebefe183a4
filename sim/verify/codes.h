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
  kWrongGlobal,         // G differs from the window's (IA-32e only)
  kWrongPkey,           // a protection key other than 0 (no window asks for one)
  kPageOverCap,         // a leaf larger than the smallest page-size cap of the windows covering it
  // Table frames.
  kTableOutsideRam,         // not in usable (or boot-services / loader) RAM
  kTableOverlapsUsed,       // inside a used range (kernel, boot info, ...)
  kTableOverlapsFramebuffer,
  kTableOverlapsTransition, // inside a range live across the switch (loader code, stack, ...)
  kTableOnFirmwareMemory,   // before ExitBootServices: in boot-services or loader memory firmware still uses
  kTableShared,             // one frame reached twice (shared subtable or self-reference)
  kTableUnreported,         // not marked as page tables in the output memory map
  // Layout.
  kSlotCollision,  // two windows with different offsets in one top-level slot
  kNonCanonical,   // a window outside the canonical (or guest-physical) address space
  kTransitionBroken,  // a transition byte not mapped as in the old tables
  kBlanketIdentity,   // identity-mapped far beyond what the switch needs
  kBadPlacement,      // an auto offset breaks the placement rule (free, aligned slots)
  kWindowLeftOut,     // a window that selects something is not in the tables
  // Boot safety (what a boot touches, whatever the layout says).
  kTransitionPermissions,  // transition code not read-execute, or data/stack/boot info not writable NX
  kEfiRuntimeUnmapped,     // an EFI_MEMORY_RUNTIME region (any type) not identity-mapped
  kEfiRuntimeMemType,      // ... mapped with a cacheability its attributes do not allow
  kRamUnmapped,            // allocatable RAM the kernel cannot reach through any mapping
  // Cost.
  kLeavesNotMinimal,  // more leaves than greedy largest aligned pages need
  kTablesNotMinimal,  // more table frames than the leaves present need
  kBelowMinimum,      // fewer leaves than the proven minimum: the oracle's minimum is wrong
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
