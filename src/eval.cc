#include "maskdetect/eval.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iomanip>
#include <locale>
#include <memory>
#include <mutex>
#include <numeric>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "maskdetect/classifier.hpp"
#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/image_decode.hpp"
#include "maskdetect/media_sniff.hpp"
#include "maskdetect/model_card.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace maskdetect {
namespace {

constexpr const char* kAll = "all";
// The model label a ground-truth class counts as correct for. with_incorrect_mask has none:
// whether it should raise an alert is a policy question, so it is reported, not scored.
const std::map<std::string, std::string> kExpectedLabel{{kWithMask, "mask"},
                                                        {kWithoutMask, "no_mask"}};
const std::vector<std::string> kKnownClasses{kWithMask, kWithoutMask, kIncorrect};

// ---------------------------------------------------------------------------------------------
// A minimal XML reader: enough for VOC annotations as labelling tools write them (prolog,
// comments, attributes, CDATA, entities), without pulling a library into the build.

struct XmlNode {
  std::string name, text;
  std::vector<XmlNode> children;
  const XmlNode* child(std::string_view n) const {
    for (const auto& c : children)
      if (c.name == n) return &c;
    return nullptr;
  }
};

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x110000) {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class XmlReader {
 public:
  explicit XmlReader(std::string_view s) : s_(s) {}

  XmlNode document() {
    for (;;) {
      skip_space();
      if (starts("<?")) {
        skip_past("?>");
      } else if (starts("<!--")) {
        skip_past("-->");
      } else if (starts("<!")) {
        skip_declaration();
      } else {
        break;
      }
    }
    if (!starts("<")) fail("no root element");
    return element(0);
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("malformed XML at byte " + std::to_string(i_) + ": " + why);
  }
  bool starts(std::string_view p) const { return s_.substr(i_, p.size()) == p; }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void skip_past(std::string_view end) {
    const size_t k = s_.find(end, i_);
    if (k == std::string_view::npos) fail("unterminated markup");
    i_ = k + end.size();
  }
  // <!DOCTYPE ...> with an optional [internal subset].
  void skip_declaration() {
    int depth = 0;
    for (; i_ < s_.size(); ++i_) {
      if (s_[i_] == '[') ++depth;
      if (s_[i_] == ']') --depth;
      if (s_[i_] == '>' && depth <= 0) {
        ++i_;
        return;
      }
    }
    fail("unterminated declaration");
  }
  std::string name() {
    const size_t b = i_;
    while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])) && s_[i_] != '/' &&
           s_[i_] != '>')
      ++i_;
    if (i_ == b) fail("missing tag name");
    return std::string(s_.substr(b, i_ - b));
  }
  void text(std::string& out) {
    while (i_ < s_.size() && s_[i_] != '<') {
      if (s_[i_] != '&') {
        out += s_[i_++];
        continue;
      }
      const size_t semi = s_.find(';', i_);
      if (semi == std::string_view::npos || semi - i_ > 12) {
        out += s_[i_++];  // a stray '&': keep it rather than reject the file
        continue;
      }
      const std::string_view ent = s_.substr(i_ + 1, semi - i_ - 1);
      if (ent == "lt")
        out += '<';
      else if (ent == "gt")
        out += '>';
      else if (ent == "amp")
        out += '&';
      else if (ent == "quot")
        out += '"';
      else if (ent == "apos")
        out += '\'';
      else if (ent.size() > 1 && ent[0] == '#') {
        const bool hex = ent[1] == 'x' || ent[1] == 'X';
        const std::string digits(ent.substr(hex ? 2 : 1));
        append_utf8(out, std::strtoul(digits.c_str(), nullptr, hex ? 16 : 10));
      } else {
        out += s_.substr(i_, semi - i_ + 1);
      }
      i_ = semi + 1;
    }
  }

  XmlNode element(int depth) {
    // Annotation files come from anywhere; a nesting bomb must not overflow the stack.
    if (depth > 64) fail("elements nested too deeply");
    ++i_;  // '<'
    XmlNode node;
    node.name = name();
    // Attributes are not needed; skip them, minding quoted values that may contain '>'.
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated start tag <" + node.name + ">");
      const char c = s_[i_];
      if (c == '"' || c == '\'') {
        const size_t k = s_.find(c, i_ + 1);
        if (k == std::string_view::npos) fail("unterminated attribute value");
        i_ = k + 1;
      } else if (starts("/>")) {
        i_ += 2;
        return node;
      } else if (c == '>') {
        ++i_;
        break;
      } else {
        ++i_;
      }
    }
    for (;;) {
      if (i_ >= s_.size()) fail("missing </" + node.name + ">");
      if (starts("</")) {
        i_ += 2;
        const std::string end = name();
        if (end != node.name) fail("</" + end + "> closes <" + node.name + ">");
        skip_space();
        if (!starts(">")) fail("bad end tag </" + end);
        ++i_;
        return node;
      }
      if (starts("<!--")) {
        skip_past("-->");
      } else if (starts("<![CDATA[")) {
        const size_t b = i_ + 9;
        skip_past("]]>");
        node.text += s_.substr(b, i_ - 3 - b);
      } else if (starts("<?")) {
        skip_past("?>");
      } else if (starts("<")) {
        node.children.push_back(element(depth + 1));
      } else {
        text(node.text);
      }
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// int(float(text)) as training/prepare_data.py reads coordinates; locale-independent.
int voc_coordinate(const XmlNode& box, const char* tag) {
  const XmlNode* n = box.child(tag);
  if (!n) throw std::runtime_error(std::string("<bndbox> without <") + tag + ">");
  const std::string t = trim(n->text);
  std::istringstream in(t);
  in.imbue(std::locale::classic());
  double v = 0;
  if (!(in >> v) || !std::isfinite(v) || std::abs(v) > 1e9)
    throw std::runtime_error(std::string("<") + tag + "> is not a number: \"" + t + "\"");
  return static_cast<int>(std::trunc(v));
}

// ---------------------------------------------------------------------------------------------

json ratio(std::int64_t num, std::int64_t den) {
  if (den == 0) return nullptr;
  return static_cast<double>(num) / static_cast<double>(den);
}

std::int64_t get(const std::map<std::string, std::int64_t>& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

std::int64_t sum(const std::map<std::string, std::int64_t>& m) {
  std::int64_t s = 0;
  for (const auto& [k, v] : m) s += v;
  return s;
}

// Classes in reading order: the known ones (always, when `all_known`, so a VOC report has the
// same keys whatever the set holds), then any others present.
std::vector<std::string> class_order(const std::map<std::string, std::int64_t>& present,
                                     bool all_known) {
  std::vector<std::string> out;
  for (const auto& c : kKnownClasses)
    if (all_known || get(present, c) > 0) out.push_back(c);
  for (const auto& [k, v] : present)
    if (std::find(out.begin(), out.end(), k) == out.end() && v > 0) out.push_back(k);
  return out;
}

std::vector<std::string> label_order(
    const std::map<std::string, std::map<std::string, std::int64_t>>& confusion,
    const std::vector<std::string>& labels) {
  std::vector<std::string> out = labels;
  for (const auto& [cls, row] : confusion)
    for (const auto& [label, n] : row)
      if (std::find(out.begin(), out.end(), label) == out.end()) out.push_back(label);
  return out;
}

json confusion_json(const std::map<std::string, std::map<std::string, std::int64_t>>& confusion,
                    const std::vector<std::string>& rows, const std::vector<std::string>& cols) {
  json out = json::object();
  for (const auto& r : rows) {
    const auto it = confusion.find(r);
    json row = json::object();
    for (const auto& c : cols) row[c] = it == confusion.end() ? 0 : get(it->second, c);
    out[r] = std::move(row);
  }
  return out;
}

}  // namespace

std::string canonical_gt_class(std::string_view voc_name) {
  const std::string n = trim(voc_name);
  if (n == kWithMask || n == kWithoutMask || n == kIncorrect) return n;
  if (n == "mask_weared_incorrect") return kIncorrect;
  return kOtherClass;
}

VocAnnotation parse_voc(std::string_view xml) {
  const XmlNode root = XmlReader(xml).document();
  VocAnnotation a;
  if (const XmlNode* f = root.child("filename")) a.filename = trim(f->text);
  int index = 0;
  for (const XmlNode& obj : root.children) {
    if (obj.name != "object") continue;
    const XmlNode* box = obj.child("bndbox");
    const XmlNode* name = obj.child("name");
    if (!box) throw std::runtime_error("<object> " + std::to_string(index) + " has no <bndbox>");
    GtFace g;
    g.label = name ? trim(name->text) : std::string();
    g.cls = canonical_gt_class(g.label);
    const int x0 = voc_coordinate(*box, "xmin"), y0 = voc_coordinate(*box, "ymin");
    const int x1 = voc_coordinate(*box, "xmax"), y1 = voc_coordinate(*box, "ymax");
    g.box = cv::Rect(x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0));
    a.faces.push_back(std::move(g));
    ++index;
  }
  return a;
}

