#include "maskdetect/model_card.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace maskdetect {
namespace {

constexpr const char* kFix =
    "reinstall the model (cmake --install) or pass --model PATH to a .onnx with its .json card";

// Pixel sizes the card may give: a classifier input far beyond this is a corrupt card, and the
// limit keeps every product of sizes comfortably inside an int.
constexpr int kMaxSide = 4096;

std::array<double, 3> three(const json& j, const char* what) {
  if (!j.is_array() || j.size() != 3) throw SetupError(std::string(what) + " must have 3 values");
  std::array<double, 3> v{};
  for (std::size_t i = 0; i < 3; ++i) {
    if (!j[i].is_number() || !std::isfinite(j[i].get<double>()))
      throw SetupError(std::string(what) + " must have 3 numbers");
    v[i] = j[i].get<double>();
  }
  return v;
}

// A whole number from `lo` to `hi`, written as 112 or 112.0. Anything else (a fraction, 1e30,
// a string, true) is a SetupError naming `field`: converting an out-of-range JSON number to an
// int is undefined behaviour, not an error, so the range is checked on the JSON value itself.
int whole_number(const json& v, const std::string& field, int lo, int hi) {
  if (v.is_number_unsigned()) {
    if (v.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi) && lo <= hi &&
        v.get<std::uint64_t>() >= static_cast<std::uint64_t>(std::max(lo, 0)))
      return static_cast<int>(v.get<std::uint64_t>());
  } else if (v.is_number_integer()) {
    const std::int64_t i = v.get<std::int64_t>();
    if (i >= lo && i <= hi) return static_cast<int>(i);
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && d >= lo && d <= hi) return static_cast<int>(d);
  }
  throw SetupError(field + " must be a whole number from " + std::to_string(lo) + " to " +
                   std::to_string(hi) + " (got " + v.dump() + ")");
}

// A number from `lo` to `hi` (finite, as JSON numbers always are once parsed).
double number_in(const json& v, const std::string& field, double lo, double hi) {
  if (v.is_number()) {
    const double d = v.get<double>();
    if (d >= lo && d <= hi) return d;
  }
  throw SetupError(field + " must be a number from " + json(lo).dump() + " to " + json(hi).dump() +
                   " (got " + v.dump() + ")");
}

}  // namespace

std::vector<std::string> ModelCard::face_labels() const {
  std::vector<std::string> out;
  for (const auto& l : labels)
    if (!rejects(l)) out.push_back(l);
  return out;
}

float ModelCard::face_threshold(const std::string& detector) const {
  if (auto it = face_thresholds.find(detector); it != face_thresholds.end()) return it->second;
  if (auto it = face_thresholds.find(""); it != face_thresholds.end()) return it->second;
  return 0.5F;
}

bool ModelCard::rejects(const std::string& label) const {
  return std::find(reject_labels.begin(), reject_labels.end(), label) != reject_labels.end();
}

namespace {

// Cards written before "roles" existed used the names "mask" and "no_mask"; they keep working.
void read_roles(const json& j, ModelCard& c) {
  const json roles = j.value("roles", json::object());
  c.masked_label = roles.value("masked", std::string("mask"));
  c.unmasked_label = roles.value("unmasked", std::string("no_mask"));
  c.incorrect_label = roles.value("incorrect", std::string());
  c.ground_truth = roles.value(
      "ground_truth", std::map<std::string, std::string>{{"with_mask", c.masked_label},
                                                         {"without_mask", c.unmasked_label}});
  const auto is_face_label = [&](const std::string& l) {
    return std::find(c.labels.begin(), c.labels.end(), l) != c.labels.end() && !c.rejects(l);
  };
  if (!is_face_label(c.masked_label))
    throw SetupError("roles.masked names '" + c.masked_label + "', which is not a face label");
  if (!is_face_label(c.unmasked_label))
    throw SetupError("roles.unmasked names '" + c.unmasked_label + "', which is not a face label");
  if (!c.incorrect_label.empty() && !is_face_label(c.incorrect_label))
    throw SetupError("roles.incorrect names '" + c.incorrect_label +
                     "', which is not a face label");
  for (const auto& [cls, label] : c.ground_truth)
    if (!is_face_label(label))
      throw SetupError("roles.ground_truth." + cls + " names '" + label +
                       "', which is not a face label");
}

}  // namespace

