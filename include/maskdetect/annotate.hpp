// Draws what was found onto an image: a box per face, its label and confidence.
#pragma once

#include <opencv2/core/mat.hpp>
#include <vector>

#include "maskdetect/model_card.hpp"
#include "maskdetect/types.hpp"

namespace maskdetect {

// Green for the card's masked label, red for its unmasked label, amber for any other label. Line
// width and text size follow the image size so boxes stay visible on 4K photos and readable on 240p
// ones.
void annotate(cv::Mat& bgr, const std::vector<Face>& faces, const ModelCard& card);

}  // namespace maskdetect
