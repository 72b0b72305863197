// YuNet in its two ONNX layouts: the 2022mar file that OpenCV 4.6's cv::FaceDetectorYN runs, and
// the newer multi-stride one (YuNet-n, 2023mar) that 4.6 can load with cv::dnn but not decode.
#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <string>

#include "maskdetect/errors.hpp"
#include "maskdetect/model_card.hpp"
#include "scaled_detector.hpp"

namespace fs = std::filesystem;

namespace maskdetect {
namespace {

constexpr const char* kFix =
    "pass --detector-model PATH to a YuNet ONNX (the shipped models/yunet_n_640_640.onnx, or "
    "face_detection_yunet_2022mar.onnx / 2023mar.onnx from the OpenCV model zoo), or set "
    "MASKDETECT_YUNET_MODEL";
constexpr float kNmsIou = 0.3F;  // cv::FaceDetectorYN's default
constexpr std::array<int, 3> kStrides{8, 16, 32};
// The multi-stride outputs that tell the layout apart; decode() reads the first nine (the
// landmarks, kps_*, are not asked for, so OpenCV does not compute them for every image).
const std::vector<std::string> kStridedOutputs{"cls_8",   "cls_16", "cls_32", "obj_8",
                                               "obj_16",  "obj_32", "bbox_8", "bbox_16",
                                               "bbox_32", "kps_8",  "kps_16", "kps_32"};
const std::vector<std::string> kDecodedOutputs(kStridedOutputs.begin(),
                                               kStridedOutputs.begin() + 9);
const std::vector<std::string> kLegacyOutputs{"conf", "iou", "loc"};

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

class LegacyYunet final : public ScaledDetector {
 public:
  LegacyYunet(const DetectorOptions& o, const fs::path& path) : ScaledDetector(o) {
    try {
      yunet_ = cv::FaceDetectorYN::create(path.string(), "", cv::Size(320, 320), o.proposal_score(),
                                          kNmsIou, 5000);
    } catch (const cv::Exception&) {
      yunet_.reset();
    }
    if (!yunet_)
      throw SetupError("YuNet model " + path.string() + " cannot be loaded by OpenCV DNN; " + kFix);
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

// Candidate faces of one forward pass, in the pixels of the network's input.
struct Candidates {
  std::vector<cv::Rect2d> boxes;
  std::vector<float> scores;
};

// Each stride's grid cell predicts a face centred `bbox[0..1]` strides from the cell's corner,
// exp(bbox[2..3]) strides wide and high; its score is the geometric mean of the class and
// objectness probabilities (OpenCV 4.8's cv::FaceDetectorYN decodes the same way).
void decode(const std::vector<cv::Mat>& outs, cv::Size input, float threshold, Candidates& out) {
  for (std::size_t i = 0; i < kStrides.size(); ++i) {
    const int stride = kStrides[i], cols = input.width / stride, rows = input.height / stride;
    const cv::Mat &cls = outs[i], &obj = outs[3 + i], &bbox = outs[6 + i];
    const auto cells = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
    if (cls.total() != cells || obj.total() != cells || bbox.total() != 4 * cells)
      throw SetupError("YuNet output " + kStridedOutputs[i] + " has " +
                       std::to_string(cls.total()) + " cells where a " + std::to_string(cols) +
                       "x" + std::to_string(rows) + " grid was expected; " + kFix);
    const float *c = cls.ptr<float>(), *o = obj.ptr<float>(), *b = bbox.ptr<float>();
    for (std::size_t k = 0; k < cells; ++k) {
      const float score = std::sqrt(std::clamp(c[k], 0.0F, 1.0F) * std::clamp(o[k], 0.0F, 1.0F));
      if (score < threshold) continue;
      const double col = static_cast<double>(k % cols), row = static_cast<double>(k / cols);
      const float* d = b + 4 * k;
      const double w = std::exp(d[2]) * stride, h = std::exp(d[3]) * stride;
      const double cx = (col + d[0]) * stride, cy = (row + d[1]) * stride;
      out.boxes.emplace_back(cx - w / 2, cy - h / 2, w, h);
      out.scores.push_back(score);
    }
  }
}

class StridedYunet final : public ScaledDetector {
 public:
  StridedYunet(const DetectorOptions& o, cv::dnn::Net net)
      : ScaledDetector(o), net_(std::move(net)) {}

 protected:
  std::vector<Detection> detect_scaled(const cv::Mat& bgr, int min_face) override {
    // The network is fully convolutional: OpenCV runs it at any size that is a multiple of its
    // coarsest stride, so the whole image goes through at once, without tiles or seams.
    const Letterbox lb = letterbox(bgr.size(), options_.yunet_min_side, kStrides.back());
    if (lb.scale == 1.0) {
      scaled_ = bgr;
    } else {
      cv::resize(bgr, scaled_, lb.scaled, 0, 0, cv::INTER_LINEAR);
    }
    cv::copyMakeBorder(scaled_, input_, 0, lb.input.height - lb.scaled.height, 0,
                       lb.input.width - lb.scaled.width, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    net_.setInput(cv::dnn::blobFromImage(input_));
    net_.forward(outs_, kDecodedOutputs);
    Candidates found;
    decode(outs_, input_.size(), options_.proposal_score(), found);
    std::vector<int> keep;
    cv::dnn::NMSBoxes(found.boxes, found.scores, options_.proposal_score(), kNmsIou, keep);
    std::vector<Detection> out;
    for (int k : keep) {
      const cv::Rect2d& b = found.boxes[static_cast<std::size_t>(k)];
      if (std::max(b.width, b.height) < min_face * lb.scale) continue;
      const cv::Rect box = unletterbox(b, lb, bgr.size());
      if (!box.empty()) out.push_back({box, found.scores[static_cast<std::size_t>(k)]});
    }
    return out;
  }

 private:
  cv::dnn::Net net_;
  cv::Mat scaled_, input_;
  std::vector<cv::Mat> outs_;
};

bool has_all(const std::vector<std::string>& names, const std::vector<std::string>& wanted) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& w) {
    return std::find(names.begin(), names.end(), w) != names.end();
  });
}

// A card beside the ONNX (the shipped model has one) pins its bytes.
void check_card(const fs::path& model) {
  fs::path card = model;
  card.replace_extension(".json");
  std::error_code ec;
  if (!fs::exists(card, ec)) return;
  std::ifstream in(card);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_object() && j.contains("sha256") && j["sha256"].is_string())
    check_sha256(model, j["sha256"].get<std::string>(), kFix);
}

}  // namespace

std::unique_ptr<Detector> make_yunet_detector(const DetectorOptions& options) {
  const fs::path path = options.model.empty() ? find_yunet_model() : options.model;
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec))
    throw SetupError("YuNet model " + path.string() + " not found; " + kFix);
  check_card(path);
  cv::dnn::Net net;
  std::vector<std::string> names;
  try {
    net = cv::dnn::readNet(path.string());
    names = net.getUnconnectedOutLayersNames();
  } catch (const cv::Exception&) {
    throw SetupError("YuNet model " + path.string() +
                     " cannot be loaded by OpenCV DNN (corrupt, or not an ONNX network); " + kFix);
  }
  if (has_all(names, kStridedOutputs)) return std::make_unique<StridedYunet>(options, net);
  if (names.size() == kLegacyOutputs.size() && has_all(names, kLegacyOutputs))
    return std::make_unique<LegacyYunet>(options, path);
  throw SetupError("model " + path.string() + " is not a YuNet face detector: its outputs are (" +
                   join(names) + "), not YuNet-n / 2023mar's (cls_8 ... kps_32) or 2022mar's (" +
                   join(kLegacyOutputs) + "); " + kFix);
}

}  // namespace maskdetect
