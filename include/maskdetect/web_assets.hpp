// The static files of the pages maskdetect shows (report.html and `maskdetect serve`), compiled
// into the binary from web/ so that both work from any install with no network and no data path.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace maskdetect {

// The file web/NAME. Throws std::out_of_range for a name that is not there.
std::string_view web_asset(std::string_view name);

// The .html asset `name` with every `<!-- inline FILE -->` marker replaced by the asset FILE
// inside a <style> or <script> element (by its extension), so the page is one file.
std::string web_page(std::string_view name);

// `j` as the text of a <script type="application/json"> element: every '<' is written \u003c,
// so no string in it (a file name such as "</script><script>...") can end the element.
std::string json_for_script(const nlohmann::json& j);

}  // namespace maskdetect