ModelCard parse_model_card(const json& j, const fs::path& card_path) {
  ModelCard c;
  c.card_path = card_path;
  try {
    c.name = j.value("name", card_path.stem().string());
    c.onnx_path = card_path.parent_path() / j.at("file").get<std::string>();
    c.sha256 = j.value("sha256", "");
    c.labels = j.at("labels").get<std::vector<std::string>>();
    c.reject_labels = j.value("reject_labels", std::vector<std::string>{});
    if (j.contains("incorrect_threshold")) {
      const double v = j.at("incorrect_threshold").get<double>();
      if (!(v >= 0 && v <= 1)) throw SetupError("incorrect_threshold must be within [0, 1]");
      c.incorrect_threshold = static_cast<float>(v);
    }
    if (j.contains("face_threshold")) {
      // A number applies to every detector (stored under ""); an object names them.
      const json& t = j["face_threshold"];
      // Read as double and checked before narrowing: a double beyond float's range does not
      // convert to a float.
      std::map<std::string, double> thresholds;
      if (t.is_number())
        thresholds[""] = t.get<double>();
      else
        thresholds = t.get<std::map<std::string, double>>();
      for (const auto& [detector, v] : thresholds) {
        if (!(v >= 0 && v <= 1))
          throw SetupError("face_threshold" + (detector.empty() ? "" : "." + detector) +
                           " must be between 0 and 1");
        c.face_thresholds[detector] = static_cast<float>(v);
      }
    }
    for (const auto& r : c.reject_labels)
      if (std::find(c.labels.begin(), c.labels.end(), r) == c.labels.end())
        throw SetupError("reject_labels names '" + r + "', which is not one of labels");
    read_roles(j, c);
    const json& in = j.at("input");
    c.input_width = whole_number(in.at("width"), "input.width", 1, kMaxSide);
    c.input_height = whole_number(in.at("height"), "input.height", 1, kMaxSide);
    const std::string order = in.value("channel_order", "RGB");
    if (order != "RGB" && order != "BGR") throw SetupError("channel_order must be RGB or BGR");
    c.rgb = order == "RGB";
    if (in.contains("scale")) c.scale = number_in(in["scale"], "input.scale", 1e-9, 1e9);
    if (in.contains("mean")) c.mean = three(in["mean"], "input.mean");
    if (in.contains("std")) c.std = three(in["std"], "input.std");
    if (j.contains("output")) c.outputs_logits = j["output"].value("kind", "logits") == "logits";
    if (j.contains("crop")) {
      const json& crop = j.at("crop");
      if (!crop.is_object()) throw SetupError("crop must be an object");
      // The crop rule multiplies a face's side by 1 + 2 * margin: a huge one would overflow it.
      if (crop.contains("margin"))
        c.crop_margin = number_in(crop.at("margin"), "crop.margin", 0, 2);
    }
    if (j.contains("crop_sets")) {
      const json& sets = j.at("crop_sets");
      if (!sets.is_object()) throw SetupError("crop_sets must be an object");
      if (sets.contains("stored_side"))
        c.crop_set_side =
            whole_number(sets.at("stored_side"), "crop_sets.stored_side", 0, kMaxSide);
    }
  } catch (const json::exception& e) {
    throw SetupError("model card " + card_path.string() + " is malformed (" + e.what() + "); " +
                     kFix);
  } catch (const SetupError& e) {
    throw SetupError("model card " + card_path.string() + ": " + e.what() + "; " + kFix);
  }
  if (c.face_labels().size() < 2 || c.input_width <= 0 || c.input_height <= 0)
    throw SetupError("model card " + card_path.string() +
                     " needs at least two face labels and a positive input size; " + kFix);
  for (double s : c.std)
    if (s == 0) throw SetupError("model card " + card_path.string() + ": input.std has a 0");
  return c;
}

ModelCard load_model_card(const fs::path& model_or_card) {
  fs::path card_path = model_or_card;
  if (card_path.extension() != ".json") card_path.replace_extension(".json");
  if (!fs::exists(model_or_card))
    throw SetupError("model " + model_or_card.string() + " not found; " + kFix);
  if (!fs::exists(card_path))
    throw SetupError("model card " + card_path.string() + " not found (it must sit beside the " +
                     "ONNX file); " + kFix);
  json j;
  {
    std::ifstream in(card_path);
    try {
      j = json::parse(in);
    } catch (const json::exception&) {
      throw SetupError("model card " + card_path.string() + " is not valid JSON; " + kFix);
    }
  }
  ModelCard card = parse_model_card(j, card_path);
  if (!fs::exists(card.onnx_path))
    throw SetupError("model " + card.onnx_path.string() + " (named by " + card_path.string() +
                     ") not found; " + kFix);
  if (!card.sha256.empty()) check_sha256(card.onnx_path, card.sha256, kFix);
  return card;
}

fs::path find_model_file(const std::string& file, const char* env_var, const fs::path& executable) {
  if (const char* env = std::getenv(env_var); env && *env) return env;
  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (ec) exe = fs::absolute(executable, ec);
  if (!exe.empty()) {
    // <prefix>/bin/maskdetect -> <prefix>/share/maskdetect/models
    candidates.push_back(exe.parent_path().parent_path() / config::kInstallModelDir / file);
  }
  candidates.push_back(fs::path(config::kSourceModelDir) / file);
  for (const auto& c : candidates)
    if (fs::exists(c, ec)) return c;
  return candidates.front();
}

fs::path find_default_model(const fs::path& executable) {
  return find_model_file(config::kDefaultModelFile, "MASKDETECT_MODEL", executable);
}

void check_sha256(const fs::path& file, const std::string& expected, const std::string& fix) {
  const std::string actual = sha256_file(file);
  if (actual != expected)
    throw SetupError("model " + file.string() + " is corrupt or not the one its card " +
                     "describes (sha256 " + actual.substr(0, 12) + "… ≠ " + expected.substr(0, 12) +
                     "…); " + fix);
}

std::string sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

}  // namespace maskdetect
