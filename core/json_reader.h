// Strict reading of one JSON object: typed getters with range rules, and a
// final check that rejects keys nobody asked for (with a "did you mean").
// Every error names the file and the JSON path, e.g.
//   models/x.json: model.heads: must be a positive integer (got -3)
// so a user can fix a spec without reading our code.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/errors.h"

namespace parallax {

class JsonReader {
 public:
  // `where` is "file: path" (path without trailing dot), e.g. "m.json: model".
  JsonReader(const nlohmann::json& object, std::string where);

  bool Has(const std::string& key) const;
  // Required fields.
  int64_t PositiveInt(const std::string& key);
  double PositiveNumber(const std::string& key);
  std::string String(const std::string& key);
  // Optional fields with defaults.
  int64_t PositiveInt(const std::string& key, int64_t fallback);
  int64_t NonNegativeInt(const std::string& key, int64_t fallback);
  double PositiveNumber(const std::string& key, double fallback);
  double Fraction(const std::string& key, double fallback);  // in [0, 1]
  bool Bool(const std::string& key, bool fallback);
  std::string String(const std::string& key, const std::string& fallback);
  std::vector<int64_t> IntList(const std::string& key);  // optional; empty if absent
  const nlohmann::json& Array(const std::string& key);    // required, non-empty
  const nlohmann::json& Object(const std::string& key);  // required
  const nlohmann::json* OptionalObject(const std::string& key);

  // Enum by name from a table; unknown names list the allowed ones.
  template <typename T>
  T Enum(const std::string& key, const std::vector<std::pair<std::string, T>>& table, T fallback) {
    if (!Has(key)) return fallback;
    const std::string name = String(key);
    std::vector<std::string> names;
    for (const auto& [n, v] : table) {
      if (n == name) return v;
      names.push_back(n);
    }
    Fail(key, "unknown value \"" + name + "\"" + DidYouMean(name, names) + "; allowed: " + Join(names));
  }

  // Path of a field, for nested readers and messages: "file: model.moe".
  std::string Path(const std::string& key) const;
  [[noreturn]] void Fail(const std::string& key, const std::string& rule) const;
  // Throws on the first key that was never read.
  void RejectUnknownKeys() const;

  static std::string Join(const std::vector<std::string>& names);

 private:
  const nlohmann::json& Get(const std::string& key);
  const nlohmann::json& object_;
  std::string where_;
  std::set<std::string> read_;
};

// Parses a JSON file; a syntax error names the file, line and column context.
nlohmann::json ParseJsonFile(const std::string& path);
nlohmann::json ParseJsonText(const std::string& text, const std::string& name);

}  // namespace parallax
