#include "maskdetect/time_spec.hpp"

#include <cmath>
#include <cstdlib>
#include <vector>

namespace maskdetect {
namespace {

// A non-negative decimal number and nothing else; strtod alone would take "1e3", "inf", " 5".
std::optional<double> plain_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  int dots = 0;
  for (const char c : s) {
    if (c == '.') {
      if (++dots > 1) return std::nullopt;
    } else if (c < '0' || c > '9') {
      return std::nullopt;
    }
  }
  if (s == ".") return std::nullopt;
  return std::strtod(s.c_str(), nullptr);
}

}  // namespace

std::optional<double> parse_time_spec(const std::string& text) {
  std::vector<std::string> parts{""};
  for (const char c : text) {
    if (c == ':')
      parts.emplace_back();
    else
      parts.back() += c;
  }
  if (parts.size() > 3) return std::nullopt;
  double seconds = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto v = plain_number(parts[i]);
    if (!v) return std::nullopt;
    const bool last = i + 1 == parts.size();
    // Only the last field may carry a fraction; minutes and seconds after a colon stay < 60.
    if (!last && parts[i].find('.') != std::string::npos) return std::nullopt;
    if (i > 0 && *v >= 60) return std::nullopt;
    seconds = seconds * 60 + *v;
  }
  if (!std::isfinite(seconds)) return std::nullopt;
  return seconds;
}

}  // namespace maskdetect
