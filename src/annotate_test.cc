#include "maskdetect/annotate.hpp"

#include <catch2/catch.hpp>
#include <opencv2/core.hpp>

#include "test_support.hpp"

using namespace maskdetect;

namespace {

Face face(cv::Rect box, const std::string& label, float confidence = 0.97F) {
  return testing::make_face(box, label, confidence);
}

cv::Vec3b at(const cv::Mat& m, int x, int y) { return m.at<cv::Vec3b>(y, x); }

const cv::Vec3b kGrey(90, 90, 90);

// A card with the default roles: "mask" is masked, "no_mask" unmasked.
void annotate(cv::Mat& bgr, const std::vector<Face>& faces) {
  maskdetect::annotate(bgr, faces, ModelCard{});
}

}  // namespace

TEST_CASE("a mask face gets a green box and other pixels stay as they were", "[annotate]") {
  cv::Mat img(400, 400, CV_8UC3, cv::Scalar(90, 90, 90));
  const cv::Rect box(100, 150, 120, 120);
  annotate(img, {face(box, "mask")});

  CHECK(at(img, box.x, box.y + box.height / 2) == cv::Vec3b(0, 200, 0));  // left edge
  CHECK(at(img, box.x + box.width - 1, box.y + box.height / 2) == cv::Vec3b(0, 200, 0));
  CHECK(at(img, box.x + box.width / 2, box.y + box.height - 1) == cv::Vec3b(0, 200, 0));
  CHECK(at(img, box.x + box.width / 2, box.y + box.height / 2) == kGrey);  // face untouched

  // The label sits just above the box, filled with the box colour.
  CHECK(at(img, box.x + 1, box.y - 3) == cv::Vec3b(0, 200, 0));

  // Every changed pixel belongs to the box or to the label strip above it.
  const cv::Rect allowed(box.x - 3, box.y - 60, 250, box.height + 63);
  int changed_outside = 0;
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x)
      if (at(img, x, y) != kGrey && !allowed.contains({x, y})) ++changed_outside;
  CHECK(changed_outside == 0);
}

TEST_CASE("no_mask faces are red and other labels amber", "[annotate]") {
  cv::Mat img(400, 600, CV_8UC3, cv::Scalar(90, 90, 90));
  annotate(img, {face({50, 100, 100, 100}, "no_mask"), face({350, 100, 100, 100}, "hat")});
  CHECK(at(img, 50, 150) == cv::Vec3b(0, 0, 230));
  const cv::Vec3b amber = at(img, 350, 150);
  CHECK(amber != kGrey);
  CHECK(amber != cv::Vec3b(0, 0, 230));
  CHECK(amber != cv::Vec3b(0, 200, 0));
}

TEST_CASE("masks worn wrong are orange, apart from the other labels", "[annotate]") {
  cv::Mat img(400, 400, CV_8UC3, cv::Scalar(90, 90, 90));
  ModelCard card;
  card.incorrect_label = "mask_incorrect";
  maskdetect::annotate(img, {face({50, 100, 100, 100}, "mask_incorrect")}, card);
  CHECK(at(img, 50, 150) == cv::Vec3b(0, 110, 255));
  // Without the role in the card the same label is just another label: amber.
  cv::Mat plain(400, 400, CV_8UC3, cv::Scalar(90, 90, 90));
  annotate(plain, {face({50, 100, 100, 100}, "mask_incorrect")});
  CHECK(at(plain, 50, 150) == cv::Vec3b(0, 190, 255));
}

TEST_CASE("a box touching the top keeps its label inside the image", "[annotate]") {
  cv::Mat img(300, 300, CV_8UC3, cv::Scalar(90, 90, 90));
  annotate(img, {face({20, 0, 150, 150}, "no_mask")});
  // The label background fills the top-left corner of the box instead of vanishing above it.
  CHECK(at(img, 21, 1) == cv::Vec3b(0, 0, 230));
  CHECK(at(img, 20, 100) == cv::Vec3b(0, 0, 230));
}

TEST_CASE("line width grows with the image", "[annotate]") {
  cv::Mat big(2000, 2000, CV_8UC3, cv::Scalar(90, 90, 90));
  annotate(big, {face({500, 500, 400, 400}, "mask")});
  // Several pixels thick at this size, so it stays visible when the photo is scaled down.
  CHECK(at(big, 502, 700) == cv::Vec3b(0, 200, 0));
  CHECK(at(big, 498, 700) == cv::Vec3b(0, 200, 0));
}

TEST_CASE("boxes partly or wholly outside the image, or empty input, never crash", "[annotate]") {
  cv::Mat img(200, 200, CV_8UC3, cv::Scalar(90, 90, 90));
  annotate(img, {});
  CHECK(cv::countNonZero(img.reshape(1) != 90) == 0);

  annotate(img, {face({-50, -50, 100, 100}, "mask"), face({150, 150, 200, 200}, "no_mask"),
                 face({500, 500, 10, 10}, "mask"), face({-100, 20, 20, 20}, "mask"),
                 face({10, 10, 0, 0}, "mask"), face({100, 100, -5, 7}, "mask"),
                 face({0, 0, 200, 200}, "")});
  // The visible part of the first box is closed on its right edge at x = 49.
  CHECK(at(img, 49, 40) == cv::Vec3b(0, 200, 0));
  CHECK(at(img, 150, 190) == cv::Vec3b(0, 0, 230));

  // Boxes wholly outside, empty or negative draw nothing: the corners far from the two visible
  // boxes keep their grey.
  CHECK(at(img, 120, 20) == kGrey);
  CHECK(at(img, 20, 120) == kGrey);

  // An image smaller than the label still gets its box, and keeps its size and type.
  cv::Mat tiny(8, 8, CV_8UC3, cv::Scalar::all(0));
  annotate(tiny, {face({1, 1, 6, 6}, "no_mask", 0.5F)});
  REQUIRE(tiny.size() == cv::Size(8, 8));
  REQUIRE(tiny.type() == CV_8UC3);
  CHECK(at(tiny, 1, 4) == cv::Vec3b(0, 0, 230));

  // An empty image is left alone: no throw, nothing allocated behind the caller's back.
  cv::Mat empty;
  CHECK_NOTHROW(annotate(empty, {face({1, 1, 6, 6}, "mask")}));
  CHECK(empty.empty());
}
