// Test-only helpers for the core: host memory behind the two embedder interfaces, and
// a small decoder written independently of the builder (it reads entries by the SDM
// bit positions directly, not through formats.h).
#pragma once
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "sim/core/memory.h"
#include "sim/core/types.h"

namespace bootmap::core::testing {

class HostMemory {
 public:
  explicit HostMemory(uint64_t first_frame = 0x100000, uint64_t frame_limit = ~0ull)
      : next_(first_frame), limit_(frame_limit) {}

  uint64_t* Table(uint64_t pa) {
    auto& f = frames_[pa >> 12];
    if (!f) {
      f = std::make_unique<uint64_t[]>(512);
      std::memset(f.get(), 0, 4096);
    }
    return f.get();
  }
  PhysWindow Window() {
    return PhysWindow{this, [](void* c, uint64_t pa) { return static_cast<HostMemory*>(c)->Table(pa); }};
  }
  FrameAllocator Allocator() {
    FrameAllocator a;
    a.ctx = this;
    a.allocate = [](void* c, uint64_t* pa) {
      auto* m = static_cast<HostMemory*>(c);
      if (m->allocated_ >= m->limit_) return false;
      *pa = m->next_;
      m->next_ += 4096;
      ++m->allocated_;
      std::memset(m->Table(*pa), 0xA5, 4096);  // frames need not be zeroed: poison them
      return true;
    };
    a.reserve = [](void* c, uint64_t n) {
      auto* m = static_cast<HostMemory*>(c);
      return m->limit_ - m->allocated_ >= n;
    };
    return a;
  }
  uint64_t allocated() const { return allocated_; }
  // A copy of every frame's contents, to prove nothing changed.
  std::map<uint64_t, std::vector<uint64_t>> Snapshot() const {
    std::map<uint64_t, std::vector<uint64_t>> s;
    for (auto& [k, v] : frames_) s[k] = std::vector<uint64_t>(v.get(), v.get() + 512);
    return s;
  }

 private:
  std::map<uint64_t, std::unique_ptr<uint64_t[]>> frames_;
  uint64_t next_;
  uint64_t limit_;
  uint64_t allocated_ = 0;
};

// One leaf as the hardware would see it.
struct Leaf {
  uint64_t va;  // linear, sign-extended for IA-32e
  uint64_t pa;
  int level;
  uint64_t raw;
  bool operator<(const Leaf& o) const { return va < o.va; }
};

// Decodes a table tree: IA-32e present = bit 0, EPT present = bits 2:0; PS = bit 7;
// address bits 51:12 (leaf: 51:shift). SDM Vol. 3A 4.5, Vol. 3C 29.3.2.
inline void Decode(HostMemory& mem, uint64_t table_pa, int level, uint64_t va_base, bool ept,
                   int va_bits, std::vector<Leaf>* out) {
  const uint64_t* t = mem.Table(table_pa);
  const int shift = 12 + 9 * level;
  for (int i = 0; i < 512; ++i) {
    const uint64_t e = t[i];
    const bool present = ept ? (e & 7) != 0 : (e & 1) != 0;
    if (!present) continue;
    uint64_t va = va_base + (uint64_t(i) << shift);
    const bool leaf = level == 0 || (level <= 2 && (e >> 7) & 1);
    const uint64_t addr_mask = ((1ull << 52) - 1) & ~((1ull << 12) - 1);
    if (leaf) {
      uint64_t v = va;
      if (!ept && (v >> (va_bits - 1)) & 1) v |= ~((1ull << va_bits) - 1);
      out->push_back({v, e & addr_mask & ~((1ull << shift) - 1), level, e});
    } else {
      Decode(mem, e & addr_mask, level - 1, va, ept, va_bits, out);
    }
  }
}

// Greedy largest aligned pages for one range: the proven minimum leaf count.
inline void GreedyCount(uint64_t va, uint64_t pa, uint64_t size, int max_level, uint64_t counts[3]) {
  while (size > 0) {
    int level = max_level;
    while (level > 0) {
      const uint64_t s = 1ull << (12 + 9 * level);
      if (va % s == 0 && pa % s == 0 && size >= s) break;
      --level;
    }
    const uint64_t s = 1ull << (12 + 9 * level);
    ++counts[level];
    va += s;
    pa += s;
    size -= s;
  }
}

}  // namespace bootmap::core::testing
