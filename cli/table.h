// A plain-text table for the human output of every subcommand: columns
// right-aligned except the first, one header row. Plus number formatting.
#pragma once

#include <string>
#include <vector>

namespace parallax {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string Fixed(double value, int decimals);  // "12.34"
std::string GiB(double bytes);                  // "12.34" (binary GiB, no unit)
std::string Percent(double fraction);           // "45.6%"

}  // namespace parallax
