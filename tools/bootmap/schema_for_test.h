// A JSON Schema subset checker for the CLI's --json contracts (tools/bootmap/*.schema.json).
#pragma once
#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tools/bootmap/run_for_test.h"

namespace bootmap::cli::testing {

using nlohmann::json;

// A JSON Schema subset (type (one or a list), enum, required, properties, items, additionalProperties, minimum,
// pattern, $ref to #/$defs) — enough to hold replay --json to tools/bootmap/replay.schema.json.
inline void Validate(const json& schema, const json& root, const json& v, const std::string& at, std::vector<std::string>* errs) {
  const json& s = schema.contains("$ref")
                      ? root["$defs"][schema["$ref"].get<std::string>().substr(std::string("#/$defs/").size())]
                      : schema;
  if (s.contains("type")) {  // one type or a list of them
    const json types = s["type"].is_array() ? s["type"] : json::array({s["type"]});
    bool ok = false;
    for (const json& type : types) {
      const std::string t = type;
      ok |= (t == "object" && v.is_object()) || (t == "array" && v.is_array()) || (t == "string" && v.is_string()) ||
            (t == "boolean" && v.is_boolean()) || (t == "integer" && v.is_number_integer()) ||
            (t == "number" && v.is_number()) || (t == "null" && v.is_null());
    }
    if (!ok) return errs->push_back(at + ": expected " + types.dump() + ", got " + v.dump());
  }
  if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
    errs->push_back(at + ": " + v.dump() + " is not one of " + s["enum"].dump());
  if (s.contains("minimum") && v.is_number_integer() && v.get<int64_t>() < s["minimum"].get<int64_t>())
    errs->push_back(at + ": below minimum");
  if (s.contains("pattern") && v.is_string() && !std::regex_match(v.get<std::string>(), std::regex(s["pattern"].get<std::string>())))
    errs->push_back(at + ": " + v.dump() + " does not match " + s["pattern"].get<std::string>());
  if (s.contains("required"))
    for (const auto& k : s["required"])
      if (!v.contains(k.get<std::string>())) errs->push_back(at + ": missing \"" + k.get<std::string>() + "\"");
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (s.contains("properties") && s["properties"].contains(it.key()))
        Validate(s["properties"][it.key()], root, it.value(), at + "/" + it.key(), errs);
      else if (s.contains("additionalProperties") && s["additionalProperties"].is_object())
        Validate(s["additionalProperties"], root, it.value(), at + "/" + it.key(), errs);
    }
  }
  if (v.is_array() && s.contains("items"))
    for (size_t i = 0; i < v.size(); ++i) Validate(s["items"], root, v[i], at + "/" + std::to_string(i), errs);
}

// Where `text` (a JSON document) breaks the schema in `schema_file` (relative to the repository).
inline std::vector<std::string> SchemaErrors(const std::string& text, const std::string& schema_file) {
  const json schema = json::parse(Slurp(Root() + "/" + schema_file));
  const json v = json::parse(text, nullptr, false);
  if (v.is_discarded()) return {"not JSON: " + text.substr(0, 200)};
  std::vector<std::string> errs;
  Validate(schema, schema, v, "", &errs);
  return errs;
}

}  // namespace bootmap::cli::testing