double iou(const cv::Rect& a, const cv::Rect& b) {
  if (a.empty() || b.empty()) return 0.0;
  const double inter = (a & b).area();
  const double uni = static_cast<double>(a.area()) + static_cast<double>(b.area()) - inter;
  return uni > 0 ? inter / uni : 0.0;
}

std::vector<int> match_greedy(const std::vector<cv::Rect>& gt, const std::vector<cv::Rect>& pred,
                              double min_iou) {
  std::vector<std::tuple<double, int, int>> pairs;
  for (size_t g = 0; g < gt.size(); ++g)
    for (size_t p = 0; p < pred.size(); ++p) {
      const double v = iou(gt[g], pred[p]);
      if (v >= min_iou && v > 0) pairs.emplace_back(v, static_cast<int>(g), static_cast<int>(p));
    }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
    if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
    return std::make_pair(std::get<1>(a), std::get<2>(a)) <
           std::make_pair(std::get<1>(b), std::get<2>(b));
  });
  std::vector<int> of_pred(pred.size(), -1);
  std::vector<bool> gt_taken(gt.size(), false);
  for (const auto& [v, g, p] : pairs) {
    if (gt_taken[static_cast<size_t>(g)] || of_pred[static_cast<size_t>(p)] >= 0) continue;
    gt_taken[static_cast<size_t>(g)] = true;
    of_pred[static_cast<size_t>(p)] = g;
  }
  return of_pred;
}

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

