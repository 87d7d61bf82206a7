// Implementation of the strict JSON field reader.
#include "core/json_reader.h"

#include <fstream>
#include <sstream>

namespace parallax {

JsonReader::JsonReader(const nlohmann::json& object, std::string where)
    : object_(object), where_(std::move(where)) {
  if (!object_.is_object()) {
    throw SpecError(where_ + ": must be a JSON object");
  }
}

bool JsonReader::Has(const std::string& key) const { return object_.contains(key); }

std::string JsonReader::Path(const std::string& key) const {
  // "file" -> "file: key"; "file: model" -> "file: model.key".
  return where_ + (where_.find(": ") == std::string::npos ? ": " : ".") + key;
}

void JsonReader::Fail(const std::string& key, const std::string& rule) const {
  throw SpecError(Path(key) + ": " + rule);
}

const nlohmann::json& JsonReader::Get(const std::string& key) {
  read_.insert(key);
  if (!object_.contains(key)) Fail(key, "missing required field");
  return object_.at(key);
}

static std::string Shown(const nlohmann::json& v) {
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

int64_t JsonReader::PositiveInt(const std::string& key) {
  const auto& v = Get(key);
  if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
    Fail(key, "must be a positive integer (got " + Shown(v) + ")");
  }
  return v.get<int64_t>();
}

int64_t JsonReader::PositiveInt(const std::string& key, int64_t fallback) {
  read_.insert(key);
  return Has(key) ? PositiveInt(key) : fallback;
}

int64_t JsonReader::NonNegativeInt(const std::string& key, int64_t fallback) {
  read_.insert(key);
  if (!Has(key)) return fallback;
  const auto& v = object_.at(key);
  if (!v.is_number_integer() || v.get<int64_t>() < 0) {
    Fail(key, "must be a non-negative integer (got " + Shown(v) + ")");
  }
  return v.get<int64_t>();
}

double JsonReader::PositiveNumber(const std::string& key) {
  const auto& v = Get(key);
  if (!v.is_number() || !(v.get<double>() > 0)) {
    Fail(key, "must be a positive number (got " + Shown(v) + ")");
  }
  return v.get<double>();
}

double JsonReader::PositiveNumber(const std::string& key, double fallback) {
  read_.insert(key);
  return Has(key) ? PositiveNumber(key) : fallback;
}

double JsonReader::Fraction(const std::string& key, double fallback) {
  read_.insert(key);
  if (!Has(key)) return fallback;
  const auto& v = object_.at(key);
  if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
    Fail(key, "must be a number in [0, 1] (got " + Shown(v) + ")");
  }
  return v.get<double>();
}

bool JsonReader::Bool(const std::string& key, bool fallback) {
  read_.insert(key);
  if (!Has(key)) return fallback;
  const auto& v = object_.at(key);
  if (!v.is_boolean()) Fail(key, "must be true or false (got " + Shown(v) + ")");
  return v.get<bool>();
}

std::string JsonReader::String(const std::string& key) {
  const auto& v = Get(key);
  if (!v.is_string() || v.get<std::string>().empty()) {
    Fail(key, "must be a non-empty string (got " + Shown(v) + ")");
  }
  return v.get<std::string>();
}

std::string JsonReader::String(const std::string& key, const std::string& fallback) {
  read_.insert(key);
  return Has(key) ? String(key) : fallback;
}

std::vector<int64_t> JsonReader::IntList(const std::string& key) {
  read_.insert(key);
  std::vector<int64_t> out;
  if (!Has(key)) return out;
  const auto& v = object_.at(key);
  if (!v.is_array()) Fail(key, "must be a list of positive integers");
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number_integer() || v[i].get<int64_t>() <= 0) {
      Fail(key + "[" + std::to_string(i) + "]", "must be a positive integer (got " + Shown(v[i]) + ")");
    }
    out.push_back(v[i].get<int64_t>());
  }
  return out;
}

const nlohmann::json& JsonReader::Array(const std::string& key) {
  const auto& v = Get(key);
  if (!v.is_array() || v.empty()) Fail(key, "must be a non-empty list");
  return v;
}

const nlohmann::json& JsonReader::Object(const std::string& key) {
  const auto& v = Get(key);
  if (!v.is_object()) Fail(key, "must be a JSON object");
  return v;
}

const nlohmann::json* JsonReader::OptionalObject(const std::string& key) {
  read_.insert(key);
  if (!Has(key)) return nullptr;
  const auto& v = object_.at(key);
  if (!v.is_object()) Fail(key, "must be a JSON object");
  return &v;
}

void JsonReader::RejectUnknownKeys() const {
  std::vector<std::string> known(read_.begin(), read_.end());
  for (const auto& item : object_.items()) {
    if (!read_.count(item.key())) {
      Fail(item.key(), "unknown key" + DidYouMean(item.key(), known));
    }
  }
}

std::string JsonReader::Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

nlohmann::json ParseJsonText(const std::string& text, const std::string& name) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    const auto pos = what.find("parse error");
    throw SpecError(name + ": malformed JSON: " + (pos == std::string::npos ? what : what.substr(pos)));
  }
}

nlohmann::json ParseJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw SpecError(path + ": cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseJsonText(buffer.str(), path);
}

}  // namespace parallax
