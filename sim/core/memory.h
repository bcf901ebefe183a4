// The two interfaces the embedder provides: a frame allocator and a physical window.
// Function pointer + context, so the core needs no virtual functions. Freestanding.
#pragma once
#include <stdint.h>

namespace bootmap::core {

// Hands out zeroed 4 KiB frames.
struct FrameAllocator {
  void* ctx = nullptr;
  // Stores a zeroed frame's physical address in *pa; false when none is left.
  bool (*allocate)(void* ctx, uint64_t* pa) = nullptr;
  // Optional: true guarantees the next `count` allocate calls succeed. The builder
  // calls it before writing anything, so a short pool fails with tables untouched.
  bool (*reserve)(void* ctx, uint64_t count) = nullptr;
};

// Physical address of a table frame -> its 512 entries.
struct PhysWindow {
  void* ctx = nullptr;
  uint64_t* (*table)(void* ctx, uint64_t pa) = nullptr;
  uint64_t* Table(uint64_t pa) const { return table(ctx, pa); }
};

}  // namespace bootmap::core
