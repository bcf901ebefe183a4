// Sparse simulated physical memory: 4 KiB frames allocated on first write.
// Never-written frames read as zeros; memory use tracks frames written (plus a 4 KiB
// index block per 2 MiB region touched).
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "sim/emu/flat_set.h"

namespace bootmap::emu {

inline constexpr uint64_t kFrameSize = 4096;

namespace detail {
struct CachedFrame {
  uint64_t owner;  // PhysMem id (ids start at 1)
  uint64_t fn;     // frame number, pa >> 12
  const uint8_t* frame;
};
}  // namespace detail

class PhysMem {
 public:
  // Addresses at or above 2^maxphyaddr are outside physical memory (SDM Vol. 3A 4.1.4).
  explicit PhysMem(uint8_t maxphyaddr = 52);
  PhysMem(PhysMem&& other) noexcept;
  PhysMem& operator=(PhysMem&& other) noexcept;

  uint8_t maxphyaddr() const { return maxphyaddr_; }
  bool InRange(uint64_t pa) const { return maxphyaddr_ >= 64 || (pa >> maxphyaddr_) == 0; }

  // The frame holding `pa`, zero-filled on first use; nullptr if pa is out of range.
  uint8_t* FrameForWrite(uint64_t pa);
  // The frame holding `pa`, or nullptr if it was never written (reads as zeros).
  // Hot path: a per-thread direct-mapped cache of frame pointers in front of the index.
  const uint8_t* FrameForRead(uint64_t pa) const {
    uint64_t fn = pa / kFrameSize;
    const detail::CachedFrame& c = tls_frame_cache_[fn % kCacheSlots];
    if (c.fn == fn && c.owner == id_) return c.frame;
    return FrameForReadSlow(fn);
  }

  uint64_t Read64(uint64_t pa) const {  // pa must be 8-byte aligned
    const uint8_t* frame = FrameForRead(pa);
    if (frame == nullptr) return 0;
    uint64_t v;
    std::memcpy(&v, frame + (pa % kFrameSize), sizeof v);
    return v;
  }
  void Write64(uint64_t pa, uint64_t value);
  // Copies bytes in, across frames; false if any byte is out of range.
  bool WriteBytes(uint64_t pa, const uint8_t* data, uint64_t size);

  uint64_t frames() const { return frame_count_; }
  void Reserve(uint64_t frames) { blocks_.Reserve(frames / kBlockFrames + 16); }
  void Clear();
  // Calls f(pa, bytes) for every written frame, in no particular order.
  template <class F>
  void ForEachFrame(F&& f) const {
    blocks_.ForEach([&](uint64_t bn, const Block* b) {
      for (uint64_t i = 0; i < kBlockFrames; ++i)
        if (b->frames[i]) f((bn * kBlockFrames + i) * kFrameSize, static_cast<const uint8_t*>(b->frames[i]->bytes));
    });
  }

 private:
  struct Frame {
    alignas(64) uint8_t bytes[kFrameSize];
  };
  // Frame pointers stay valid until Clear() or destruction; both retire id_, and ids are
  // never reused, so a cached pointer is only ever returned for the PhysMem that owns it.
  static constexpr uint64_t kCacheSlots = 1024;
  static inline thread_local detail::CachedFrame tls_frame_cache_[kCacheSlots];  // zero: owner 0 never matches
  static uint64_t NewId();
  const uint8_t* FrameForReadSlow(uint64_t fn) const;

  // Frames are carved from chunks that grow to 512 frames (2 MiB, transparent-huge-page
  // backed where the kernel allows: fewer host TLB misses on big trees).
  struct FreeChunk {
    void operator()(Frame* p) const;
  };
  Frame* NewFrame();

  uint8_t maxphyaddr_;
  uint64_t id_;
  // The index, in two levels: a hash of 2 MiB blocks, each a direct array of its 512
  // frames, so tables allocated together are found without a cache miss per frame.
  static constexpr uint64_t kBlockFrames = 512;
  struct Block {
    Frame* frames[kBlockFrames] = {};
  };
  FlatMap64<Block*> blocks_;  // key: pa >> 21
  std::vector<std::unique_ptr<Block>> block_store_;
  uint64_t frame_count_ = 0;
  std::vector<std::unique_ptr<Frame[], FreeChunk>> chunks_;
  uint64_t chunk_used_ = 0, chunk_cap_ = 0;
};

}  // namespace bootmap::emu
