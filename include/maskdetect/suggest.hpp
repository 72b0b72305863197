// "Did you mean": the hints for a command line the parser rejected.
#pragma once

#include <string>
#include <vector>

namespace maskdetect {

// Levenshtein distance between two strings (bytes).
std::size_t edit_distance(const std::string& a, const std::string& b);

// The closest of `names` to what was typed ("--thresh" -> "--threshold"), or "" when none is
// close: one that starts with it, or one within an edit distance of a third of its length (at
// least 1, at most 3). Ties go to the first in `names`.
std::string closest_name(const std::string& typed, const std::vector<std::string>& names);

// Hints for arguments the parser did not expect, one line each: an unknown option gets its
// closest name, a stray word a reminder that inputs come with --input. The word after an
// unknown option is taken for its value and gets no hint.
std::string unexpected_argument_hints(const std::vector<std::string>& args,
                                      const std::vector<std::string>& option_names);

}  // namespace maskdetect
