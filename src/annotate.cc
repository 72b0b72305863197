#include "maskdetect/annotate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <string>

namespace maskdetect {
namespace {

const cv::Scalar kGreen(0, 200, 0);
const cv::Scalar kRed(0, 0, 230);
const cv::Scalar kAmber(0, 190, 255);
const cv::Scalar kOrange(0, 110, 255);

cv::Scalar colour_for(const std::string& label, const ModelCard& card) {
  if (label == card.masked_label) return kGreen;
  if (label == card.unmasked_label) return kRed;
  if (!card.incorrect_label.empty() && label == card.incorrect_label) return kOrange;
  return kAmber;
}

// Amber and orange are light: dark text stays readable on them; green and red take white.
cv::Scalar text_colour_for(const cv::Scalar& background) {
  return background == kAmber || background == kOrange ? cv::Scalar(0, 0, 0)
                                                       : cv::Scalar(255, 255, 255);
}

std::string caption(const Face& f) {
  char conf[16];
  std::snprintf(conf, sizeof conf, "%.2f", std::isfinite(f.confidence) ? f.confidence : 0.F);
  return (f.label.empty() ? std::string("?") : f.label) + " " + conf;
}

}  // namespace

void annotate(cv::Mat& bgr, const std::vector<Face>& faces, const ModelCard& card) {
  if (bgr.empty() || faces.empty()) return;
  const cv::Rect image(0, 0, bgr.cols, bgr.rows);
  const int side = std::min(bgr.cols, bgr.rows);
  // About 2 px at 720p and 5 px at 4K; 1 px is the floor so small images still get a box.
  const int thickness = std::max(1, static_cast<int>(std::lround(side / 400.0)));
  const double font_scale = std::max(0.35, side / 900.0);
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const int text_thickness = std::max(1, thickness / 2);
  const int pad = std::max(2, thickness);

  for (const Face& f : faces) {
    // Boxes can reach past the edge (a face cut by the frame); draw the visible part so the box
    // is closed and its label lands inside the picture. Nothing visible, nothing drawn.
    const cv::Rect box = f.box & image;
    if (box.empty()) continue;
    const cv::Scalar colour = colour_for(f.label, card);
    cv::rectangle(bgr, box, colour, thickness, cv::LINE_8);

    const std::string text = caption(f);
    int baseline = 0;
    const cv::Size ts = cv::getTextSize(text, font, font_scale, text_thickness, &baseline);
    const int label_w = ts.width + 2 * pad;
    const int label_h = ts.height + baseline + 2 * pad;
    int x = std::clamp(box.x, 0, std::max(0, bgr.cols - label_w));
    // Above the box when there is room, otherwise inside its top edge.
    int y = box.y - label_h >= 0 ? box.y - label_h : box.y;
    y = std::clamp(y, 0, std::max(0, bgr.rows - label_h));
    const cv::Rect label = cv::Rect(x, y, label_w, label_h) & image;
    cv::rectangle(bgr, label, colour, cv::FILLED, cv::LINE_8);
    cv::putText(bgr, text, cv::Point(x + pad, y + pad + ts.height), font, font_scale,
                text_colour_for(colour), text_thickness, cv::LINE_AA);
  }
}

}  // namespace maskdetect
