#include "sim/emu/phys_mem.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

namespace bootmap::emu {

uint64_t PhysMem::NewId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

PhysMem::PhysMem(uint8_t maxphyaddr) : maxphyaddr_(maxphyaddr), id_(NewId()) {}

PhysMem::PhysMem(PhysMem&& other) noexcept : maxphyaddr_(other.maxphyaddr_) { *this = std::move(other); }

PhysMem& PhysMem::operator=(PhysMem&& other) noexcept {
  if (this != &other) {
    maxphyaddr_ = other.maxphyaddr_;
    id_ = other.id_;
    blocks_ = std::move(other.blocks_);
    block_store_ = std::move(other.block_store_);
    frame_count_ = other.frame_count_;
    chunks_ = std::move(other.chunks_);
    chunk_used_ = other.chunk_used_;
    chunk_cap_ = other.chunk_cap_;
    other.Clear();  // the moved-from memory is empty, under a new id
  }
  return *this;
}

void PhysMem::Clear() {
  blocks_.Clear();
  block_store_.clear();
  frame_count_ = 0;
  chunks_.clear();
  chunk_used_ = chunk_cap_ = 0;
  id_ = NewId();  // forget cached frame pointers
}

void PhysMem::FreeChunk::operator()(Frame* p) const { std::free(p); }

PhysMem::Frame* PhysMem::NewFrame() {
  constexpr uint64_t kHugeFrames = 512;  // 2 MiB
  if (chunk_used_ == chunk_cap_) {
    uint64_t n = std::clamp<uint64_t>(frame_count_, 8, kHugeFrames);
    uint64_t align = n == kHugeFrames ? n * kFrameSize : kFrameSize;
    void* p = std::aligned_alloc(align, n * kFrameSize);
    if (p == nullptr) throw std::bad_alloc();
    if (n == kHugeFrames) madvise(p, n * kFrameSize, MADV_HUGEPAGE);  // a hint; failure is harmless
    chunks_.emplace_back(static_cast<Frame*>(p));
    chunk_used_ = 0;
    chunk_cap_ = n;
  }
  Frame* f = chunks_.back().get() + chunk_used_++;
  std::memset(f->bytes, 0, kFrameSize);
  return f;
}

uint8_t* PhysMem::FrameForWrite(uint64_t pa) {
  if (!InRange(pa)) return nullptr;
  const uint64_t fn = pa / kFrameSize;
  auto [slot, inserted] = blocks_.Insert(fn / kBlockFrames);
  if (inserted) {
    block_store_.push_back(std::make_unique<Block>());
    *slot = block_store_.back().get();
  }
  Frame*& frame = (*slot)->frames[fn % kBlockFrames];
  if (frame == nullptr) {
    frame = NewFrame();
    ++frame_count_;
  }
  return frame->bytes;
}

const uint8_t* PhysMem::FrameForReadSlow(uint64_t fn) const {
  Block* const* block = blocks_.Find(fn / kBlockFrames);
  const Frame* frame = block ? (*block)->frames[fn % kBlockFrames] : nullptr;
  if (frame == nullptr) return nullptr;  // not cached: the frame may be written later
  tls_frame_cache_[fn % kCacheSlots] = detail::CachedFrame{id_, fn, frame->bytes};
  return frame->bytes;
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