VocTally& VocTally::operator+=(const VocTally& o) {
  images += o.images;
  predictions += o.predictions;
  for (const auto& [k, v] : o.gt) gt[k] += v;
  for (const auto& [k, v] : o.found50) found50[k] += v;
  for (const auto& [k, v] : o.found30) found30[k] += v;
  matched_pred50 += o.matched_pred50;
  matched_pred30 += o.matched_pred30;
  for (const auto& [cls, row] : o.confusion)
    for (const auto& [label, n] : row) confusion[cls][label] += n;
  no_mask_tp += o.no_mask_tp;
  no_mask_fp_with_mask += o.no_mask_fp_with_mask;
  no_mask_fp_unmatched += o.no_mask_fp_unmatched;
  no_mask_fn += o.no_mask_fn;
  no_mask_ignored += o.no_mask_ignored;
  return *this;
}

VocTally score_image(const std::vector<GtFace>& gt, const std::vector<Face>& predictions) {
  std::vector<cv::Rect> gb, pb;
  for (const auto& g : gt) gb.push_back(g.box);
  for (const auto& p : predictions) pb.push_back(p.box);
  // Matching ignores labels: first "was this face found", then "was it labelled right".
  const std::vector<int> m50 = match_greedy(gb, pb, 0.5), m30 = match_greedy(gb, pb, 0.3);

  VocTally t;
  t.images = 1;
  t.predictions = static_cast<std::int64_t>(predictions.size());
  for (const auto& g : gt) t.gt[g.cls] += 1;
  std::vector<bool> alerted(gt.size(), false);
  for (size_t p = 0; p < predictions.size(); ++p) {
    if (m50[p] >= 0) {
      t.found50[gt[static_cast<size_t>(m50[p])].cls] += 1;
      t.matched_pred50 += 1;
    }
    const bool no_mask = predictions[p].label == "no_mask";
    if (m30[p] >= 0) {
      const GtFace& g = gt[static_cast<size_t>(m30[p])];
      t.found30[g.cls] += 1;
      t.matched_pred30 += 1;
      t.confusion[g.cls][predictions[p].label] += 1;
      if (no_mask) {
        if (g.cls == kWithoutMask) {
          t.no_mask_tp += 1;
          alerted[static_cast<size_t>(m30[p])] = true;
        } else if (g.cls == kWithMask) {
          t.no_mask_fp_with_mask += 1;
        } else {
          t.no_mask_ignored += 1;
        }
      }
    } else if (no_mask) {
      t.no_mask_fp_unmatched += 1;
    }
  }
  for (size_t g = 0; g < gt.size(); ++g)
    if (gt[g].cls == kWithoutMask && !alerted[g]) t.no_mask_fn += 1;
  return t;
}

json voc_metrics(const VocTally& t, const std::vector<std::string>& labels) {
  const std::vector<std::string> classes = class_order(t.gt, true);
  json out;
  out["images"] = t.images;
  json faces = json::object();
  for (const auto& c : classes) faces[c] = get(t.gt, c);
  faces[kAll] = sum(t.gt);
  out["faces"] = faces;
  out["predictions"] = t.predictions;

  auto detection = [&](const std::map<std::string, std::int64_t>& found, std::int64_t matched) {
    json recall = json::object(), n = json::object();
    for (const auto& c : classes) {
      recall[c] = ratio(get(found, c), get(t.gt, c));
      n[c] = get(found, c);
    }
    recall[kAll] = ratio(sum(found), sum(t.gt));
    n[kAll] = sum(found);
    return json{{"recall", recall},
                {"found", n},
                {"precision", ratio(matched, t.predictions)},
                {"matched_predictions", matched}};
  };
  out["detection"] = {{"iou_0.5", detection(t.found50, t.matched_pred50)},
                      {"iou_0.3", detection(t.found30, t.matched_pred30)}};

  std::int64_t correct = 0, total = 0;
  for (const auto& [cls, label] : kExpectedLabel) {
    const auto it = t.confusion.find(cls);
    if (it == t.confusion.end()) continue;
    correct += get(it->second, label);
    total += sum(it->second);
  }
  const std::vector<std::string> cols = label_order(t.confusion, labels);
  json incorrect = json::object();
  const auto inc = t.confusion.find(kIncorrect);
  for (const auto& l : cols)
    incorrect[l] =
        inc == t.confusion.end() ? json(nullptr) : ratio(get(inc->second, l), sum(inc->second));
  out["classification"] = {{"iou", 0.3},
                           {"labels", cols},
                           {"confusion", confusion_json(t.confusion, classes, cols)},
                           {"accuracy", ratio(correct, total)},
                           {"correct", correct},
                           {"total", total},
                           {"with_incorrect_mask_labelled", incorrect}};

  const std::int64_t fp = t.no_mask_fp_with_mask + t.no_mask_fp_unmatched;
  const json precision = ratio(t.no_mask_tp, t.no_mask_tp + fp);
  const json recall = ratio(t.no_mask_tp, t.no_mask_tp + t.no_mask_fn);
  // F1 from counts (2TP / (2TP + FP + FN)), defined whenever anything was counted.
  const json f1 = ratio(2 * t.no_mask_tp, 2 * t.no_mask_tp + fp + t.no_mask_fn);
  out["no_mask_found"] = {{"iou", 0.3},
                          {"tp", t.no_mask_tp},
                          {"fp", fp},
                          {"fp_on_with_mask", t.no_mask_fp_with_mask},
                          {"fp_unmatched", t.no_mask_fp_unmatched},
                          {"fn", t.no_mask_fn},
                          {"ignored", t.no_mask_ignored},
                          {"precision", precision},
                          {"recall", recall},
                          {"f1", f1}};
  return out;
}

