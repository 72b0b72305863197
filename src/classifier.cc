#include "maskdetect/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
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
  for (const auto& d : detections)
    faces.push_back(Face{d.box, d.score, {}, 0.F, {}, -1, d.support});
  return faces;
}

void assign_label(Face& face, const ModelCard& card, const std::vector<float>& probs,
                  float threshold, float face_threshold) {
  const auto& labels = card.labels;
  const size_t n = std::min(labels.size(), probs.size());
  face.scores.clear();
  for (size_t k = 0; k < n; ++k) face.scores[labels[k]] = probs[k];
  if (n == 0) return;
  double face_sum = 0;
  size_t top_reject = n;
  for (size_t k = 0; k < n; ++k) {
    if (!card.rejects(labels[k]))
      face_sum += probs[k];
    else if (top_reject == n || probs[k] > probs[top_reject])
      top_reject = k;
  }
  if (top_reject != n && face_sum < face_threshold) {
    face.label = labels[top_reject];
    face.confidence = static_cast<float>(1.0 - face_sum);
    return;
  }
  const auto among_faces = [&](size_t k) {
    return static_cast<float>(face_sum > 0 ? probs[k] / face_sum : 0.0);
  };
  // With an operating point for it, a mask worn wrong is decided first, and only when the
  // network is that sure: it is the rarest label, easily confused with a worn mask.
  const bool gated = !card.incorrect_label.empty() && card.incorrect_threshold >= 0;
  const auto incorrect = [&](size_t k) { return gated && labels[k] == card.incorrect_label; };
  size_t best = n;
  double plain_sum = face_sum;
  for (size_t k = 0; k < n; ++k) {
    if (!incorrect(k)) continue;
    plain_sum -= probs[k];
    if (among_faces(k) >= card.incorrect_threshold) best = k;
  }
  // Below that point the face is decided between the other face labels alone. Leaving the
  // incorrect label's share in the sum would turn a face the network thinks wears a mask one way
  // or another into no_mask (on scenes-ilc2021 val, 7 % of worn masks; 1 % decided this way).
  const auto among_plain = [&](size_t k) {
    return static_cast<float>(plain_sum > 0 ? probs[k] / plain_sum : 0.0);
  };
  for (size_t k = 0; k < n && best == n; ++k)
    if (labels[k] == card.masked_label && among_plain(k) >= threshold) best = k;
  if (best == n) {
    for (size_t k = 0; k < n; ++k)
      if (labels[k] != card.masked_label && !card.rejects(labels[k]) && !incorrect(k) &&
          (best == n || probs[k] > probs[best]))
        best = k;
  }
  face.label = labels[best];
  face.confidence = incorrect(best) ? among_faces(best) : among_plain(best);
}

float face_probability(const Face& face, const ModelCard& card) {
  double reject = 0;
  for (const auto& r : card.reject_labels)
    if (const auto it = face.scores.find(r); it != face.scores.end()) reject += it->second;
  return static_cast<float>(1.0 - reject);
}

void suppress_overlaps(std::vector<Face>& faces, const ModelCard& card) {
  std::vector<size_t> order(faces.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Past 0.99 the network cannot tell two boxes on one face apart any more (a box on the lower
  // half of a face and the collar can read 0.996 where the whole face reads 0.992); the cascade
  // can: the face itself collects most of its raw hits (69 against a handful in
  // fixtures/faces/two_people.jpg). So P(face) counts in hundredths, then the detector's support.
  std::vector<int> p(faces.size());
  for (size_t i = 0; i < faces.size(); ++i)
    p[i] = static_cast<int>(std::floor(face_probability(faces[i], card) * 100.F));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (p[a] != p[b]) return p[a] > p[b];
    if (faces[a].detector_support != faces[b].detector_support)
      return faces[a].detector_support > faces[b].detector_support;
    return faces[a].box.area() > faces[b].box.area();
  });
  std::vector<bool> keep(faces.size(), true);
  for (size_t i = 0; i < order.size(); ++i) {
    if (!keep[order[i]]) continue;
    const cv::Rect& a = faces[order[i]].box;
    for (size_t j = i + 1; j < order.size(); ++j) {
      const cv::Rect& b = faces[order[j]].box;
      const double inter = (a & b).area();
      if (inter <= 0) continue;
      const double smaller = std::min(a.area(), b.area());
      if (inter / (a.area() + b.area() - inter) > 0.3 || inter > 0.5 * smaller)
        keep[order[j]] = false;
    }
  }
  size_t k = 0;
  for (size_t i = 0; i < faces.size(); ++i) {
    if (!keep[i]) continue;
    if (k != i) faces[k] = std::move(faces[i]);
    ++k;
  }
  faces.resize(k);
}

size_t Classifier::classify(const cv::Mat& bgr, std::vector<Face>& faces, float threshold,
                            float face_threshold, float masked_only_below) {
  // OpenCV DNN keeps about 1.5 MB of activations per crop in a batch, and a permissive detector
  // can propose 30 boxes in one photo; per-crop time is the same from batches of 1 to 32
  // (bench/classifier_speed.py), so batches are capped to keep memory flat.
  constexpr size_t kMaxBatch = 8;
  std::vector<cv::Mat> crops;
  for (size_t first = 0; first < faces.size(); first += kMaxBatch) {
    const size_t last = std::min(faces.size(), first + kMaxBatch);
    crops.clear();
    for (size_t i = first; i < last; ++i) crops.push_back(crop(bgr, faces[i].box));
    const auto probs = probabilities(crops);
    for (size_t i = first; i < last; ++i)
      assign_label(faces[i], card_, probs[i - first], threshold, face_threshold);
  }
  const size_t before = faces.size();
  // Before the overlap rule: a weak box that is then dropped must not have displaced another.
  const auto unconfirmed = [&](const Face& f) {
    return f.detector_score && *f.detector_score < masked_only_below &&
           f.label != card_.masked_label && f.label != card_.incorrect_label;
  };
  faces.erase(std::remove_if(faces.begin(), faces.end(), unconfirmed), faces.end());
  suppress_overlaps(faces, card_);
  const auto rejected = std::remove_if(faces.begin(), faces.end(),
                                       [&](const Face& f) { return card_.rejects(f.label); });
  faces.erase(rejected, faces.end());
  return before - faces.size();
}

}  // namespace maskdetect
