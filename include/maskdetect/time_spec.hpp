// Times on the command line (--start, --end, --duration): seconds ("90", "12.5") or clock form
// ("1:30", "01:02:03.5"), as ffmpeg's -ss accepts them.
#pragma once

#include <optional>
#include <string>

namespace maskdetect {

// The time in seconds; none when the text is not a time (negative, empty, minutes or seconds
// of 60 or more in clock form, trailing garbage).
std::optional<double> parse_time_spec(const std::string& text);

}  // namespace maskdetect
