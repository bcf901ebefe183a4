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
};

inline constexpr uint32_t kNoIndex = 0xffffffffu;

struct Error {
  Status status = Status::kOk;
  uint32_t request = kNoIndex;  // request (or window, for plan errors) that failed
  uint32_t other = kNoIndex;    // the request it conflicts with, if any
  uint64_t address = 0;         // virtual (or guest-physical) address, or a slot count
  uint64_t needed = 0;          // kBufferTooSmall: capacity needed; kNoSlots: slots needed
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

const char* StatusName(Status s);

}  // namespace bootmap::core
