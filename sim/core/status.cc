#include "sim/core/status.h"

#include "sim/core/heap_sort.h"
#include "sim/core/types.h"

namespace bootmap::core {

const char* StatusName(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kInvalidRequest: return "invalid request";
    case Status::kConflict: return "conflict";
    case Status::kOutOfFrames: return "out of frames";
    case Status::kNoSlots: return "no free slots";
    case Status::kTooManySlots: return "too many slots";
    case Status::kOutOfAddressSpace: return "outside the address space";
    case Status::kBufferTooSmall: return "buffer too small";
    case Status::kInvalidLayout: return "invalid layout";
    case Status::kInternal: return "internal error";
    case Status::kInvalidMap: return "invalid map";
    case Status::kInvalidCpu: return "invalid cpu";
    case Status::kUnreachable: return "unreachable table frame";
    case Status::kRestrictedPath: return "restricted path";
  }
  return "unknown";
}

const char* InputListName(InputList l) {
  switch (l) {
    case InputList::kNone: return "input";
    case InputList::kRegions: return "regions";
    case InputList::kMtrr: return "mtrr";
    case InputList::kUsed: return "used";
    case InputList::kTransition: return "transition";
    case InputList::kFramebuffer: return "framebuffer";
    case InputList::kFirmware: return "firmware map";
  }
  return "input";
}

void SortRequests(MapRequest* r, size_t n) {
  auto less = [](const MapRequest& a, const MapRequest& b) { return a.va != b.va ? a.va < b.va : a.pa < b.pa; };
  if (!InsertionSortWithin(r, n, 4 * n + 64, less)) HeapSort(r, n, less);
}

}  // namespace bootmap::core
