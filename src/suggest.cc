#include "maskdetect/suggest.hpp"

#include <algorithm>
#include <numeric>

namespace maskdetect {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string closest_name(const std::string& typed, const std::vector<std::string>& names) {
  // "--thresh" is a prefix of "--threshold": the likeliest meaning, whatever the distance.
  if (typed.size() > 3)
    for (const auto& n : names)
      if (n.size() > typed.size() && n.compare(0, typed.size(), typed) == 0) return n;
  const std::size_t limit = std::clamp<std::size_t>(typed.size() / 3, 1, 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const auto& n : names) {
    const std::size_t d = edit_distance(typed, n);
    if (d < best_distance) {
      best = n;
      best_distance = d;
    }
  }
  return best;
}

std::string unexpected_argument_hints(const std::vector<std::string>& args,
                                      const std::vector<std::string>& option_names) {
  std::string out;
  bool after_option = false;
  for (const auto& a : args) {
    if (a.size() > 1 && a[0] == '-') {
      const std::string name = a.substr(0, a.find('='));
      const std::string near = closest_name(name, option_names);
      out += "maskdetect: unknown option " + name +
             (near.empty() ? std::string() : "; did you mean " + near + "?") + "\n";
      after_option = a.find('=') == std::string::npos;
      continue;
    }
    if (!after_option)
      out += "maskdetect: '" + a + "' is not an option; did you mean --input " + a + "?\n";
    after_option = false;
  }
  return out;
}

}  // namespace maskdetect
