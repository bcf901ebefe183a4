#include "sim/emu/phys_mem.h"

#include <atomic>
#include <cstring>

namespace bootmap::emu {

uint64_t PhysMem::NewId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

PhysMem::PhysMem(uint8_t maxphyaddr) : maxphyaddr_(maxphyaddr), id_(NewId()) {}

PhysMem::PhysMem(PhysMem&& other) noexcept
    : maxphyaddr_(other.maxphyaddr_), id_(other.id_), index_(std::move(other.index_)), owned_(std::move(other.owned_)) {
  other.Clear();
}

PhysMem& PhysMem::operator=(PhysMem&& other) noexcept {
  if (this != &other) {
    maxphyaddr_ = other.maxphyaddr_;
    id_ = other.id_;
    index_ = std::move(other.index_);
    owned_ = std::move(other.owned_);
    other.Clear();
  }
  return *this;
}

uint8_t* PhysMem::FrameForWrite(uint64_t pa) {
  if (!InRange(pa)) return nullptr;
  auto [slot, inserted] = index_.Insert(pa / kFrameSize);
  if (inserted) {
    owned_.emplace_back(new Frame{});  // value-initialised: zeros
    *slot = owned_.back().get();
  }
  return (*slot)->bytes;
}

const uint8_t* PhysMem::FrameForReadSlow(uint64_t fn) const {
  Frame* const* slot = index_.Find(fn);
  if (slot == nullptr) return nullptr;  // not cached: the frame may be written later
  tls_frame_cache_[fn % kCacheSlots] = detail::CachedFrame{id_, fn, (*slot)->bytes};
  return (*slot)->bytes;
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
