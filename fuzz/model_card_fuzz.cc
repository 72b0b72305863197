// Fuzzes model-card parsing: the bytes are parsed as JSON (a parse error ends the input) and
// given to parse_model_card. SetupError is its only allowed failure; any other exception,
// undefined behaviour or a card that passes with a nonsensical value is a bug.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <string_view>

#include "maskdetect/errors.hpp"
#include "maskdetect/model_card.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "model_card: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  maskdetect::ModelCard c;
  try {
    c = maskdetect::parse_model_card(j, "/models/fuzz.json");
  } catch (const maskdetect::SetupError&) {
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "model_card: parse_model_card threw %s\n", e.what());
    std::abort();
  }
  if (c.input_width <= 0 || c.input_height <= 0) fail("accepted a non-positive input size");
  if (c.crop_set_side < 0) fail("accepted a negative crop_sets.stored_side");
  if (c.face_labels().size() < 2) fail("accepted fewer than two face labels");
  for (const auto& [detector, t] : c.face_thresholds)
    if (!(t >= 0 && t <= 1)) fail("accepted a face_threshold outside [0, 1]");
  for (double s : c.std)
    if (s == 0) fail("accepted a zero input.std");
  // What the rest of the tool asks of a card must not throw either.
  (void)c.face_threshold("yunet");
  (void)c.face_threshold("haar");
  for (const auto& l : c.labels) (void)c.rejects(l);
  return 0;
}
