#include "sim/core/status.h"

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
  }
  return "unknown";
}

namespace {
bool Less(const MapRequest& a, const MapRequest& b) {
  return a.va != b.va ? a.va < b.va : a.pa < b.pa;
}
void SiftDown(MapRequest* r, size_t root, size_t n) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && Less(r[child], r[child + 1])) ++child;
    if (!Less(r[root], r[child])) return;
    const MapRequest t = r[root];
    r[root] = r[child];
    r[child] = t;
    root = child;
  }
}
}  // namespace

void SortRequests(MapRequest* r, size_t n) {
  if (n < 2) return;
  for (size_t i = n / 2; i-- > 0;) SiftDown(r, i, n);
  for (size_t end = n - 1; end > 0; --end) {
    const MapRequest t = r[0];
    r[0] = r[end];
    r[end] = t;
    SiftDown(r, 0, end);
  }
}

}  // namespace bootmap::core
