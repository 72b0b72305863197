#include "maskdetect/classifier.hpp"

#include <catch2/catch.hpp>
#include <numeric>
#include <opencv2/imgcodecs.hpp>

#include "maskdetect/config.hpp"
#include "maskdetect/detector.hpp"
#include "maskdetect/errors.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::fixture;

namespace {

fs::path shipped_model() {
  return maskdetect::testing::source_dir() / "models" / maskdetect::config::kDefaultModelFile;
}

// The label of the largest face the default detector finds in a fixture photo.
std::string label_of_main_face(maskdetect::Classifier& c, const std::string& photo) {
  const cv::Mat img = cv::imread(fixture(photo).string());
  maskdetect::DetectorOptions full_cascade;
  full_cascade.cascade_stages = 0;
  full_cascade.min_neighbors = 5;
  auto faces = maskdetect::make_detector(full_cascade)->detect(img);
  REQUIRE_FALSE(faces.empty());
  std::vector<maskdetect::Face> f;
  auto biggest = std::max_element(faces.begin(), faces.end(),
                                  [](auto& a, auto& b) { return a.box.area() < b.box.area(); });
  f.push_back(maskdetect::testing::make_face(biggest->box, "", 0.F));
  f.back().scores.clear();
  c.classify(img, f, 0.5F, 0.F);
  return f[0].label;
}

}  // namespace

TEST_CASE("assign_label applies the mask threshold", "[classifier]") {
  maskdetect::ModelCard card;
  card.labels = {"mask", "no_mask"};
  maskdetect::Face f;
  maskdetect::assign_label(f, card, {0.7F, 0.3F}, 0.5F, 0.5F);
  CHECK(f.label == "mask");
  CHECK(f.confidence == Approx(0.7));
  CHECK(f.scores.at("no_mask") == Approx(0.3));
  maskdetect::assign_label(f, card, {0.7F, 0.3F}, 0.9F, 0.5F);
  CHECK(f.label == "no_mask");
  CHECK(f.confidence == Approx(0.3));
}

TEST_CASE("assign_label: a box is a face when P(face) reaches the face threshold", "[classifier]") {
  maskdetect::ModelCard card;
  card.labels = {"no_mask", "mask", "not_face"};
  card.reject_labels = {"not_face"};
  maskdetect::Face f;
  maskdetect::assign_label(f, card, {0.1F, 0.3F, 0.6F}, 0.5F, 0.5F);
  CHECK(f.label == "not_face");
  CHECK(f.confidence == Approx(0.6));
  // The same box passes a more lenient face threshold (P(face) = 0.4).
  maskdetect::assign_label(f, card, {0.1F, 0.3F, 0.6F}, 0.5F, 0.4F);
  CHECK(f.label == "mask");
  CHECK(f.confidence == Approx(0.75));
  // Mask versus no_mask is decided among the face labels (0.4 / 0.7).
  maskdetect::assign_label(f, card, {0.3F, 0.4F, 0.3F}, 0.55F, 0.5F);
  CHECK(f.label == "mask");
  CHECK(f.confidence == Approx(0.4 / 0.7));
  CHECK(f.scores.at("not_face") == Approx(0.3));
  maskdetect::assign_label(f, card, {0.3F, 0.4F, 0.3F}, 0.6F, 0.5F);
  CHECK(f.label == "no_mask");
  CHECK(f.confidence == Approx(0.3 / 0.7));
  // A stricter face threshold drops it.
  maskdetect::assign_label(f, card, {0.3F, 0.4F, 0.3F}, 0.6F, 0.8F);
  CHECK(f.label == "not_face");
}

TEST_CASE("assign_label calls a mask worn wrong only past the card's incorrect threshold",
          "[classifier]") {
  maskdetect::ModelCard card;
  card.labels = {"mask", "no_mask", "not_face", "mask_incorrect"};
  card.reject_labels = {"not_face"};
  card.incorrect_label = "mask_incorrect";
  maskdetect::Face f;
  // Without a threshold the label competes like any other: the most likely after mask.
  maskdetect::assign_label(f, card, {0.3F, 0.2F, 0.0F, 0.5F}, 0.5F, 0.5F);
  CHECK(f.label == "mask_incorrect");
  card.incorrect_threshold = 0.6F;
  // Below it, the face is decided between mask and no_mask alone: the incorrect label's share
  // does not push a likely mask under the mask threshold.
  maskdetect::assign_label(f, card, {0.3F, 0.2F, 0.0F, 0.5F}, 0.5F, 0.5F);
  CHECK(f.label == "mask");
  CHECK(f.confidence == Approx(0.6));
  maskdetect::assign_label(f, card, {0.2F, 0.3F, 0.0F, 0.5F}, 0.5F, 0.5F);
  CHECK(f.label == "no_mask");
  CHECK(f.confidence == Approx(0.6));
  maskdetect::assign_label(f, card, {0.45F, 0.05F, 0.0F, 0.5F}, 0.4F, 0.5F);
  CHECK(f.label == "mask");
  // At or above it, it wins even over a mask above the mask threshold.
  card.incorrect_threshold = 0.4F;
  maskdetect::assign_label(f, card, {0.5F, 0.05F, 0.0F, 0.45F}, 0.5F, 0.5F);
  CHECK(f.label == "mask_incorrect");
  CHECK(f.confidence == Approx(0.45));
}

