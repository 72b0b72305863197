#include "maskdetect/web_assets.hpp"

#include <stdexcept>
#include <utility>

namespace maskdetect {
namespace web_generated {
extern const std::pair<std::string_view, std::string_view> kAssets[];
extern const std::size_t kAssetCount;
}  // namespace web_generated

std::string_view web_asset(std::string_view name) {
  for (std::size_t i = 0; i < web_generated::kAssetCount; ++i)
    if (web_generated::kAssets[i].first == name) return web_generated::kAssets[i].second;
  throw std::out_of_range("no web asset named " + std::string(name));
}

std::string web_page(std::string_view name) {
  static constexpr std::string_view kOpen = "<!-- inline ", kClose = " -->";
  const std::string_view html = web_asset(name);
  std::string out;
  std::size_t at = 0;
  for (auto open = html.find(kOpen); open != std::string_view::npos; open = html.find(kOpen, at)) {
    const auto close = html.find(kClose, open);
    if (close == std::string_view::npos) break;
    const std::string_view file = html.substr(open + kOpen.size(), close - open - kOpen.size());
    const bool css = file.size() > 4 && file.substr(file.size() - 4) == ".css";
    out.append(html.substr(at, open - at));
    out.append(css ? "<style>\n" : "<script>\n");
    out.append(web_asset(file));
    out.append(css ? "</style>" : "</script>");
    at = close + kClose.size();
  }
  out.append(html.substr(at));
  return out;
}

std::string json_for_script(const nlohmann::json& j) {
  const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

}  // namespace maskdetect