json crop_metrics(const CropTally& t, const std::vector<std::string>& labels) {
  std::map<std::string, std::int64_t> per_class;
  for (const auto& [cls, row] : t.confusion) per_class[cls] = sum(row);
  const std::vector<std::string> rows = class_order(per_class, false);
  const std::vector<std::string> cols = label_order(t.confusion, labels);
  json out;
  out["images"] = sum(per_class);
  json counts = json::object();
  for (const auto& c : rows) counts[c] = get(per_class, c);
  out["faces"] = counts;

  std::int64_t correct = 0, total = 0;
  json classes = json::object();
  for (const auto& [cls, label] : kExpectedLabel) {
    const auto it = t.confusion.find(cls);
    const std::int64_t tp = it == t.confusion.end() ? 0 : get(it->second, label);
    const std::int64_t support = get(per_class, cls);
    // Precision over the two scored classes only: a with_incorrect_mask crop has no right
    // answer, so it counts against neither label.
    std::int64_t predicted = 0;
    for (const auto& [c2, l2] : kExpectedLabel) {
      const auto r = t.confusion.find(c2);
      if (r != t.confusion.end()) predicted += get(r->second, label);
    }
    classes[cls] = {{"label", label},
                    {"support", support},
                    {"predicted", predicted},
                    {"correct", tp},
                    {"precision", ratio(tp, predicted)},
                    {"recall", ratio(tp, support)}};
    correct += tp;
    total += support;
  }
  out["accuracy"] = ratio(correct, total);
  out["correct"] = correct;
  out["total"] = total;
  out["per_class"] = classes;
  out["labels"] = cols;
  out["confusion"] = confusion_json(t.confusion, rows, cols);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The run.

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

json time_stats(std::vector<double> v) {
  if (v.empty()) return {{"median", nullptr}, {"mean", nullptr}};
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
  return {{"median", median}, {"mean", mean}};
}

struct Sample {
  fs::path image;
  std::string key;  // split key
  std::string cls;  // crop sets: the folder's class
  std::vector<GtFace> gt;
};

struct Plan {
  fs::path path;
  std::string kind;  // "voc" or "crops"
  std::vector<Sample> samples;
  std::int64_t missing_images = 0, bad_annotations = 0, keys_from_stem = 0;
};

// Results per sample, kept by index so the totals are the same for any thread count.
struct SampleResult {
  bool ok = false;
  std::string error;
  VocTally tally;
  std::string label;  // crop sets
  double decode_ms = 0, infer_ms = 0;
};

struct Worker {
  std::unique_ptr<Detector> detector;
  std::unique_ptr<Classifier> classifier;
};

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

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool wanted(const std::string& split, const std::string& key) {
  return split == "all" || split_of(key) == split;
}

Plan plan_voc(const fs::path& dir, const EvalOptions& o, std::ostream& log) {
  Plan plan{dir, "voc", {}, 0, 0, 0};
  const fs::path images = dir / "images";
  if (!fs::is_directory(images))
    throw SetupError("VOC folder " + dir.string() + " has annotations/ but no images/");
  std::unordered_map<std::string, std::vector<fs::path>> by_stem;
  for (const auto& p : sorted_files(images)) by_stem[p.stem().string()].push_back(p);
  for (const auto& xml : sorted_files(dir / "annotations")) {
    std::string ext = xml.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext != ".xml") continue;
    // Same key as training/prepare_data.py: the annotation's stem (= the image's stem in the
    // shipped sets, whose files are named by content hash).
    const std::string stem = xml.stem().string();
    if (!wanted(o.split, stem)) continue;
    Sample s;
    s.key = stem;
    try {
      VocAnnotation a = parse_voc(read_file(xml));
      s.gt = std::move(a.faces);
      if (!a.filename.empty()) {
        const fs::path named = images / fs::path(a.filename).filename();
        std::error_code ec;
        if (fs::is_regular_file(named, ec)) s.image = named;
      }
    } catch (const std::exception& e) {
      ++plan.bad_annotations;
      log << "maskdetect eval: " << xml.string() << ": " << e.what() << "; skipped\n";
      continue;
    }
    if (s.image.empty()) {
      const auto it = by_stem.find(stem);
      if (it != by_stem.end()) s.image = it->second.front();
    }
    if (s.image.empty()) {
      ++plan.missing_images;
      log << "maskdetect eval: " << xml.string() << ": no image for it in " << images.string()
          << "; skipped\n";
      continue;
    }
    plan.samples.push_back(std::move(s));
    if (o.limit > 0 && plan.samples.size() >= o.limit) break;
  }
  return plan;
}

