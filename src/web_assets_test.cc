#include "maskdetect/web_assets.hpp"

#include <catch2/catch.hpp>

using namespace maskdetect;

TEST_CASE("the pages and their assets are compiled in", "[web]") {
  CHECK(web_asset("common.js").find("function labelColour") != std::string_view::npos);
  CHECK_THROWS_AS(web_asset("../CMakeLists.txt"), std::out_of_range);
}

TEST_CASE("a page is one file: its style and scripts are inlined", "[web]") {
  const std::string page = web_page("report.html");
  CHECK(page.find("<!-- inline") == std::string::npos);
  CHECK(page.find(std::string(web_asset("report.js"))) != std::string::npos);
  CHECK(page.find("<style>\n" + std::string(web_asset("common.css"))) != std::string::npos);
  // The slot the report's data goes into is left for the writer.
  CHECK(page.find("<!-- data -->") != std::string::npos);
}

TEST_CASE("JSON in a script element cannot end the element", "[web]") {
  const nlohmann::json j = {{"path", "</script><script>alert(1)</script>.jpg"}};
  const std::string text = json_for_script(j);
  CHECK(text.find('<') == std::string::npos);
  CHECK(nlohmann::json::parse(text) == j);
}
