#include "sim/io/import/line_driver.h"

#include <string>

namespace bootmap::importer {

std::string At(const ImportOptions& options, size_t line_no, std::string_view text) {
  std::string out = options.source;
  out += ':';
  out += std::to_string(line_no);
  out += ": ";
  out += text;
  return out;
}

std::string_view BlockCollector::TagName(uint8_t tag) const {
  return tag < tag_names_.size() ? tag_names_[tag] : std::string_view("map");
}

bool BlockCollector::Add(const Line& line, size_t line_no, const ImportOptions& options,
                         std::string* error, std::vector<std::string>* warnings) {
  size_t count = table_ == Table::kE820 ? e820_.size() : efi_.size();
  if (count >= options.max_entries) {
    *error = At(options, line_no,
                "more than " + std::to_string(options.max_entries) + " entries (the limit)");
    return false;
  }
  // An EFI index that starts again (mem00 after mem57) is a second printout of the map.
  bool restart = line.has_index && !blocks_.empty() && open_ && line.index <= last_index_;
  if (!open_ || blocks_.back().tag != line.tag || restart) {
    blocks_.push_back({line.tag, line_no, count, count});
    open_ = true;
    pending_other_ = 0;
  } else {
    if (pending_other_ != 0 && options.strict) {
      *error = At(options, pending_other_,
                  "unrecognised line inside the " + std::string(TagName(line.tag)) +
                      " map (--strict)");
      return false;
    }
    if (line.has_index && line.index != last_index_ + 1) {
      warnings->push_back(At(options, line_no,
                             "index jumps from mem" + std::to_string(last_index_) + " to mem" +
                                 std::to_string(line.index) + " (a line missing?)"));
    }
  }
  pending_other_ = 0;
  last_index_ = line.index;
  if (table_ == Table::kE820) {
    e820_.push_back(line.e820);
  } else {
    efi_.push_back(line.efi);
  }
  blocks_.back().end = count + 1;
  return true;
}

void BlockCollector::Finish(const ImportOptions& options, map::MemoryMap* out,
                            std::vector<std::string>* warnings) {
  if (blocks_.empty()) return;
  size_t chosen = 0;
  for (size_t i = 1; i < blocks_.size(); ++i) {
    if (blocks_[i].tag < blocks_[chosen].tag) chosen = i;
  }
  const Block& c = blocks_[chosen];
  chosen_line_ = c.first_line;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    if (i == chosen) continue;
    const Block& b = blocks_[i];
    std::string what = b.tag == c.tag ? "another " : "the ";
    what += std::string(TagName(b.tag)) + " map (" + std::to_string(b.end - b.begin) +
            " entries) was ignored; the " + std::string(TagName(c.tag)) + " map at line " +
            std::to_string(c.first_line) + " was used";
    warnings->push_back(At(options, b.first_line, what));
  }
  if (table_ == Table::kE820) {
    out->e820.assign(e820_.begin() + static_cast<std::ptrdiff_t>(c.begin),
                     e820_.begin() + static_cast<std::ptrdiff_t>(c.end));
  } else {
    out->efi.assign(efi_.begin() + static_cast<std::ptrdiff_t>(c.begin),
                    efi_.begin() + static_cast<std::ptrdiff_t>(c.end));
  }
}

}  // namespace bootmap::importer
