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

namespace fs = std::filesystem;

namespace maskdetect {
namespace {

constexpr const char* kYunetFile = "face_detection_yunet_2022mar.onnx";

// Runs the engine on a copy no larger than detect_size and maps boxes back to the original, so
// cost follows the faces' needs rather than the camera's resolution.
class ScaledDetector : public Detector {
 public:
  explicit ScaledDetector(const DetectorOptions& o) : options_(o) {}

  std::vector<Detection> detect_reduced(const cv::Mat& bgr, int reduction) override {
    const cv::Size full(bgr.cols * reduction, bgr.rows * reduction);
    // Detector pixels per pixel of `bgr`: never more than 1, the detector gains nothing from
    // an enlarged copy.
    const double s = std::min(1.0, detection_scale(full, options_.detect_size) * reduction);
    const int min_face = std::max(1, static_cast<int>(options_.min_face * s / reduction));
    if (s == 1.0) return detect_scaled(bgr, min_face);
    cv::resize(bgr, small_, cv::Size(), s, s, cv::INTER_AREA);
    auto found = detect_scaled(small_, min_face);
    const cv::Rect whole(0, 0, bgr.cols, bgr.rows);
    for (auto& d : found) {
      const cv::Rect& b = d.box;
      d.box =
          cv::Rect(static_cast<int>(std::lround(b.x / s)), static_cast<int>(std::lround(b.y / s)),
                   static_cast<int>(std::lround(b.width / s)),
                   static_cast<int>(std::lround(b.height / s))) &
          whole;
    }
    return found;
  }

 protected:
  virtual std::vector<Detection> detect_scaled(const cv::Mat& bgr, int min_face) = 0;
  DetectorOptions options_;

 private:
  cv::Mat small_;
};

class HaarDetector : public ScaledDetector {
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
    std::vector<cv::Rect> boxes;
    cascade_.detectMultiScale(gray_, boxes, options_.scale_factor, options_.min_neighbors, 0,
                              cv::Size(min_face, min_face));
    std::vector<Detection> out;
    out.reserve(boxes.size());
    for (const auto& b : boxes) out.push_back({b, std::nullopt});
    return out;
  }

 private:
  cv::CascadeClassifier cascade_;
  cv::Mat gray_;
};

class YunetDetector : public ScaledDetector {
 public:
  explicit YunetDetector(const DetectorOptions& o) : ScaledDetector(o) {
    const fs::path path = o.model.empty() ? find_yunet_model() : o.model;
    const std::string fix =
        "download face_detection_yunet_2022mar.onnx from the OpenCV model zoo and pass "
        "--detector-model PATH (or set MASKDETECT_YUNET_MODEL)";
    if (path.empty())
      throw SetupError(std::string("YuNet model ") + kYunetFile + " not found; " + fix);
    if (!fs::exists(path)) throw SetupError("YuNet model " + path.string() + " not found; " + fix);
    try {
      yunet_ = cv::FaceDetectorYN::create(path.string(), "", cv::Size(320, 320), o.score_threshold,
                                          0.3F, 5000);
    } catch (const cv::Exception&) {
      yunet_.reset();
    }
    if (!yunet_)
      throw SetupError("YuNet model " + path.string() +
                       " cannot be loaded by OpenCV DNN (corrupt or not YuNet); " + fix);
  }

 protected:
  std::vector<Detection> detect_scaled(const cv::Mat& bgr, int min_face) override {
    yunet_->setInputSize(bgr.size());
    cv::Mat found;
    yunet_->detect(bgr, found);
    std::vector<Detection> out;
    for (int i = 0; i < found.rows; ++i) {
      const float* r = found.ptr<float>(i);
      const cv::Rect box(static_cast<int>(std::lround(r[0])), static_cast<int>(std::lround(r[1])),
                         static_cast<int>(std::lround(r[2])), static_cast<int>(std::lround(r[3])));
      if (std::max(box.width, box.height) < min_face) continue;
      out.push_back({box & cv::Rect(0, 0, bgr.cols, bgr.rows), r[14]});
    }
    return out;
  }

 private:
  cv::Ptr<cv::FaceDetectorYN> yunet_;
};

bool exists_quietly(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

}  // namespace

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
  if (const char* env = std::getenv("MASKDETECT_YUNET_MODEL"); env && *env) return env;
  std::vector<fs::path> dirs;
  if (const char* home = std::getenv("HOME"); home && *home)
    dirs.push_back(fs::path(home) / ".local/share/maskdetect/models");
  std::error_code ec;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) dirs.push_back(exe.parent_path().parent_path() / config::kInstallModelDir);
  for (const auto& d : dirs)
    if (exists_quietly(d / kYunetFile)) return d / kYunetFile;
  return {};
}

std::unique_ptr<Detector> make_detector(const DetectorOptions& options) {
  if (options.engine == "haar") return std::make_unique<HaarDetector>(options);
  if (options.engine == "yunet") return std::make_unique<YunetDetector>(options);
  throw SetupError("unknown detector '" + options.engine + "' (choose haar or yunet)");
}

}  // namespace maskdetect
