#include "maskdetect/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>

#include "maskdetect/errors.hpp"
#include "maskdetect/face_crop.hpp"

namespace maskdetect {

Classifier::Classifier(ModelCard card) : card_(std::move(card)) {
  try {
    net_ = cv::dnn::readNetFromONNX(card_.onnx_path.string());
  } catch (const cv::Exception&) {
    net_ = cv::dnn::Net();
  }
  if (net_.empty())
    throw SetupError("model " + card_.onnx_path.string() +
                     " cannot be loaded by OpenCV DNN (corrupt or not ONNX); reinstall it "
                     "(cmake --install) or pass --model PATH");
  net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
}

cv::Mat Classifier::crop(const cv::Mat& bgr, const cv::Rect& box) const {
  return crop_face(bgr, box, card_.crop_margin, {card_.input_width, card_.input_height});
}

std::vector<std::vector<float>> Classifier::probabilities(const std::vector<cv::Mat>& crops) {
  if (crops.empty()) return {};
  cv::Mat blob = cv::dnn::blobFromImages(crops, card_.scale, cv::Size(), cv::Scalar(), card_.rgb,
                                         false, CV_32F);
  // blobFromImages has a single scale; the per-channel std needs its own pass.
  const int n = blob.size[0], plane = blob.size[2] * blob.size[3];
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) {
      float* p = blob.ptr<float>(i, c);
      const float m = static_cast<float>(card_.mean[c]);
      const float inv = static_cast<float>(1.0 / card_.std[c]);
      for (int k = 0; k < plane; ++k) p[k] = (p[k] - m) * inv;
    }
  net_.setInput(blob);
  cv::Mat out = net_.forward().reshape(1, n);
  std::vector<std::vector<float>> probs(n);
  for (int i = 0; i < n; ++i) {
    const float* row = out.ptr<float>(i);
    std::vector<float>& p = probs[i];
    p.assign(row, row + out.cols);
    if (card_.outputs_logits) {
      // Softmax in double so results do not depend on batch composition beyond the network.
      const double mx = *std::max_element(p.begin(), p.end());
      double sum = 0;
      std::vector<double> e(p.size());
      for (size_t k = 0; k < p.size(); ++k) sum += e[k] = std::exp(double(p[k]) - mx);
      for (size_t k = 0; k < p.size(); ++k) p[k] = static_cast<float>(e[k] / sum);
    }
  }
  return probs;
}

std::vector<Face> to_faces(const std::vector<Detection>& detections) {
  std::vector<Face> faces;
  faces.reserve(detections.size());
  for (const auto& d : detections) faces.push_back(Face{d.box, d.score, {}, 0.F, {}});
  return faces;
}

void assign_label(Face& face, const std::vector<std::string>& labels,
                  const std::vector<float>& probs, float threshold) {
  face.scores.clear();
  for (size_t k = 0; k < labels.size() && k < probs.size(); ++k) face.scores[labels[k]] = probs[k];
  const auto mask = std::find(labels.begin(), labels.end(), "mask");
  const size_t mask_index = static_cast<size_t>(mask - labels.begin());
  size_t best = labels.size();
  if (mask_index < probs.size() && probs[mask_index] >= threshold) {
    best = mask_index;
  } else {
    for (size_t k = 0; k < labels.size() && k < probs.size(); ++k)
      if (k != mask_index && (best == labels.size() || probs[k] > probs[best])) best = k;
  }
  face.label = labels[best];
  face.confidence = probs[best];
}

void Classifier::classify(const cv::Mat& bgr, std::vector<Face>& faces, float threshold) {
  std::vector<cv::Mat> crops;
  crops.reserve(faces.size());
  for (const Face& f : faces) crops.push_back(crop(bgr, f.box));
  const auto probs = probabilities(crops);
  for (size_t i = 0; i < faces.size(); ++i)
    assign_label(faces[i], card_.labels, probs[i], threshold);
}

}  // namespace maskdetect
