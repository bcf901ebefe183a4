#include "sim/core/cap_pieces.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace bootmap::core {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20, kGiB = uint64_t{1} << 30;

struct Piece {
  uint64_t first, last;
  uint8_t level;
};

MapRequest Capped(uint64_t va, uint64_t size, uint8_t level) {
  MapRequest r;
  r.va = r.pa = va;
  r.size = size;
  r.max_level = level;
  return r;
}

std::vector<Piece> Pieces(std::vector<MapRequest> rs) {
  std::stable_sort(rs.begin(), rs.end(), [](const MapRequest& a, const MapRequest& b) { return a.va < b.va; });
  uint64_t last = 0;
  for (const MapRequest& r : rs) last = std::max(last, r.va + (r.size - 1));
  std::vector<Piece> out;
  ForEachCapPiece(rs.data(), rs.size(), rs[0].va, last,
                  [&](uint64_t f, uint64_t l, uint8_t level) { out.push_back({f, l, level}); });
  return out;
}

// The CI finding: a 4 KiB request capped at 2 MiB inside a 2 MiB one capped at 1 GiB.
// The 2 MiB page over both is allowed; the old planner built 512 4 KiB pages.
TEST(CapPieces, SmallerCapInsideStillAllowsItsOwnSize) {
  const std::vector<Piece> p = Pieces({Capped(0, 4096, kLevel2M), Capped(0, 2 * kMiB, kLevel1G)});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].first, 0u);
  EXPECT_EQ(p[0].last, 2 * kMiB - 1);
  EXPECT_EQ(p[0].level, kLevel2M);
}

// A 4 KiB cap inside 4 GiB capped at 1 GiB splits out just its own page; a 2 MiB cap
// rounds out to its 2 MiB blocks.
TEST(CapPieces, CapsRoundOutToTheirOwnPageSize) {
  std::vector<Piece> p = Pieces({Capped(0, 4 * kGiB, kLevel1G), Capped(kGiB + 4096, 4096, kLevel4K)});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].last, kGiB + 4095);
  EXPECT_EQ(p[0].level, kLevel1G);
  EXPECT_EQ(p[1].first, kGiB + 4096);
  EXPECT_EQ(p[1].last, kGiB + 8191);
  EXPECT_EQ(p[1].level, kLevel4K);
  EXPECT_EQ(p[2].level, kLevel1G);
  p = Pieces({Capped(0, 4 * kGiB, kLevel1G), Capped(kGiB + 4096, 4096, kLevel2M)});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[1].first, kGiB);
  EXPECT_EQ(p[1].last, kGiB + 2 * kMiB - 1);
  EXPECT_EQ(p[1].level, kLevel2M);
}

// Pieces ending at 2^64 do not wrap.
TEST(CapPieces, EndsAtTopOfAddressSpace) {
  const uint64_t top = ~uint64_t{0} - 4 * kGiB + 1;
  const std::vector<Piece> p = Pieces({Capped(top, 4 * kGiB, kLevel1G), Capped(top + 3 * kGiB, kGiB, kLevel2M)});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].first, top + 3 * kGiB);
  EXPECT_EQ(p[1].last, ~uint64_t{0});
  EXPECT_EQ(p[1].level, kLevel2M);
}

// Against the rule itself, block by block: an aligned block of size S is allowed when no
// request meeting it is capped below S; it must then lie in one piece capped at S or more,
// and never otherwise. Pieces tile [first, last] in order with no two alike in a row.
TEST(CapPieces, MatchesBlockByBlockReference) {
  std::mt19937_64 rng(7);
  const uint64_t points[] = {0, 4096, kMiB, 2 * kMiB - 4096, 2 * kMiB, 3 * kMiB, kGiB - 4096, kGiB, kGiB + 2 * kMiB,
                             2 * kGiB, 3 * kGiB - 2 * kMiB, 3 * kGiB + 4096};
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<MapRequest> rs;
    uint64_t reach = points[rng() % 4];  // every request starts at or before the union's end
    const uint64_t first = reach;
    const int n = 1 + int(rng() % 5);
    for (int i = 0; i < n; ++i) {
      uint64_t va = points[rng() % std::size(points)];
      if (va > reach) va = reach;
      va = std::max(va, first);
      const uint64_t end = std::max(va + 4096, points[rng() % std::size(points)] + 4096 * (rng() % 3));
      rs.push_back(Capped(va, end - va, uint8_t(rng() % 3)));
      reach = std::max(reach, end);
    }
    const std::vector<Piece> p = Pieces(rs);
    ASSERT_EQ(p.front().first, first);
    ASSERT_EQ(p.back().last, reach - 1);
    for (size_t i = 1; i < p.size(); ++i) {
      ASSERT_EQ(p[i].first, p[i - 1].last + 1);
      ASSERT_NE(p[i].level, p[i - 1].level);
    }
    for (uint8_t level : {kLevel2M, kLevel1G}) {
      const uint64_t s = LevelBytes(level);
      for (uint64_t b = (first + s - 1) / s * s; b + s <= reach; b += s) {
        const bool allowed = std::none_of(rs.begin(), rs.end(), [&](const MapRequest& r) {
          return r.va < b + s && b < r.va + r.size && r.max_level < level;
        });
        const bool in_piece = std::any_of(p.begin(), p.end(), [&](const Piece& x) {
          return x.first <= b && b + s - 1 <= x.last && x.level >= level;
        });
        ASSERT_EQ(allowed, in_piece) << "iteration " << iter << " block " << std::hex << b << " size " << s;
      }
    }
  }
}

}  // namespace
}  // namespace bootmap::core
