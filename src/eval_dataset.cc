#include "maskdetect/eval_dataset.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "maskdetect/errors.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace maskdetect {
namespace {

bool is_hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }

std::vector<fs::path> sorted_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec) && !is_hidden(it->path())) out.push_back(it->path());
  if (ec) throw SetupError("cannot list " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

bool wanted(const std::string& split, const std::string& key) {
  return split == "all" || split_of(key) == split;
}

bool is_xml(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".xml";
}

// The annotation's faces and, when its <filename> exists in images/, that image. Throws what
// parse_voc throws.
EvalSample read_annotation(const fs::path& xml, const fs::path& images) {
  EvalSample s;
  // Same key as training/prepare_data.py: the annotation's stem (= the image's stem in the
  // shipped sets, whose files are named by content hash).
  s.key = xml.stem().string();
  VocAnnotation a = parse_voc(read_file_bytes(xml));
  s.gt = std::move(a.faces);
  if (!a.filename.empty()) {
    const fs::path named = images / fs::path(a.filename).filename();
    std::error_code ec;
    if (fs::is_regular_file(named, ec)) s.image = named;
  }
  return s;
}

DatasetPlan plan_voc(const fs::path& dir, const std::string& split, std::size_t limit,
                     std::ostream& log) {
  DatasetPlan plan{dir, "voc", {}, 0, 0, 0};
  const fs::path images = dir / "images";
  if (!fs::is_directory(images))
    throw SetupError("VOC folder " + dir.string() + " has annotations/ but no images/");
  std::unordered_map<std::string, std::vector<fs::path>> by_stem;
  for (const auto& p : sorted_files(images)) by_stem[p.stem().string()].push_back(p);
  for (const auto& xml : sorted_files(dir / "annotations")) {
    if (!is_xml(xml) || !wanted(split, xml.stem().string())) continue;
    EvalSample s;
    try {
      s = read_annotation(xml, images);
    } catch (const std::exception& e) {
      ++plan.bad_annotations;
      log << "maskdetect eval: " << xml.string() << ": " << e.what() << "; skipped\n";
      continue;
    }
    if (s.image.empty()) {
      const auto it = by_stem.find(s.key);
      if (it != by_stem.end()) s.image = it->second.front();
    }
    if (s.image.empty()) {
      ++plan.missing_images;
      log << "maskdetect eval: " << xml.string() << ": no image for it in " << images.string()
          << "; skipped\n";
      continue;
    }
    plan.samples.push_back(std::move(s));
    if (limit > 0 && plan.samples.size() >= limit) break;
  }
  return plan;
}

// The split key of a crop is its original's hash, recorded in the set's manifest; the file
// itself was re-encoded, so hashing it would give a different split than training used.
std::unordered_map<std::string, std::string> source_hashes(const fs::path& dir, std::ostream& log) {
  std::unordered_map<std::string, std::string> source_hash;
  const fs::path manifest = dir / "manifest.json";
  if (!fs::is_regular_file(manifest)) return source_hash;
  try {
    const json m = json::parse(read_file_bytes(manifest));
    for (const auto& item : m.at("images"))
      if (item.contains("file") && item.contains("source_sha256"))
        source_hash[item["file"].get<std::string>()] = item["source_sha256"].get<std::string>();
  } catch (const std::exception& e) {
    log << "maskdetect eval: " << manifest.string() << ": " << e.what()
        << "; split keys fall back to file stems\n";
  }
  return source_hash;
}

DatasetPlan plan_crops(const fs::path& dir, const std::string& split, std::size_t limit,
                       std::ostream& log) {
  DatasetPlan plan{dir, "crops", {}, 0, 0, 0};
  const auto source_hash = source_hashes(dir, log);
  for (const char* folder : {kWithMask, kWithoutMask, kIncorrect, "mask_weared_incorrect"}) {
    if (!fs::is_directory(dir / folder)) continue;
    for (const auto& p : sorted_files(dir / folder)) {
      EvalSample s;
      s.image = p;
      s.cls = canonical_gt_class(folder);
      const auto it = source_hash.find(std::string(folder) + "/" + p.filename().string());
      if (it != source_hash.end()) {
        s.key = it->second;
      } else {
        s.key = p.stem().string();
        ++plan.keys_from_stem;
      }
      if (wanted(split, s.key)) plan.samples.push_back(std::move(s));
    }
  }
  if (plan.keys_from_stem > 0)
    log << "maskdetect eval: " << dir.string() << ": " << plan.keys_from_stem
        << " crops not in manifest.json; their split key is the file stem, which training may "
           "not share\n";
  // Folders are listed class by class; ordering by key mixes the classes (the keys are
  // hashes), so a --limit run still sees every class.
  std::sort(plan.samples.begin(), plan.samples.end(), [](const EvalSample& a, const EvalSample& b) {
    return std::tie(a.key, a.image) < std::tie(b.key, b.image);
  });
  if (limit > 0 && plan.samples.size() > limit) plan.samples.resize(limit);
  return plan;
}

}  // namespace