Plan plan_crops(const fs::path& dir, const EvalOptions& o, std::ostream& log) {
  Plan plan{dir, "crops", {}, 0, 0, 0};
  // The split key of a crop is its original's hash, recorded in the set's manifest; the file
  // itself was re-encoded, so hashing it would give a different split than training used.
  std::unordered_map<std::string, std::string> source_hash;
  const fs::path manifest = dir / "manifest.json";
  if (fs::is_regular_file(manifest)) {
    try {
      const json m = json::parse(read_file(manifest));
      for (const auto& item : m.at("images"))
        if (item.contains("file") && item.contains("source_sha256"))
          source_hash[item["file"].get<std::string>()] = item["source_sha256"].get<std::string>();
    } catch (const std::exception& e) {
      log << "maskdetect eval: " << manifest.string() << ": " << e.what()
          << "; split keys fall back to file stems\n";
    }
  }
  for (const char* folder : {kWithMask, kWithoutMask, kIncorrect, "mask_weared_incorrect"}) {
    if (!fs::is_directory(dir / folder)) continue;
    for (const auto& p : sorted_files(dir / folder)) {
      Sample s;
      s.image = p;
      s.cls = canonical_gt_class(folder);
      const auto it = source_hash.find(std::string(folder) + "/" + p.filename().string());
      if (it != source_hash.end()) {
        s.key = it->second;
      } else {
        s.key = p.stem().string();
        ++plan.keys_from_stem;
      }
      if (wanted(o.split, s.key)) plan.samples.push_back(std::move(s));
    }
  }
  if (plan.keys_from_stem > 0)
    log << "maskdetect eval: " << dir.string() << ": " << plan.keys_from_stem
        << " crops not in manifest.json; their split key is the file stem, which training may "
           "not share\n";
  // Folders are listed class by class; ordering by key mixes the classes (the keys are
  // hashes), so a --limit run still sees every class.
  std::sort(plan.samples.begin(), plan.samples.end(), [](const Sample& a, const Sample& b) {
    return std::tie(a.key, a.image) < std::tie(b.key, b.image);
  });
  if (o.limit > 0 && plan.samples.size() > o.limit) plan.samples.resize(o.limit);
  return plan;
}

Plan plan_dataset(const fs::path& dir, const EvalOptions& o, std::ostream& log) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw SetupError("dataset " + dir.string() + " is not a folder");
  if (fs::is_directory(dir / "annotations", ec)) return plan_voc(dir, o, log);
  for (const char* folder : {kWithMask, kWithoutMask, kIncorrect})
    if (fs::is_directory(dir / folder, ec)) return plan_crops(dir, o, log);
  throw SetupError("dataset " + dir.string() +
                   " is neither a VOC folder (images/ + annotations/) nor a crop set "
                   "(with_mask/, without_mask/)");
}

cv::Mat load_bgr(const fs::path& p) { return decode_image(p, sniff_media(p), DecodeOptions{}).bgr; }