TEST_CASE("classify drops the boxes the network calls not a face", "[classifier][model]") {
  maskdetect::Classifier c(maskdetect::load_model_card(shipped_model()));
  REQUIRE(c.card().reject_labels == std::vector<std::string>{"not_face"});
  cv::Mat img(400, 400, CV_8UC3, cv::Scalar(128, 128, 128));
  std::vector<maskdetect::Face> faces{{cv::Rect(100, 100, 120, 120), std::nullopt, {}, 0.F, {}}};
  CHECK(c.classify(img, faces, 0.5F, c.card().face_threshold("haar")) == 1);
  CHECK(faces.empty());
}

TEST_CASE("the shipped model matches its card and loads in OpenCV DNN", "[classifier][model]") {
  const auto card = maskdetect::load_model_card(shipped_model());  // checks sha256
  CHECK(card.face_labels() == std::vector<std::string>{"mask", "no_mask", "mask_incorrect"});
  CHECK(card.incorrect_label == "mask_incorrect");
  CHECK(card.incorrect_threshold > 0.5F);
  CHECK(fs::file_size(card.onnx_path) <= 10u * 1024 * 1024);
  maskdetect::Classifier c(card);
  // A batch of several crops gives one probability row per crop, each summing to 1.
  std::vector<cv::Mat> crops(
      3, cv::Mat(card.input_height, card.input_width, CV_8UC3, cv::Scalar(90, 120, 160)));
  const auto probs = c.probabilities(crops);
  REQUIRE(probs.size() == 3);
  for (const auto& p : probs) {
    REQUIRE(p.size() == card.labels.size());
    CHECK(std::accumulate(p.begin(), p.end(), 0.0) == Approx(1.0).epsilon(1e-5));
    CHECK(p[0] == Approx(probs[0][0]).margin(1e-5));
  }
}

TEST_CASE("the shipped model labels fixture faces as its card says", "[classifier][model]") {
  maskdetect::Classifier c(maskdetect::load_model_card(shipped_model()));
  for (const char* photo : {"faces/obama.jpg", "faces/biden.jpg", "faces/obama-1080p.jpg"}) {
    INFO(photo);
    CHECK(label_of_main_face(c, photo) == "no_mask");
  }
  CHECK(label_of_main_face(c, "masked/051d0d991d98.jpg") == "mask");
}

TEST_CASE("an ONNX file OpenCV cannot read is a setup error", "[classifier]") {
  maskdetect::ModelCard card;
  card.onnx_path = "/nonexistent/model.onnx";
  card.labels = {"mask", "no_mask"};
  CHECK_THROWS_AS(maskdetect::Classifier(card), maskdetect::SetupError);
}

TEST_CASE("classify keeps a weak detector box only when it is labelled masked",
          "[classifier][model]") {
  maskdetect::Classifier c(maskdetect::load_model_card(shipped_model()));
  maskdetect::DetectorOptions full_cascade;
  full_cascade.cascade_stages = 0;
  full_cascade.min_neighbors = 5;
  auto detector = maskdetect::make_detector(full_cascade);
  const auto weak_face = [&](const std::string& photo, float detector_score) {
    const cv::Mat img = cv::imread(fixture(photo).string());
    const auto found = detector->detect(img);
    REQUIRE(found.size() == 1);
    std::vector<maskdetect::Face> f{maskdetect::testing::make_face(found[0].box, "", 0.F)};
    f[0].detector_score = detector_score;
    const size_t dropped = c.classify(img, f, 0.5F, 0.F, 0.8F);
    return std::make_pair(dropped, f.empty() ? std::string() : f[0].label);
  };
  CHECK(weak_face("faces/obama.jpg", 0.6F) == std::make_pair(size_t{1}, std::string()));
  CHECK(weak_face("faces/obama.jpg", 0.8F) == std::make_pair(size_t{0}, std::string("no_mask")));
  CHECK(weak_face("masked/051d0d991d98.jpg", 0.6F) ==
        std::make_pair(size_t{0}, std::string("mask")));
}

TEST_CASE("suppress_overlaps: the likelier face wins, and past the hundredth the better supported",
          "[classifier]") {
  maskdetect::ModelCard card;
  card.labels = {"mask", "no_mask", "not_face"};
  card.reject_labels = {"not_face"};
  const auto face = [](cv::Rect box, float p_not_face, int support) {
    maskdetect::Face f{box, std::nullopt, "no_mask", 0.F, {{"not_face", p_not_face}}};
    f.detector_support = support;
    return f;
  };
  // A box on the lower half of a face reads a little likelier than the face itself.
  std::vector<maskdetect::Face> faces{face({211, 94, 185, 185}, 0.004F, 6),
                                      face({236, 29, 173, 173}, 0.008F, 69)};
  maskdetect::suppress_overlaps(faces, card);
  REQUIRE(faces.size() == 1);
  CHECK(faces[0].box == cv::Rect(236, 29, 173, 173));
  // A whole hundredth apart, P(face) decides whatever the support.
  faces = {face({211, 94, 185, 185}, 0.004F, 6), face({236, 29, 173, 173}, 0.02F, 69)};
  maskdetect::suppress_overlaps(faces, card);
  REQUIRE(faces.size() == 1);
  CHECK(faces[0].box == cv::Rect(211, 94, 185, 185));
}
