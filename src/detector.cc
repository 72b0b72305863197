#include "maskdetect/detector.hpp"

#include <cstdlib>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "maskdetect/errors.hpp"

namespace fs = std::filesystem;

namespace maskdetect {
namespace {

class HaarDetector : public Detector {
 public:
  explicit HaarDetector(const DetectorOptions& o) : options_(o) {
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
      ok = cascade_.load(path.string());
    } catch (const cv::Exception&) {
      ok = false;
    }
    if (!ok || cascade_.empty())
      throw SetupError("Haar cascade " + path.string() +
                       " cannot be loaded (corrupt or not a cascade XML); reinstall opencv-data "
                       "or pass --cascade PATH");
  }

  std::vector<Detection> detect(const cv::Mat& bgr) override {
    cv::cvtColor(bgr, gray_, cv::COLOR_BGR2GRAY);
    std::vector<cv::Rect> boxes;
    cascade_.detectMultiScale(gray_, boxes, options_.scale_factor, options_.min_neighbors, 0,
                              cv::Size(options_.min_face, options_.min_face));
    std::vector<Detection> out;
    out.reserve(boxes.size());
    for (const auto& b : boxes) out.push_back({b, std::nullopt});
    return out;
  }

 private:
  DetectorOptions options_;
  cv::CascadeClassifier cascade_;
  cv::Mat gray_;
};

}  // namespace

fs::path find_cascade() {
  if (const char* env = std::getenv("MASKDETECT_CASCADE"); env && *env) return env;
  const char* file = "haarcascade_frontalface_default.xml";
  for (const char* dir : {"/usr/share/opencv4/haarcascades", "/usr/local/share/opencv4/haarcascades",
                          "/usr/share/opencv/haarcascades"}) {
    fs::path p = fs::path(dir) / file;
    std::error_code ec;
    if (fs::exists(p, ec)) return p;
  }
  return {};
}

std::unique_ptr<Detector> make_detector(const DetectorOptions& options) {
  if (options.engine == "haar") return std::make_unique<HaarDetector>(options);
  throw SetupError("unknown detector '" + options.engine + "' (choose: haar)");
}

}  // namespace maskdetect
