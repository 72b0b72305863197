#include "maskdetect/face_confirm.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

#include "maskdetect/errors.hpp"
#include "test_support.hpp"

using namespace maskdetect;

namespace {

// The face YuNet-n itself finds in `photo`, and a box of the same size on the photo's top left
// corner, which shows wall in every fixture used here.
struct Boxes {
  cv::Mat bgr;
  cv::Rect face, wall;
};

Boxes boxes(const char* photo) {
  Boxes b;
  b.bgr = cv::imread(testing::fixture(photo).string());
  REQUIRE_FALSE(b.bgr.empty());
  DetectorOptions o;
  o.engine = "yunet";
  o.detect_size = 0;
  const auto found = make_detector(o)->detect(b.bgr);
  REQUIRE(found.size() == 1);
  b.face = found[0].box;
  b.wall = cv::Rect(0, 0, b.face.width / 2, b.face.height / 2);
  return b;
}

}  // namespace

TEST_CASE("a face's surroundings confirm it and a patch of wall does not", "[confirm][model]") {
  const Boxes b = boxes("faces/obama.jpg");
  FaceConfirmer confirmer(find_yunet_model());
  CHECK(confirmer.score(b.bgr, b.face) >= 0.85F);
  CHECK(confirmer.score(b.bgr, b.wall) < 0.3F);
  // A quarter of the face, or a box three times its size, is not the face YuNet finds there.
  const cv::Rect quarter(b.face.x, b.face.y + b.face.height / 2, b.face.width / 2,
                         b.face.height / 2);
  CHECK(confirmer.score(b.bgr, quarter) < 0.5F);
  const cv::Rect big(b.face.x - b.face.width, b.face.y - b.face.height, 3 * b.face.width,
                     3 * b.face.height);
  CHECK(confirmer.score(b.bgr, big) < 0.5F);
}

TEST_CASE("boxes at or past the photo's edge are scored without reading outside it",
          "[confirm][model]") {
  const Boxes b = boxes("faces/obama.jpg");
  FaceConfirmer confirmer(find_yunet_model());
  const cv::Rect outside(b.bgr.cols + 10, b.bgr.rows + 10, 40, 40);
  CHECK(confirmer.score(b.bgr, outside) == 0.F);
  CHECK(confirmer.score(b.bgr, cv::Rect()) == 0.F);
  // The face's own box shifted so that a third of it hangs over the left edge: the part left
  // is still judged, and whatever the verdict, it is a score.
  const cv::Rect edge(-b.face.width / 3, b.face.y, b.face.width, b.face.height);
  const float s = confirmer.score(b.bgr, edge);
  CHECK(s >= 0.F);
  CHECK(s <= 1.F);
}

TEST_CASE("confirm judges every box alone, side by side in strips, and drops the weak",
          "[confirm][model]") {
  const Boxes b = boxes("faces/obama.jpg");
  FaceConfirmer confirmer(find_yunet_model());
  // Eleven boxes, more than one strip: faces and walls alternate, so a face's neighbours in a
  // strip are walls, and the other way round.
  std::vector<Face> faces;
  for (int i = 0; i < 11; ++i) {
    Face f;
    f.box = i % 2 == 0 ? b.face : b.wall + cv::Point(i, i);
    faces.push_back(f);
  }
  const float alone = confirmer.score(b.bgr, b.face);
  CHECK(confirmer.confirm(b.bgr, faces, 0.5F) == 5);
  REQUIRE(faces.size() == 6);
  for (const Face& f : faces) {
    CHECK(f.box == b.face);
    REQUIRE(f.detector_score);
    CHECK(*f.detector_score == Approx(alone).margin(0.02));
  }
}

TEST_CASE("a missing YuNet model is a setup error that names the fix", "[confirm]") {
  try {
    FaceConfirmer confirmer("/nonexistent/yunet.onnx");
    FAIL("no error");
  } catch (const SetupError& e) {
    CHECK(std::string(e.what()).find("--detector-model") != std::string::npos);
    CHECK(std::string(e.what()).find("--haar-confirm 0") != std::string::npos);
  }
}
