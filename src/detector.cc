#include "maskdetect/detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <opencv2/core/persistence.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <sstream>

#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/model_card.hpp"
#include "scaled_detector.hpp"

namespace fs = std::filesystem;

namespace maskdetect {
namespace {

constexpr const char* kYunetFile = "yunet_n_640_640.onnx";
// Haar on small photos: enlarged at most this much (4x the pixels), searched with a pyramid step
// of at least this.
constexpr double kMaxUpscale = 2.0;
constexpr double kUpscaledStep = 1.25;

cv::Rect scale_rect(const cv::Rect& b, double s) {
  return cv::Rect(static_cast<int>(std::lround(b.x * s)), static_cast<int>(std::lround(b.y * s)),
                  static_cast<int>(std::lround(b.width * s)),
                  static_cast<int>(std::lround(b.height * s)));
}

class HaarDetector final : public ScaledDetector {
 public:
  explicit HaarDetector(const DetectorOptions& o) : ScaledDetector(o) {
    const fs::path path = o.cascade.empty() ? find_cascade() : o.cascade;
    if (path.empty())
      throw SetupError(
          "Haar cascade haarcascade_frontalface_default.xml not found; install opencv-data "
          "(scripts/setup.sh) or pass --cascade PATH");
    if (!fs::exists(path))
      throw SetupError("Haar cascade " + path.string() +
                       " not found; install opencv-data or pass --cascade PATH");
    bool ok = false;
    try {
      if (o.cascade_stages > 0) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        const cv::FileStorage fs(truncate_cascade(text.str(), o.cascade_stages),
                                 cv::FileStorage::READ | cv::FileStorage::MEMORY);
        ok = fs.isOpened() && cascade_.read(fs.getFirstTopLevelNode());
      } else {
        ok = cascade_.load(path.string());
      }
    } catch (const cv::Exception&) {
      ok = false;
    } catch (const SetupError&) {  // not a cascade in the stage format truncate_cascade cuts
      ok = false;
    }
    if (!ok || cascade_.empty())
      throw SetupError("Haar cascade " + path.string() +
                       " cannot be loaded (corrupt or not a cascade XML); reinstall opencv-data "
                       "or pass --cascade PATH");
  }

 protected:
  std::vector<Detection> detect_scaled(const cv::Mat& bgr, int min_face) override {
    cv::cvtColor(bgr, gray_, cv::COLOR_BGR2GRAY);
    const int window = cascade_.getOriginalWindowSize().width;
    std::vector<cv::Rect> boxes;
    std::vector<int> hits;
    if (options_.haar_upscale > 0 && std::max(bgr.cols, bgr.rows) < options_.haar_upscale &&
        min_face < window) {
      // The cascade cannot see a face smaller than its window; on a copy enlarged so that
      // min_face fills the window, it can. A coarser pyramid there keeps the cost down: on
      // scenes-ilc2021 val at 1/3 scale, step 1.2 took 16.7 s of CPU where 1.1 took 30.9 s, for
      // a no_mask F1 of 0.686 against 0.698; step 1.25 then brought the default to 2.2x the plain
      // cascade's time at 1/3 (from 3.1x) for the same F1, and to 1.9x at 1/2 (from 2.7x) for
      // 0.013 less (README, "Small faces").
      const double u = std::min(kMaxUpscale, static_cast<double>(window) / min_face);
      cv::resize(gray_, big_, cv::Size(), u, u, cv::INTER_LINEAR);
      const int side = static_cast<int>(std::lround(min_face * u));
      cascade_.detectMultiScale(big_, boxes, hits, std::max(options_.scale_factor, kUpscaledStep),
                                options_.min_neighbors, 0, cv::Size(side, side));
      for (cv::Rect& b : boxes) b = scale_rect(b, 1 / u);
    } else {
      cascade_.detectMultiScale(gray_, boxes, hits, options_.scale_factor, options_.min_neighbors,
                                0, cv::Size(min_face, min_face));
    }
    std::vector<Detection> out;
    out.reserve(boxes.size());
    for (size_t i = 0; i < boxes.size(); ++i) out.push_back({boxes[i], std::nullopt, hits[i]});
    return out;
  }

