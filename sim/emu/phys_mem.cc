#include "sim/emu/phys_mem.h"

#include <cstring>

namespace bootmap::emu {

PhysMem::PhysMem(uint8_t maxphyaddr) : maxphyaddr_(maxphyaddr) {}

uint8_t* PhysMem::FrameForWrite(uint64_t pa) {
  if (!InRange(pa)) return nullptr;
  auto [slot, inserted] = index_.Insert(pa / kFrameSize);
  if (inserted) {
    owned_.emplace_back(new Frame{});  // value-initialised: zeros
    *slot = owned_.back().get();
  }
  return (*slot)->bytes;
}

const uint8_t* PhysMem::FrameForRead(uint64_t pa) const {
  Frame* const* slot = index_.Find(pa / kFrameSize);
  return slot == nullptr ? nullptr : (*slot)->bytes;
}

uint64_t PhysMem::Read64(uint64_t pa) const {
  const uint8_t* frame = FrameForRead(pa);
  if (frame == nullptr) return 0;
  uint64_t v;
  std::memcpy(&v, frame + (pa % kFrameSize), sizeof v);
  return v;
}

void PhysMem::Write64(uint64_t pa, uint64_t value) {
  if (uint8_t* frame = FrameForWrite(pa)) std::memcpy(frame + (pa % kFrameSize), &value, sizeof value);
}

bool PhysMem::WriteBytes(uint64_t pa, const uint8_t* data, uint64_t size) {
  while (size > 0) {
    uint8_t* frame = FrameForWrite(pa);
    if (frame == nullptr) return false;
    uint64_t offset = pa % kFrameSize;
    uint64_t chunk = kFrameSize - offset < size ? kFrameSize - offset : size;
    std::memcpy(frame + offset, data, chunk);
    data += chunk;
    size -= chunk;
    if (size > 0 && pa + chunk == 0) return false;  // wrapped past 2^64
    pa += chunk;
  }
  return true;
}

}  // namespace bootmap::emu
