// The kernel's own edits of the firmware's E820 map, as a dmesg prints them
// (arch/x86/kernel/e820.c __e820__range_update / e820__range_remove):
//   e820: update [mem 0x00000000-0x00000fff] usable ==> reserved      (inclusive end)
//   e820: remove [mem 0x000a0000-0x000fffff] usable                   (type: only that type)
//   e820 update range: 0000000000000000 - 0000000000010000 (usable) ==> (reserved)  (<= 3.x)
//   e820 remove range: 00000000000a0000 - 0000000000100000 (usable)               (exclusive)
// Applied in log order (--kernel-view) they give the map the kernel ended up with: an
// update retypes the part of each entry of the old type inside the range, a remove drops
// it, as Linux does. Each applied line becomes a note.
#include <algorithm>
#include <string>
#include <vector>

#include "sim/io/import/parsers.h"
#include "sim/io/import/text_util.h"

namespace bootmap::importer {
namespace {

// Work limit: entries visited over all changes (a hostile log of many changes on a huge map).
constexpr uint64_t kMaxWork = 100'000'000;

struct Change {
  bool update = false;
  bool check_type = false;  // remove: only entries of old_type
  uint64_t first = 0, last = 0;  // inclusive
  uint32_t old_type = 0, new_type = 0;
};

enum class Parse { kNone, kBad, kOk };

// After the range: "T1 ==> T2" (update), "T" or nothing (remove; nothing: any type).
Parse Types(std::string_view types, bool update, Change* c) {
  size_t arrow = types.find("==>");
  if (update != (arrow != std::string_view::npos)) return Parse::kBad;
  if (!update) {
    c->check_type = !types.empty();
    return !c->check_type || E820TypeFromText(types, &c->old_type) ? Parse::kOk : Parse::kBad;
  }
  bool ok = E820TypeFromText(Trim(types.substr(0, arrow)), &c->old_type) &&
            E820TypeFromText(Trim(types.substr(arrow + 3)), &c->new_type);
  return ok ? Parse::kOk : Parse::kBad;
}

// "[mem 0xA-0xB] T1 ==> T2" / "[mem 0xA-0xB] T" after "e820: update " / "e820: remove ".
Parse NewForm(std::string_view r, bool update, Change* c) {
  if (!ConsumePrefix(&r, "[mem ") || !ConsumeHex0x(&r, &c->first) || !ConsumeChar(&r, '-') ||
      !ConsumeHex0x(&r, &c->last) || !ConsumeChar(&r, ']') || c->last < c->first) {
    return Parse::kBad;
  }
  return Types(Trim(r), update, c);
}

// "A - B (T1) ==> (T2)" / "A - B (T)" after "e820 update range: " / "e820 remove range: ".
Parse OldForm(std::string_view r, bool update, Change* c) {
  uint64_t end = 0;
  if (!ConsumeHex(&r, &c->first)) return Parse::kBad;
  SkipSpaces(&r);
  if (!ConsumeChar(&r, '-')) return Parse::kBad;
  SkipSpaces(&r);
  if (!ConsumeHex(&r, &end) || end <= c->first) return Parse::kBad;
  c->last = end - 1;
  return Types(Trim(r), update, c);
}

Parse ParseChange(std::string_view line, Change* c) {
  struct Form {
    std::string_view tag;
    bool update, old_form;
  };
  static constexpr Form kForms[] = {{"e820: update ", true, false},
                                    {"e820: remove ", false, false},
                                    {"e820 update range: ", true, true},
                                    {"e820 remove range: ", false, true}};
  for (const Form& f : kForms) {
    size_t at = line.find(f.tag);
    if (at == std::string_view::npos) continue;
    c->update = f.update;
    std::string_view r = line.substr(at + f.tag.size());
    return f.old_form ? OldForm(r, f.update, c) : NewForm(r, f.update, c);
  }
  return Parse::kNone;
}

// Applies one change; returns the bytes it retyped or removed.
uint64_t Apply(const Change& c, std::vector<map::E820Entry>* e820) {
  std::vector<map::E820Entry> out;
  out.reserve(e820->size() + 2);
  uint64_t touched = 0;
  for (const map::E820Entry& e : *e820) {
    bool match = c.update || c.check_type ? e.type == c.old_type : true;
    uint64_t last = e.base + (e.size - 1);
    if (e.size == 0 || !match || last < c.first || e.base > c.last) {
      out.push_back(e);
      continue;
    }
    uint64_t lo = std::max(e.base, c.first), hi = std::min(last, c.last);
    if (lo > e.base) out.push_back({e.base, lo - e.base, e.type});
    if (c.update) out.push_back({lo, hi - lo + 1, c.new_type});
    if (hi < last) out.push_back({hi + 1, last - hi, e.type});
    touched += hi - lo + 1;
  }
  *e820 = std::move(out);
  return touched;
}

std::string Describe(const Change& c) {
  std::string what = std::string(c.update ? "update " : "remove ") + "[" + Hex(c.first) + "-" +
                     Hex(c.last) + "]";
  if (c.update || c.check_type) {
    std::string_view name = map::E820TypeName(c.old_type);
    what += " " + (name.empty() ? "type " + std::to_string(c.old_type) : std::string(name));
  }
  if (c.update) {
    std::string_view name = map::E820TypeName(c.new_type);
    what += " => " + (name.empty() ? "type " + std::to_string(c.new_type) : std::string(name));
  }
  return what;
}

}  // namespace

bool ApplyKernelView(std::string_view text, size_t map_line, const ImportOptions& options,
                     ImportResult* result) {
  LineReader reader(text);
  std::string_view raw;
  size_t applied = 0, before = 0;
  uint64_t work = 0;
  while (reader.Next(&raw)) {
    Change c;
    Parse p = ParseChange(raw, &c);
    if (p == Parse::kNone) continue;
    size_t n = reader.line_no();
    if (!options.kernel_view) {
      ++before;
      continue;
    }
    if (p == Parse::kBad) {
      result->error = At(options, n,
                         "expected \"e820: update [mem 0xA-0xB] TYPE ==> TYPE\" or \"e820: remove "
                         "[mem 0xA-0xB] [TYPE]\" (or the \"e820 update range: A - B (TYPE)\" form), "
                         "got " + Quote(Trim(raw)));
      return false;
    }
    if (n < map_line) {  // edits of an earlier printout: already in the map that was used
      ++before;
      continue;
    }
    work += result->map.e820.size() + 1;
    uint64_t bytes = work > kMaxWork ? 0 : Apply(c, &result->map.e820);
    // One edit can split every entry it meets in three (overlapping entries): check after.
    if (work > kMaxWork || result->map.e820.size() > options.max_entries) {
      result->error = At(options, n, "--kernel-view: too many e820 changes for a map this size "
                                     "(limits: " + std::to_string(kMaxWork) + " entry visits, " +
                                     std::to_string(options.max_entries) + " entries)");
      return false;
    }
    result->notes.push_back(At(options, n, "--kernel-view: applied e820 " + Describe(c) + " (" +
                                               std::to_string(bytes) + " bytes changed)"));
    ++applied;
  }
  if (!options.kernel_view && before != 0 && options.strict) {
    result->warnings.push_back(options.source + ": " + std::to_string(before) +
                               " e820 update/remove lines of the kernel were ignored (--kernel-view "
                               "applies them)");
  } else if (options.kernel_view && before != 0) {
    result->warnings.push_back(options.source + ": " + std::to_string(before) +
                               " e820 update/remove lines before the imported map were not applied");
  }
  if (applied != 0) {
    result->origin_suffix += "; kernel view: " + std::to_string(applied) +
                                " e820 update/remove lines of the log applied";
  }
  return true;
}

}  // namespace bootmap::importer
