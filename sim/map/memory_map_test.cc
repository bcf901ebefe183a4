#include "sim/map/memory_map.h"

#include <gtest/gtest.h>

namespace bootmap::map {
namespace {

// Every named E820 type round-trips through its name and lands in the documented kind.
TEST(E820Types, NamesAndKinds) {
  struct Case {
    uint32_t type;
    std::string_view name;
    RegionKind kind;
  };
  const Case cases[] = {
      {1, "usable", RegionKind::kUsable},          {2, "reserved", RegionKind::kReserved},
      {3, "acpi", RegionKind::kAcpiReclaim},       {4, "nvs", RegionKind::kAcpiNvs},
      {5, "unusable", RegionKind::kUnusable},      {7, "persistent", RegionKind::kPersistent},
      {12, "legacy-persistent", RegionKind::kPersistent},
      {0xefffffff, "soft-reserved", RegionKind::kSoftReserved},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(E820TypeName(c.type), c.name);
    EXPECT_EQ(E820TypeFromName(c.name), c.type);
    EXPECT_EQ(KindOfE820(c.type), c.kind) << c.name;
  }
}

// Unknown E820 numbers keep no name and count as reserved, as Linux treats them.
TEST(E820Types, UnknownNumbersAreReserved) {
  for (uint32_t t : {0u, 6u, 9u, 20u, 0xffffffffu}) {
    EXPECT_EQ(E820TypeName(t), "");
    EXPECT_EQ(KindOfE820(t), RegionKind::kReserved);
  }
}

// Every UEFI 2.10 Table 7-5 type has its spec name and the kernel-view kind.
TEST(EfiTypes, NamesAndKinds) {
  const RegionKind expected[kEfiTypeCount] = {
      RegionKind::kReserved,    RegionKind::kLoader,       RegionKind::kLoader,
      RegionKind::kBootServices, RegionKind::kBootServices, RegionKind::kRuntimeCode,
      RegionKind::kRuntimeData, RegionKind::kUsable,       RegionKind::kUnusable,
      RegionKind::kAcpiReclaim, RegionKind::kAcpiNvs,      RegionKind::kMmio,
      RegionKind::kMmioPort,    RegionKind::kReserved,     RegionKind::kPersistent,
      RegionKind::kUnaccepted,
  };
  for (uint32_t t = 0; t < kEfiTypeCount; ++t) {
    std::string_view name = EfiTypeName(t);
    ASSERT_FALSE(name.empty());
    EXPECT_EQ(EfiTypeFromName(name), t);
    EXPECT_EQ(KindOfEfi({t, 0, 1, 0, 0}), expected[t]) << name;
  }
  EXPECT_EQ(EfiTypeName(0x70000001), "");
  EXPECT_EQ(KindOfEfi({0x80000000, 0, 1, 0, 0}), RegionKind::kReserved);
}

// EFI_MEMORY_SP turns conventional memory into soft-reserved (UEFI 2.10 7.2.3).
TEST(EfiTypes, SpecificPurposeIsSoftReserved) {
  EXPECT_EQ(KindOfEfi({7, 0, 1, 0, efi_attr::kSP | efi_attr::kWB}), RegionKind::kSoftReserved);
  EXPECT_EQ(KindOfEfi({7, 0, 1, 0, efi_attr::kWB}), RegionKind::kUsable);
}

// Every attribute bit has its name, and names map back to the bit.
TEST(EfiAttributes, NamesRoundTrip) {
  const std::pair<uint64_t, std::string_view> bits[] = {
      {efi_attr::kUC, "UC"},   {efi_attr::kWC, "WC"},   {efi_attr::kWT, "WT"},
      {efi_attr::kWB, "WB"},   {efi_attr::kUCE, "UCE"}, {efi_attr::kWP, "WP"},
      {efi_attr::kRP, "RP"},   {efi_attr::kXP, "XP"},   {efi_attr::kNV, "NV"},
      {efi_attr::kMoreReliable, "MORE_RELIABLE"},       {efi_attr::kRO, "RO"},
      {efi_attr::kSP, "SP"},   {efi_attr::kCpuCrypto, "CPU_CRYPTO"},
      {efi_attr::kIsaValid, "ISA_VALID"},               {efi_attr::kRuntime, "RUNTIME"},
  };
  for (auto [bit, name] : bits) {
    EXPECT_EQ(EfiAttrName(bit), name);
    EXPECT_EQ(EfiAttrFromName(name), bit);
  }
  EXPECT_EQ(efi_attr::kRuntime, 0x8000000000000000ull);
  EXPECT_EQ(EfiAttrName(1ull << 40), "");
}

// The strongest cacheability the attributes allow: WB, then WT, WC, else UC.
TEST(EfiAttributes, Cacheability) {
  using namespace efi_attr;
  EXPECT_EQ(EfiCacheability(kUC | kWC | kWT | kWB), MemType::kWB);
  EXPECT_EQ(EfiCacheability(kUC | kWT), MemType::kWT);
  EXPECT_EQ(EfiCacheability(kUC | kWC), MemType::kWC);
  EXPECT_EQ(EfiCacheability(kUC), MemType::kUC);
  EXPECT_EQ(EfiCacheability(kRuntime), MemType::kUC);  // Reserved+RUN with no cacheability bits
}

// Memory-type names round-trip; encodings are the SDM's (Vol. 3A Table 12-2).
TEST(MemTypes, NamesAndEncodings) {
  for (MemType t : {MemType::kUC, MemType::kWC, MemType::kWT, MemType::kWP, MemType::kWB, MemType::kUCMinus})
    EXPECT_EQ(MemTypeFromName(MemTypeName(t)), t);
  EXPECT_EQ(int(MemType::kWB), 6);
  EXPECT_EQ(int(MemType::kWT), 4);
  EXPECT_FALSE(MemTypeFromName("XX"));
}

// Only RAM-like kinds go in a direct map; only usable and boot-services memory feed allocators.
TEST(RegionKinds, RamLikeAndAllocatable) {
  EXPECT_TRUE(IsRamLike(RegionKind::kAcpiNvs));
  EXPECT_TRUE(IsRamLike(RegionKind::kPersistent));
  EXPECT_FALSE(IsRamLike(RegionKind::kMmio));
  EXPECT_FALSE(IsRamLike(RegionKind::kReserved));
  EXPECT_TRUE(IsAllocatable(RegionKind::kBootServices));
  EXPECT_FALSE(IsAllocatable(RegionKind::kRuntimeData));
  EXPECT_FALSE(IsAllocatable(RegionKind::kLoader));
  for (int k = 0; k < kRegionKindCount; ++k) EXPECT_NE(RegionKindName(RegionKind(k)), "?");
}

}  // namespace
}  // namespace bootmap::map
