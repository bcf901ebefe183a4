// Open-addressing hash set/map of 64-bit keys (linear probing, power-of-two capacity).
// For frame numbers and table addresses: far fewer cache misses than std::unordered_map.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace bootmap::emu {

template <class V>
class FlatMap64 {
 public:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // never a frame number (pa >> 12) or table address

  V* Find(uint64_t key) {
    if (size_ == 0) return nullptr;
    for (uint64_t i = Hash(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &slots_[i].value;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }
  const V* Find(uint64_t key) const { return const_cast<FlatMap64*>(this)->Find(key); }

  // Inserts key with a default value if absent; returns the slot and whether it was inserted.
  std::pair<V*, bool> Insert(uint64_t key) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow(slots_.empty() ? 16 : slots_.size() * 2);
    for (uint64_t i = Hash(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return {&slots_[i].value, false};
      if (slots_[i].key == kEmpty) {
        slots_[i].key = key;
        slots_[i].value = V{};
        ++size_;
        return {&slots_[i].value, true};
      }
    }
  }

  void Reserve(uint64_t n) {
    uint64_t want = 16;
    while (want * 3 < n * 4) want *= 2;
    if (want > slots_.size()) Grow(want);
  }
  void Clear() {
    slots_.clear();
    mask_ = 0;
    size_ = 0;
  }
  uint64_t size() const { return size_; }

  template <class F>
  void ForEach(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.key != kEmpty) f(s.key, s.value);
    }
  }

 private:
  struct Slot {
    uint64_t key = kEmpty;
    V value{};
  };
  static uint64_t Hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;  // murmur3 fmix64 constant
    k ^= k >> 33;
    return k;
  }
  void Grow(uint64_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.key != kEmpty) *Insert(s.key).first = s.value;
    }
  }
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  uint64_t size_ = 0;
};

// A set of 4 KiB frame addresses, one 512-bit block per 2 MiB: tables are usually
// allocated together, so a tree's frames share a few blocks (cached) where a hash set
// would miss the cache once per frame.
class FrameSet {
 public:
  // Adds the frame holding pa; true if it was not there.
  bool Insert(uint64_t pa) {
    uint64_t& word = blocks_.Insert(pa >> 21).first->words[(pa >> 18) & 7];
    const uint64_t bit = uint64_t{1} << ((pa >> 12) & 63);
    if (word & bit) return false;
    word |= bit;
    ++size_;
    return true;
  }
  uint64_t size() const { return size_; }

  // The frames' addresses, ascending.
  std::vector<uint64_t> Sorted() const {
    std::vector<uint64_t> keys, out;
    blocks_.ForEach([&](uint64_t key, const Block&) { keys.push_back(key); });
    std::sort(keys.begin(), keys.end());
    out.reserve(size_);
    for (uint64_t key : keys) {
      const Block& b = *blocks_.Find(key);
      for (uint64_t w = 0; w < 8; ++w)
        for (uint64_t bits = b.words[w]; bits != 0; bits &= bits - 1)
          out.push_back((key << 21) | (w << 18) | (uint64_t(__builtin_ctzll(bits)) << 12));
    }
    return out;
  }

 private:
  struct Block {
    uint64_t words[8];
  };
  FlatMap64<Block> blocks_;
  uint64_t size_ = 0;
};

}  // namespace bootmap::emu