// Runs `f(worker, index)` for every index on all workers. Each call handles its own errors;
// anything escaping is re-thrown here once the threads have stopped.
template <class F>
void parallel_for(std::vector<Worker>& workers, size_t n, F f) {
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (auto& w : workers)
    threads.emplace_back([&, wp = &w] {
      try {
        for (size_t i = next++; i < n; i = next++) f(*wp, i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        next = n;
      }
    });
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

class Progress {
 public:
  Progress(std::ostream& log, std::string what, size_t total)
      : log_(log), what_(std::move(what)), total_(total) {}
  void tick(size_t n = 1) {
    const size_t before = done_.fetch_add(n), done = before + n;
    // A line every 250 items; the summary says when it is finished.
    if (before / 250 == done / 250 || done == total_) return;
    std::lock_guard<std::mutex> lock(mu_);
    log_ << "maskdetect eval: " << what_ << ": " << done << "/" << total_ << '\n' << std::flush;
  }

 private:
  std::ostream& log_;
  std::string what_;
  size_t total_;
  std::atomic<size_t> done_{0};
  std::mutex mu_;
};

// Failed samples are named on the log and left out; the others are counted by `count` and timed.
struct Collected {
  std::int64_t failed = 0;
  std::vector<double> infer, with_decode;
};

template <class Count>
Collected collect(const Plan& plan, const std::vector<SampleResult>& results, std::ostream& log,
                  Count count) {
  Collected c;
  for (size_t i = 0; i < results.size(); ++i) {
    const SampleResult& r = results[i];
    if (!r.ok) {
      ++c.failed;
      log << "maskdetect eval: " << plan.samples[i].image.string() << ": " << r.error
          << "; not counted\n";
      continue;
    }
    count(i, r);
    c.infer.push_back(r.infer_ms);
    c.with_decode.push_back(r.decode_ms + r.infer_ms);
  }
  return c;
}

json eval_voc(const Plan& plan, std::vector<Worker>& workers, float threshold, float face_threshold,
              const std::vector<std::string>& labels,
              const std::map<std::string, std::vector<Face>>* reported, std::ostream& log) {
  std::vector<SampleResult> results(plan.samples.size());
  Progress progress(log, plan.path.string(), plan.samples.size());
  parallel_for(workers, plan.samples.size(), [&](Worker& w, size_t i) {
    const Sample& s = plan.samples[i];
    SampleResult& r = results[i];
    try {
      std::vector<Face> faces;
      if (reported) {
        const auto found = reported->find(s.image.filename().string());
        if (found == reported->end()) throw std::runtime_error("not in the report");
        const ModelCard& card = w.classifier->card();
        for (const Face& f : found->second)
          if (!card.rejects(f.label)) faces.push_back(f);
      } else {
        auto t0 = Clock::now();
        const cv::Mat bgr = load_bgr(s.image);
        r.decode_ms = ms_since(t0);
        t0 = Clock::now();
        faces = to_faces(w.detector->detect(bgr));
        w.classifier->classify(bgr, faces, threshold, face_threshold);
        r.infer_ms = ms_since(t0);
      }
      r.tally = score_image(s.gt, faces);
      r.ok = true;
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    progress.tick();
  });
  VocTally total;
  const Collected c =
      collect(plan, results, log, [&](size_t, const SampleResult& r) { total += r.tally; });
  const auto& [failed, infer, with_decode] = c;
  json m = voc_metrics(total, labels);
  m["failed"] = failed;
  m["missing_images"] = plan.missing_images;
  m["bad_annotations"] = plan.bad_annotations;
  m["time_ms"] = {{"detect_classify", time_stats(infer)}, {"with_decode", time_stats(with_decode)}};
  return m;
}

// The crop is the face, so it is not re-framed with the card margin as detector boxes are.
// It goes through the same resizes as training/train.py eval_view (squashed to the card's
// crop-set side, then to the input), so crop-set numbers can be checked against the card's.
cv::Mat crop_view(const cv::Mat& bgr, const ModelCard& card) {
  const cv::Size input(card.input_width, card.input_height);
  cv::Mat stored = bgr, out;
  if (const int side = card.crop_set_side; side > 0) {
    const bool shrinking = bgr.cols > side || bgr.rows > side;
    cv::resize(bgr, stored, {side, side}, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  const bool shrinking = stored.cols > input.width || stored.rows > input.height;
  cv::resize(stored, out, input, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

json eval_crops(const Plan& plan, std::vector<Worker>& workers, float threshold,
                float face_threshold, const std::vector<std::string>& labels, std::ostream& log) {
  // Batches are fixed by index, not by thread, so results cannot depend on the thread count.
  constexpr size_t kBatch = 32;
  const size_t n = plan.samples.size(), batches = (n + kBatch - 1) / kBatch;
  std::vector<SampleResult> results(n);
  Progress progress(log, plan.path.string(), n);
  parallel_for(workers, batches, [&](Worker& w, size_t b) {
    std::vector<cv::Mat> crops;
    std::vector<size_t> index;
    for (size_t i = b * kBatch; i < std::min(n, (b + 1) * kBatch); ++i) {
      try {
        const auto t0 = Clock::now();
        const cv::Mat bgr = load_bgr(plan.samples[i].image);
        results[i].decode_ms = ms_since(t0);
        crops.push_back(crop_view(bgr, w.classifier->card()));
        index.push_back(i);
      } catch (const std::exception& e) {
        results[i].error = e.what();
      }
    }
    const auto t0 = Clock::now();
    const auto probs = w.classifier->probabilities(crops);
    const double per_crop = crops.empty() ? 0 : ms_since(t0) / static_cast<double>(crops.size());
    for (size_t k = 0; k < index.size(); ++k) {
      Face f;
      assign_label(f, w.classifier->card(), probs[k], threshold, face_threshold);
      SampleResult& r = results[index[k]];
      r.label = f.label;
      r.infer_ms = per_crop;
      r.ok = true;
    }
    progress.tick(std::min(n, (b + 1) * kBatch) - b * kBatch);
  });
  CropTally tally;
  const Collected c = collect(plan, results, log, [&](size_t i, const SampleResult& r) {
    tally.confusion[plan.samples[i].cls][r.label] += 1;
  });
  const auto& [failed, infer, with_decode] = c;
  json m = crop_metrics(tally, labels);
  m["failed"] = failed;
  m["keys_from_stem"] = plan.keys_from_stem;
  m["time_ms"] = {{"classify", time_stats(infer)}, {"with_decode", time_stats(with_decode)}};
  return m;
}

// --- The printed table. ---

// The keys of a per-class object in reading order: known classes, others, then "all" (JSON
// objects here are sorted alphabetically, which puts "all" first).
std::vector<std::string> class_keys(const json& obj) {
  std::vector<std::string> keys;
  for (const auto& c : kKnownClasses)
    if (obj.contains(c)) keys.push_back(c);
  for (const auto& [k, v] : obj.items())
    if (std::find(keys.begin(), keys.end(), k) == keys.end() && k != kAll) keys.push_back(k);
  if (obj.contains(kAll)) keys.push_back(kAll);
  return keys;
}

// nlohmann's operator<< takes the stream width as its indent, so values go through strings.
std::string str(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string fmt(const json& v, int precision = 3) {
  if (v.is_null()) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(precision) << v.get<double>();
  return s.str();
}

void print_confusion(std::ostream& out, const json& confusion, const json& labels) {
  out << "  " << std::left << std::setw(22) << "true \\ predicted";
  for (const auto& l : labels) out << std::right << std::setw(9) << l.get<std::string>();
  out << '\n';
  for (const auto& cls : class_keys(confusion)) {
    out << "  " << std::left << std::setw(22) << cls;
    for (const auto& l : labels)
      out << std::right << std::setw(9) << str(confusion[cls][l.get<std::string>()]);
    out << '\n';
  }
}

void print_voc(std::ostream& out, const json& d) {
  const std::vector<std::string> classes = class_keys(d["faces"]);
  out << "  " << std::left << std::setw(22) << "faces" << std::right;
  for (const auto& cls : classes) out << std::setw(21) << cls;
  out << '\n' << "  " << std::left << std::setw(22) << "ground truth" << std::right;
  for (const auto& cls : classes) out << std::setw(21) << str(d["faces"][cls]);
  out << '\n';
  for (const char* k : {"iou_0.5", "iou_0.3"}) {
    const json& det = d["detection"][k];
    out << "  recall @" << std::left << std::setw(13) << (k + 4) << std::right;
    for (const auto& cls : classes) out << std::setw(21) << fmt(det["recall"][cls]);
    out << '\n';
  }
  out << "  face precision: " << fmt(d["detection"]["iou_0.5"]["precision"]) << " @0.5, "
      << fmt(d["detection"]["iou_0.3"]["precision"]) << " @0.3 (" << d["predictions"]
      << " predicted faces)\n";
  const json& c = d["classification"];
  out << "  labels of faces found (IoU 0.3): accuracy " << fmt(c["accuracy"]) << " on "
      << c["total"] << " with_mask/without_mask faces\n";
  print_confusion(out, c["confusion"], c["labels"]);
  const json& nm = d["no_mask_found"];
  out << "  \"no_mask face found\": precision " << fmt(nm["precision"]) << "  recall "
      << fmt(nm["recall"]) << "  F1 " << fmt(nm["f1"]) << "  (TP " << nm["tp"] << ", FP "
      << nm["fp"] << " = " << nm["fp_on_with_mask"] << " on with_mask + " << nm["fp_unmatched"]
      << " not a face, FN " << nm["fn"] << ", ignored " << nm["ignored"] << ")\n";
  const json& t = d["time_ms"];
  out << "  ms per image: detect+classify median " << fmt(t["detect_classify"]["median"], 1)
      << " mean " << fmt(t["detect_classify"]["mean"], 1) << "; with decode median "
      << fmt(t["with_decode"]["median"], 1) << " mean " << fmt(t["with_decode"]["mean"], 1) << '\n';
}

void print_crops(std::ostream& out, const json& d) {
  out << "  accuracy " << fmt(d["accuracy"]) << " on " << d["total"]
      << " with_mask/without_mask crops\n";
  for (const auto& [cls, pc] : d["per_class"].items())
    out << "  " << std::left << std::setw(14) << cls << std::right << "precision "
        << fmt(pc["precision"]) << "  recall " << fmt(pc["recall"]) << "  (" << pc["support"]
        << " crops)\n";
  print_confusion(out, d["confusion"], d["labels"]);
  const json& t = d["time_ms"];
  out << "  ms per crop: classify mean " << fmt(t["classify"]["mean"], 2) << "; with decode median "
      << fmt(t["with_decode"]["median"], 2) << " mean " << fmt(t["with_decode"]["mean"], 2) << '\n';
}

void print_dataset(std::ostream& out, const json& d) {
  out << d["path"].get<std::string>() << "  (" << d["kind"].get<std::string>() << ", split "
      << d["split"].get<std::string>() << ", " << d["images"]
      << (d["kind"] == "voc" ? " images" : " crops");
  if (d["failed"].get<std::int64_t>() > 0) out << ", " << d["failed"] << " unreadable";
  out << ")\n";
  if (d["kind"] == "voc")
    print_voc(out, d);
  else
    print_crops(out, d);
  out << '\n';
}

json detector_json(const DetectorOptions& d) {
  json j = {{"engine", d.engine}, {"min_face", d.min_face}, {"detect_size", d.detect_size}};
  if (d.engine == "yunet") {
    j["model"] = (d.model.empty() ? find_yunet_model() : d.model).string();
    j["score_threshold"] = d.score_threshold;
  } else {
    j["cascade"] = (d.cascade.empty() ? find_cascade() : d.cascade).string();
    j["scale_factor"] = d.scale_factor;
    j["min_neighbors"] = d.min_neighbors;
    j["cascade_stages"] = d.cascade_stages;
  }
  return j;
}

// The evaluation runs one image per thread; OpenCV's own pool on top would oversubscribe.
class OpenCvThreads {
 public:
  OpenCvThreads() : saved_(cv::getNumThreads()) { cv::setNumThreads(1); }
  ~OpenCvThreads() { cv::setNumThreads(saved_); }
  OpenCvThreads(const OpenCvThreads&) = delete;
  OpenCvThreads& operator=(const OpenCvThreads&) = delete;

 private:
  int saved_;
};

// A box field of a report: a number within +-1e9 (the range parse_voc accepts), truncated as
// VOC coordinates are. get<int> on 1e30 would be undefined behaviour, not an error.
int report_box_field(const json& box, const char* key) {
  const json& v = box.at(key);
  const double d = v.is_number() ? v.get<double>() : std::nan("");
  if (!(std::abs(d) <= 1e9))
    throw SetupError(std::string("box.") + key + " is not a pixel coordinate: " + v.dump());
  return static_cast<int>(std::trunc(d));
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
        x.confidence = face.value("confidence", 0.F);
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
    text = read_file(report);
  } catch (const std::exception& e) {
    throw SetupError("cannot read report " + report.string() + ": " + e.what());
  }
  try {
    return parse_report_faces(text);
  } catch (const SetupError& e) {
    throw SetupError("report " + report.string() + ": " + e.what());
  }
}

json run_eval(const EvalOptions& o, std::ostream& out, std::ostream& log) {
  if (o.split != "all" && o.split != "train" && o.split != "val" && o.split != "test")
    throw SetupError("unknown split \"" + o.split + "\"; use all, train, val or test");
  if (o.datasets.empty()) throw SetupError("no dataset given to evaluate");
  if (!o.json_out.empty()) {
    // Fail before a long run, not after it; append mode leaves an existing file intact.
    std::ofstream probe(o.json_out, std::ios::app);
    if (!probe)
      throw SetupError("cannot write " + o.json_out.string() + "; check the folder exists");
  }
  const ModelCard card = load_model_card(o.model.empty() ? find_default_model({}) : o.model);
  const float face_threshold = o.face_threshold.value_or(card.face_threshold(o.detector.engine));
  const int threads = o.threads > 0
                          ? o.threads
                          : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  std::vector<Plan> plans;
  for (const auto& d : o.datasets) plans.push_back(plan_dataset(d, o, log));
  std::map<std::string, std::vector<Face>> reported;
  if (!o.from_report.empty()) {
    for (const Plan& p : plans)
      if (p.kind != "voc")
        throw SetupError("--from-report scores annotated photo sets only; " + p.path.string() +
                         " is a crop set");
    reported = faces_from_report(o.from_report);
  }

  OpenCvThreads opencv_threads;
  std::vector<Worker> workers(static_cast<size_t>(threads));
  const bool any_voc =
      std::any_of(plans.begin(), plans.end(), [](const Plan& p) { return p.kind == "voc"; });
  for (auto& w : workers) {
    if (any_voc && o.from_report.empty()) w.detector = make_detector(o.detector);
    w.classifier = std::make_unique<Classifier>(card);
  }

  json result;
  result["schema"] = "maskdetect.eval/1";
  result["tool_version"] = config::kVersion;
  result["datasets"] = json::array();
  for (const Plan& plan : plans) {
    log << "maskdetect eval: " << plan.path.string() << ": " << plan.samples.size() << " "
        << (plan.kind == "voc" ? "images" : "crops") << " (split " << o.split << ")\n"
        << std::flush;
    json d = {{"path", plan.path.string()}, {"kind", plan.kind}, {"split", o.split}};
    const json m = plan.kind == "voc"
                       ? eval_voc(plan, workers, o.threshold, face_threshold, card.labels,
                                  o.from_report.empty() ? nullptr : &reported, log)
                       : eval_crops(plan, workers, o.threshold, face_threshold, card.labels, log);
    d.update(m);
    print_dataset(out, d);
    result["datasets"].push_back(std::move(d));
  }
  if (o.from_report.empty())
    result["detector"] = detector_json(o.detector);
  else
    result["from_report"] = o.from_report.string();
  result["model"] = {{"path", card.onnx_path.string()},
                     {"card", card.card_path.string()},
                     {"name", card.name},
                     {"sha256", card.sha256},
                     {"labels", card.labels},
                     {"threshold", o.threshold},
                     {"face_threshold", face_threshold}};
  // The card's own statement of its split, beside the rule applied here, so a mismatch shows.
  try {
    const json c = json::parse(read_file(card.card_path));
    if (c.contains("training") && c["training"].contains("split"))
      result["model"]["training_split"] = c["training"]["split"];
  } catch (const std::exception&) {
  }
  result["split_rule"] =
      "int(sha1(key) as hex) % 10: 0 test, 1 val, else train; key: VOC annotation file stem, "
      "crop sets: manifest source_sha256";
  result["threads"] = threads;
  result["limit"] = o.limit;
  out << std::flush;

  if (!o.json_out.empty()) {
    std::ofstream f(o.json_out, std::ios::trunc);
    f << result.dump(2) << '\n';
    f.close();
    if (!f) throw SetupError("could not write " + o.json_out.string());
  }
  return result;
}

}  // namespace maskdetect
