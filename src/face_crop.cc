#include "maskdetect/face_crop.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace maskdetect {

cv::Rect crop_region(const cv::Rect& box, double margin) {
  const double side = std::max(box.width, box.height) * (1.0 + 2.0 * margin);
  const double cx = box.x + box.width / 2.0, cy = box.y + box.height / 2.0;
  const int s = std::max(1, static_cast<int>(std::lround(side)));
  return {static_cast<int>(std::lround(cx - s / 2.0)), static_cast<int>(std::lround(cy - s / 2.0)),
          s, s};
}

cv::Mat crop_face(const cv::Mat& bgr, const cv::Rect& box, double margin, cv::Size size) {
  const cv::Rect want = crop_region(box, margin);
  const cv::Rect have = want & cv::Rect(0, 0, bgr.cols, bgr.rows);
  cv::Mat region;
  if (have.area() == 0) {
    // Wholly outside: nothing sensible to show the network, so give it the nearest border.
    region = cv::Mat(want.size(), bgr.type(), cv::Scalar::all(0));
  } else if (have == want) {
    region = bgr(want);
  } else {
    cv::copyMakeBorder(bgr(have), region, have.y - want.y, want.br().y - have.br().y,
                       have.x - want.x, want.br().x - have.br().x, cv::BORDER_REPLICATE);
  }
  cv::Mat out;
  const bool shrinking = region.cols > size.width || region.rows > size.height;
  cv::resize(region, out, size, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

}  // namespace maskdetect
