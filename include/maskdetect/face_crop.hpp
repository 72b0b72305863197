// Cuts the classifier's view of a face out of a photo, framed exactly as in training.
#pragma once

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

namespace maskdetect {

// The square region centred on `box` with side max(w, h) * (1 + 2 * margin).
cv::Rect crop_region(const cv::Rect& box, double margin);

// That region resized to `size`; parts outside the image replicate its border (as training
// does), so faces at the edge keep their proportions.
cv::Mat crop_face(const cv::Mat& bgr, const cv::Rect& box, double margin, cv::Size size);

}  // namespace maskdetect
