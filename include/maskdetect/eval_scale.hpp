// Evaluating at a scale: each photo shrunk by a factor before analysis, a stand-in for crowds of
// small faces, with its ground truth shrunk alike; and the figures that summarise the scales.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>
#include <vector>

#include "maskdetect/types.hpp"  // scale_box
#include "maskdetect/voc.hpp"

namespace maskdetect {

// Each side times `scale`, rounded to the nearest pixel and at least 1.
cv::Size scaled_size(cv::Size full, double scale);

// Ground truth annotated on an image of size `from`, for that image resized to `to`: every
// box through scale_box with the factors the resize really applied (to / from per axis), so a
// box keeps covering the same pixels. Faces too small to keep a pixel stay, with empty boxes.
std::vector<GtFace> scale_faces(const std::vector<GtFace>& faces, cv::Size from, cv::Size to);

// `bgr` resized to `size` with cv::INTER_AREA (the same image when it already has that size).
cv::Mat scale_image(const cv::Mat& bgr, cv::Size size);

// The summary of one VOC set evaluated at several scales, from its eval.json entries (one per
// scale, each with "scale"): images counted and failed at each scale, no_mask F1 and per-class face
// recall (IoU 0.3) at each scale and their means, and the gate's keep rate over all true faces at
// each threshold with its mean and its minimum. A mean is null when any of its values is.
nlohmann::json summarise_scales(const std::vector<nlohmann::json>& entries);

}  // namespace maskdetect