std::string split_of(std::string_view key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(key.data(), key.size(), md, &len, EVP_sha1(), nullptr) != 1)
    throw std::runtime_error("SHA-1 unavailable in this OpenSSL");
  // The digest as one big-endian integer, mod 10, without a bignum: fold byte by byte.
  unsigned r = 0;
  for (unsigned i = 0; i < len; ++i) r = (r * 256 + md[i]) % 10;
  return r == 0 ? "test" : r == 1 ? "val" : "train";
}

std::string read_file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// A box field of a report: a number within +-1e9 (the range parse_voc accepts), truncated as
// VOC coordinates are. get<int> on 1e30 would be undefined behaviour, not an error.
int report_box_field(const json& box, const char* key) {
  const json& v = box.at(key);
  const double d = v.is_number() ? v.get<double>() : std::nan("");
  if (!(std::abs(d) <= 1e9))
    throw SetupError(std::string("box.") + key + " is not a pixel coordinate: " + v.dump());
  return static_cast<int>(std::trunc(d));
}

// A probability; anything else (1e300 would not even fit a float) is an error in the report.
float report_confidence(const json& face) {
  const json v = face.value("confidence", json(0.0));
  const double d = v.is_number() ? v.get<double>() : std::nan("");
  if (!(d >= 0 && d <= 1)) throw SetupError("confidence is not a probability: " + v.dump());
  return static_cast<float>(d);
}

}  // namespace

std::map<std::string, std::vector<Face>> parse_report_faces(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw SetupError("not valid JSON");
  if (!j.is_object() || !j.contains("files") || !j["files"].is_array())
    throw SetupError("no \"files\" list");
  std::map<std::string, std::vector<Face>> out;
  try {
    for (const json& f : j["files"]) {
      std::vector<Face> faces;
      for (const json& face : f.value("faces", json::array())) {
        const json& b = face.at("box");
        Face x;
        x.box = cv::Rect(report_box_field(b, "x"), report_box_field(b, "y"),
                         report_box_field(b, "w"), report_box_field(b, "h"));
        x.label = face.value("label", "");
        x.confidence = report_confidence(face);
        faces.push_back(std::move(x));
      }
      out.emplace(fs::path(f.at("path").get<std::string>()).filename().string(), std::move(faces));
    }
  } catch (const json::exception& e) {
    throw SetupError(std::string("unexpected shape: ") + e.what());
  }
  return out;
}

std::map<std::string, std::vector<Face>> faces_from_report(const fs::path& report) {
  std::string text;
  try {
    text = read_file_bytes(report);
  } catch (const std::exception& e) {
    throw SetupError("cannot read report " + report.string() + ": " + e.what());
  }
  try {
    return parse_report_faces(text);
  } catch (const SetupError& e) {
    throw SetupError("report " + report.string() + ": " + e.what());
  }
}

DatasetPlan plan_dataset(const fs::path& dir, const std::string& split, std::size_t limit,
                         std::ostream& log) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw SetupError("dataset " + dir.string() + " is not a folder");
  if (fs::is_directory(dir / "annotations", ec)) return plan_voc(dir, split, limit, log);
  for (const char* folder : {kWithMask, kWithoutMask, kIncorrect})
    if (fs::is_directory(dir / folder, ec)) return plan_crops(dir, split, limit, log);
  throw SetupError("dataset " + dir.string() +
                   " is neither a VOC folder (images/ + annotations/) nor a crop set "
                   "(with_mask/, without_mask/)");
}

}  // namespace maskdetect
