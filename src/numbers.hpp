// Numbers as the reports write them: the shortest text that reads back the same, rounded where a
// finer figure would only be noise. Private to the report writers.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace maskdetect {

// The shortest decimal that reads back as the same float, as a double: 0.98F is written as 0.98
// rather than 0.9800000190734863, without losing any of the float's precision.
inline double shortest(float v) {
  if (!std::isfinite(v)) return v;
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  *res.ptr = '\0';
  return std::strtod(buf, nullptr);
}

inline double round_to(double v, double step) {
  if (!std::isfinite(v)) return v;
  // Dividing by the inverse gives the double nearest to the decimal (3.413,
  // not 3.4130000000000003).
  const double inverse = std::round(1.0 / step);
  return std::round(v * inverse) / inverse;
}

// Shortest round-trip text of a double, for CSV cells (no locale, no trailing zeros).
inline std::string number_text(double v) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

inline std::string number_text(float v) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

}  // namespace maskdetect
