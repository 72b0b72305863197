// Mask / no-mask classification of face crops with the project's MobileNetV2 through OpenCV DNN.
#pragma once

#include <opencv2/core/mat.hpp>
#include <opencv2/dnn.hpp>
#include <vector>

#include "maskdetect/detector.hpp"
#include "maskdetect/model_card.hpp"
#include "maskdetect/types.hpp"

namespace maskdetect {

class Classifier {
 public:
  // Loads the ONNX file named by the card. Throws SetupError when OpenCV cannot read it.
  explicit Classifier(ModelCard card);

  const ModelCard& card() const { return card_; }

  // Probabilities per label for each crop (already framed and sized by crop_face), in one
  // forward pass.
  std::vector<std::vector<float>> probabilities(const std::vector<cv::Mat>& crops);

  // Crops every face of `bgr`, classifies them in one batch and fills label, confidence and
  // scores (see assign_label). Removed, and counted in the result: boxes the network rejects as
  // not faces; boxes whose detector score is below `masked_only_below` unless labelled the
  // card's masked or incorrect label (a detector's weak boxes, believed only where a mask
  // explains the weakness); then boxes that overlap a box more likely to be a face (see
  // suppress_overlaps).
  size_t classify(const cv::Mat& bgr, std::vector<Face>& faces, float threshold,
                  float face_threshold, float masked_only_below = 0.F);

  // The crop the network sees for `box`.
  cv::Mat crop(const cv::Mat& bgr, const cv::Rect& box) const;

 private:
  ModelCard card_;
  cv::dnn::Net net_;
};

// Detector boxes as faces still to be labelled by Classifier::classify.
std::vector<Face> to_faces(const std::vector<Detection>& detections);

// The probability that a classified box is a face: 1 - the scores of the card's reject labels.
float face_probability(const Face& face, const ModelCard& card);

// Permissive detectors put several boxes on one face (a cheek, the face, the head). Keeps, of
// any two boxes with IoU > 0.3 or one covering more than half of the other, the one more likely
// to be a face, P(face) compared in whole hundredths; between equals, the one with more detector
// support (Haar's merged hits), then the larger. Order is otherwise kept.
void suppress_overlaps(std::vector<Face>& faces, const ModelCard& card);

// Chooses the label for one box from its probabilities. P(face) is the sum over the face labels
// (all but the card's reject_labels); below face_threshold the box gets the most likely reject
// label, with confidence 1 - P(face). Otherwise probabilities are taken among the face labels
// only: the card's incorrect label when the card gives incorrect_threshold and its probability
// reaches it, else the masked label when its probability >= threshold, else the most likely other
// face label (not the incorrect one when it has a threshold); confidence is the chosen label's
// probability among the face labels.
void assign_label(Face& face, const ModelCard& card, const std::vector<float>& probs,
                  float threshold, float face_threshold);

}  // namespace maskdetect