 private:
  cv::CascadeClassifier cascade_;
  cv::Mat gray_, big_;
};

bool exists_quietly(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

}  // namespace

std::vector<Detection> ScaledDetector::detect_reduced(const cv::Mat& bgr, int reduction) {
  const cv::Size full(bgr.cols * reduction, bgr.rows * reduction);
  // Detector pixels per pixel of `bgr`: never more than 1 here; a detector that gains from an
  // enlarged copy makes it itself.
  const double s = std::min(1.0, detection_scale(full, options_.detect_size) * reduction);
  const int min_face = std::max(1, static_cast<int>(options_.min_face * s / reduction));
  if (s == 1.0) return detect_scaled(bgr, min_face);
  cv::resize(bgr, small_, cv::Size(), s, s, cv::INTER_AREA);
  auto found = detect_scaled(small_, min_face);
  const cv::Rect whole(0, 0, bgr.cols, bgr.rows);
  for (auto& d : found) d.box = scale_rect(d.box, 1 / s) & whole;
  return found;
}

// YuNet: 8 px had the best mean no_mask F1 over scenes-ilc2021 val at 1x, 1/2 and 1/3 scale
// (0.891, 0.876, 0.862; 24 px: 0.901 at 1x but 0.610 at 1/3). Haar: 12 px is the cascade's 24 px
// window on a copy enlarged 2x, the most --haar-upscale enlarges.
int default_min_face(const std::string& engine) { return engine == "yunet" ? 8 : 12; }

int default_detect_size(const std::string& engine) { return engine == "yunet" ? 800 : 896; }

DetectorOptions with_defaults(DetectorOptions o) {
  if (o.min_face <= 0) o.min_face = default_min_face(o.engine);
  if (o.detect_size < 0) o.detect_size = default_detect_size(o.engine);
  return o;
}

Letterbox letterbox(cv::Size size, int side, int stride) {
  Letterbox lb;
  const int longest = std::max(size.width, size.height);
  if (longest <= 0) return lb;
  lb.scale = std::max(1.0, static_cast<double>(side) / longest);
  lb.scaled = lb.scale == 1.0
                  ? size
                  : cv::Size(std::max(1, static_cast<int>(std::lround(size.width * lb.scale))),
                             std::max(1, static_cast<int>(std::lround(size.height * lb.scale))));
  const auto up = [stride](int v) { return stride > 1 ? (v + stride - 1) / stride * stride : v; };
  lb.input = cv::Size(up(lb.scaled.width), up(lb.scaled.height));
  return lb;
}

cv::Rect unletterbox(const cv::Rect2d& box, const Letterbox& lb, cv::Size size) {
  const auto px = [&](double v) { return static_cast<int>(std::lround(v / lb.scale)); };
  const int x0 = px(box.x), y0 = px(box.y), x1 = px(box.x + box.width), y1 = px(box.y + box.height);
  return cv::Rect(x0, y0, x1 - x0, y1 - y0) & cv::Rect(0, 0, size.width, size.height);
}

std::string truncate_cascade(const std::string& xml, int stages) {
  const std::string open = "<stages>", close = "</stages>", item = "<_>", end_item = "</_>";
  const size_t begin = xml.find(open);
  const size_t finish = begin == std::string::npos ? begin : xml.find(close, begin);
  const size_t count_at = xml.find("<stageNum>");
  if (finish == std::string::npos || count_at == std::string::npos)
    throw SetupError("the cascade has no <stages> list, so it cannot be cut to " +
                     std::to_string(stages) + " stages; use --cascade-stages 0");
  // Stages are the top-level <_> items of <stages>; their weak classifiers nest more <_> items.
  size_t pos = begin + open.size(), cut = finish;
  int kept = 0, depth = 0;
  while (kept < stages) {
    const size_t a = xml.find(item, pos), b = xml.find(end_item, pos);
    if (b == std::string::npos || b > finish) break;
    if (a < b) {
      ++depth;
      pos = a + item.size();
    } else {
      --depth;
      pos = b + end_item.size();
      if (depth == 0 && ++kept == stages) cut = pos;
    }
  }
  if (cut == finish) return xml;  // it has no more than `stages` stages
  std::string out = xml.substr(0, cut) + "\n  " + xml.substr(finish);
  const size_t num_end = out.find("</stageNum>", count_at);
  out.replace(count_at, num_end - count_at, "<stageNum>" + std::to_string(stages));
  return out;
}

double detection_scale(cv::Size size, int detect_size) {
  const int longest = std::max(size.width, size.height);
  if (detect_size <= 0 || longest <= detect_size) return 1.0;
  return static_cast<double>(detect_size) / longest;
}

fs::path find_cascade() {
  if (const char* env = std::getenv("MASKDETECT_CASCADE"); env && *env) return env;
  const char* file = "haarcascade_frontalface_default.xml";
  for (const char* dir :
       {"/usr/share/opencv4/haarcascades", "/usr/local/share/opencv4/haarcascades",
        "/usr/share/opencv/haarcascades"}) {
    if (exists_quietly(fs::path(dir) / file)) return fs::path(dir) / file;
  }
  return {};
}

fs::path find_yunet_model() {
  return find_model_file(kYunetFile, "MASKDETECT_YUNET_MODEL", "/proc/self/exe");
}

std::unique_ptr<Detector> make_detector(const DetectorOptions& options) {
  if (options.engine == "haar") return std::make_unique<HaarDetector>(options);
  if (options.engine == "yunet") return make_yunet_detector(options);
  throw SetupError("unknown detector '" + options.engine + "' (choose haar or yunet)");
}

}  // namespace maskdetect
