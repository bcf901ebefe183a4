#include "sim/verify/codes.h"

namespace bootmap::verify {
namespace {

struct Entry {
  std::string_view name, summary;
};
constexpr Entry kEntries[kCodeCount] = {
    {"unmapped", "an expected byte is not mapped"},
    {"wrong-pa", "mapped to another physical address than requested"},
    {"unexpected-mapping", "mapped although no window asked for it"},
    {"wrong-writable", "writability differs from the request"},
    {"wrong-user", "user/supervisor differs from the request"},
    {"wrong-exec", "executability differs from the request"},
    {"write-exec", "writable and executable"},
    {"wrong-memtype", "effective memory type differs from the request"},
    {"large-page-spans-types", "a large page covers MTRR ranges or regions of different memory types"},
    {"cacheable-non-ram", "a hole, reserved or MMIO range is mapped cacheable"},
    {"reserved-bits", "a present entry has reserved bits set"},
    {"wrong-global", "the global bit differs from the window's"},
    {"wrong-pkey", "a protection key other than 0"},
    {"page-over-cap", "a leaf is larger than the page-size cap of a window covering it"},
    {"table-outside-ram", "a table frame lies outside usable RAM"},
    {"table-overlaps-used", "a table frame overlaps a used range"},
    {"table-overlaps-framebuffer", "a table frame overlaps the framebuffer"},
    {"table-overlaps-transition", "a table frame overlaps a range live across the switch"},
    {"table-on-firmware-memory", "a table frame built before ExitBootServices lies in memory firmware still uses"},
    {"table-shared", "a table entry references its own table or an ancestor"},
    {"table-unreported", "a table frame is missing from the output memory map"},
    {"slot-collision", "two windows with different offsets share a top-level slot"},
    {"non-canonical", "a window lies outside the canonical address space"},
    {"transition-broken", "a transition range is not mapped identically in the old and new tables"},
    {"blanket-identity", "identity mapping far beyond what the switch needs"},
    {"bad-placement", "an automatic offset breaks the placement rule"},
    {"window-left-out", "a window that selects something is missing from the tables"},
    {"transition-permissions", "transition code is not read-execute, or its data, stack or boot info not writable and NX"},
    {"efi-runtime-unmapped", "an EFI_MEMORY_RUNTIME region is not identity-mapped"},
    {"efi-runtime-memtype", "an EFI runtime region is mapped with a cacheability its attributes do not allow"},
    {"ram-unmapped", "allocatable RAM is not reachable through any mapping"},
    {"leaves-not-minimal", "more leaf entries than the proven minimum"},
    {"tables-not-minimal", "more table frames than the leaves need"},
    {"below-minimum", "fewer leaves than the proven minimum (an oracle bug)"},
    {"spot-walk-mismatch", "a page walk disagrees with the enumeration or the expectation"},
    {"enumeration-failed", "the table enumeration stopped at a budget"},
};

}  // namespace

std::string_view CodeName(Code c) { return kEntries[static_cast<int>(c)].name; }
std::string_view CodeSummary(Code c) { return kEntries[static_cast<int>(c)].summary; }

}  // namespace bootmap::verify
