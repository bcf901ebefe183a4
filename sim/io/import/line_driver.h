// The shared driver for line formats: each format classifies one line at a time; the
// driver groups entries into blocks, applies --strict, limits and block choice.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/io/import/import.h"
#include "sim/map/memory_map.h"

namespace bootmap::importer {

enum class LineKind : uint8_t {
  kOther,    // not part of any map (skipped; inside a block an error under --strict)
  kNeutral,  // blank, '#' comment, or a known non-entry line inside a block (gap, footer)
  kHeader,   // a map title line: the next entry starts a new block
  kEntry,    // one E820 entry or EFI descriptor
  kError,    // looks like a map line but does not parse: `text` says what was expected
};

enum class Table : uint8_t { kE820, kEfi };

// A classified line. Classifiers fill it; `text` is the error (kError) or a warning.
struct Line {
  LineKind kind = LineKind::kOther;
  Table table = Table::kE820;
  uint8_t tag = 0;           // which printer made the block (lower = preferred)
  bool has_index = false;    // efi memNN index
  uint64_t index = 0;
  map::E820Entry e820;
  map::EfiDescriptor efi;
  std::string text;

  void Reset() {
    kind = LineKind::kOther;
    tag = 0;
    has_index = false;
    text.clear();
  }
  void Error(std::string what) {
    kind = LineKind::kError;
    text = std::move(what);
  }
};

// Collects classified lines into blocks of one table.
class BlockCollector {
 public:
  // tag_names[tag] names a block in warnings ("BIOS-e820").
  BlockCollector(Table table, std::span<const std::string_view> tag_names)
      : table_(table), tag_names_(tag_names) {}

  // Returns false and sets *error on a strict violation or the entry limit.
  bool Add(const Line& line, size_t line_no, const ImportOptions& options, std::string* error,
           std::vector<std::string>* warnings);
  void Header() { open_ = false; }
  void Other(size_t line_no) {
    if (open_ && pending_other_ == 0) pending_other_ = line_no;
  }
  bool empty() const { return blocks_.empty(); }
  size_t chosen_line() const { return chosen_line_; }  // first line of the block Finish used
  // Moves the preferred block's entries into `out` and warns about every other block.
  void Finish(const ImportOptions& options, map::MemoryMap* out,
              std::vector<std::string>* warnings);

 private:
  struct Block {
    uint8_t tag = 0;
    size_t first_line = 0;
    size_t begin = 0;  // index into the entry vector
    size_t end = 0;
  };
  std::string_view TagName(uint8_t tag) const;

  Table table_;
  std::span<const std::string_view> tag_names_;
  std::vector<Block> blocks_;
  std::vector<map::E820Entry> e820_;
  std::vector<map::EfiDescriptor> efi_;
  bool open_ = false;
  size_t pending_other_ = 0;
  uint64_t last_index_ = 0;
  size_t chosen_line_ = 0;
};

// "SOURCE:LINE: text"
std::string At(const ImportOptions& options, size_t line_no, std::string_view text);

}  // namespace bootmap::importer
