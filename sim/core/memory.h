// The two interfaces the embedder provides: a frame allocator and a physical window.
// Function pointer + context, so the core needs no virtual functions. Freestanding.
#pragma once
#include <stdint.h>

namespace bootmap::core {

// Hands out 4 KiB frames. They need not be zeroed: the builder writes all 512 entries of
// every table it creates, each once.
struct FrameAllocator {
  void* ctx = nullptr;
  // Stores a frame's physical address in *pa; false when none is left.
  bool (*allocate)(void* ctx, uint64_t* pa) = nullptr;
  // Optional: true guarantees the next `count` allocate calls succeed. The builder
  // calls it before writing anything, so a short pool fails with tables untouched.
  bool (*reserve)(void* ctx, uint64_t count) = nullptr;
};

// Physical address of a table frame -> its 512 entries, or null if the embedder cannot
// reach that frame (the builder then fails with kUnreachable; it never writes through null).
// During one build the same pa must give the same answer (the dry run relies on it).
struct PhysWindow {
  void* ctx = nullptr;
  uint64_t* (*table)(void* ctx, uint64_t pa) = nullptr;
  // Optional: true iff `table` would return non-null for pa, answered without touching
  // the frame (RegionFrameAllocator::Reserve counts frames with it; else it calls table).
  bool (*reaches)(void* ctx, uint64_t pa) = nullptr;
  // No `table` callback reaches nothing (enough for the dry run of a fresh tree).
  uint64_t* Table(uint64_t pa) const { return table ? table(ctx, pa) : nullptr; }
  bool Reaches(uint64_t pa) const { return reaches ? reaches(ctx, pa) : Table(pa) != nullptr; }
};

}  // namespace bootmap::core
