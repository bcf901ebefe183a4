// Errors are values: a status and where it happened (request, address, reason).
// Freestanding.
#pragma once
#include <stdint.h>

namespace bootmap::core {

enum class Status : uint8_t {
  kOk,
  kInvalidRequest,  // misaligned, empty, non-canonical, above MAXPHYADDR, unsorted
  kConflict,        // two requests (or a request and an existing entry) disagree
  kOutOfFrames,     // the frame allocator could not supply a frame
  kNoSlots,         // no run of free top-level slots for an `auto` window
  kTooManySlots,    // a window needs more top-level slots than its layout allows
  kOutOfAddressSpace,  // a fixed placement puts a window outside the virtual address space
  kBufferTooSmall,  // the caller's output buffer is too small; see Error::needed
  kInvalidLayout,   // a layout field makes no sense (bad page size, empty window...)
  kInternal,        // a core invariant broke (sizing != use): a bug
  kInvalidMap,      // an input list entry is unsorted, overlaps its neighbour or wraps 2^64;
                    // Error::list names the list, Error::request the entry
  kInvalidCpu,      // a CPU fact is out of range (MAXPHYADDR > 52); Error::needed the value
  kUnreachable,     // the physical window returned null for a table frame; Error::physical
  kRestrictedPath,  // an existing non-leaf entry forbids what a new leaf grants (R/W, U/S, XD)
};

// Which input list a kInvalidMap error is about.
enum class InputList : uint8_t {
  kNone,
  kRegions,      // PlanInput::regions / FramePolicy::regions
  kMtrr,         // PlanInput::mtrr
  kUsed,         // PlanInput::used
  kTransition,   // PlanInput::layout.transition
  kFramebuffer,  // PlanInput::framebuffer
  kFirmware,     // SortAndMerge's input
};

inline constexpr uint32_t kNoIndex = 0xffffffffu;

struct Error {
  Status status = Status::kOk;
  uint32_t request = kNoIndex;  // request (or window, for plan errors) that failed
  uint32_t other = kNoIndex;    // the request it conflicts with, if any
  uint64_t address = 0;         // virtual (or guest-physical) address, or a slot count
  uint64_t needed = 0;          // kBufferTooSmall: capacity needed; kNoSlots: slots needed
  uint64_t physical = 0;        // kUnreachable: the frame; kInvalidMap: the entry's base
  InputList list = InputList::kNone;  // kInvalidMap: which list `request` indexes
  const char* reason = "";      // static text
  constexpr bool ok() const { return status == Status::kOk; }
};

template <class T>
struct Result {
  Error error;
  T value{};
  constexpr bool ok() const { return error.ok(); }
};

constexpr Error Fail(Status s, const char* reason, uint32_t request = kNoIndex,
                     uint64_t address = 0, uint32_t other = kNoIndex) {
  Error e;
  e.status = s;
  e.reason = reason;
  e.request = request;
  e.address = address;
  e.other = other;
  return e;
}

// kInvalidMap naming entry `index` of `list`, whose base is `base`.
constexpr Error BadEntry(InputList list, uint32_t index, uint64_t base, const char* reason) {
  Error e = Fail(Status::kInvalidMap, reason, index);
  e.list = list;
  e.physical = base;
  return e;
}

const char* StatusName(Status s);
const char* InputListName(InputList l);  // "regions", "mtrr", ...

}  // namespace bootmap::core
