#include "maskdetect/face_crop.hpp"

#include <catch2/catch.hpp>
#include <opencv2/core.hpp>

TEST_CASE("the crop region is a square around the box grown by the margin", "[crop]") {
  const cv::Rect r = maskdetect::crop_region({100, 100, 40, 60}, 0.25);
  CHECK(r.width == 90);
  CHECK(r.height == 90);
  CHECK(r.x + r.width / 2 == 120);
  CHECK(r.y + r.height / 2 == 130);
  CHECK(maskdetect::crop_region({10, 10, 50, 50}, 0.0) == cv::Rect(10, 10, 50, 50));
}

TEST_CASE("crop_face resizes to the network input and replicates borders", "[crop]") {
  cv::Mat img(100, 100, CV_8UC3, cv::Scalar(0, 0, 0));
  img(cv::Rect(0, 0, 100, 10)).setTo(cv::Scalar(255, 255, 255));  // white top rows
  const cv::Mat c = maskdetect::crop_face(img, {0, 0, 40, 40}, 0.5, {64, 64});
  REQUIRE(c.size() == cv::Size(64, 64));
  REQUIRE(c.type() == CV_8UC3);
  // The region starts 20 px above the image: replicated white rows, not black padding.
  CHECK(c.at<cv::Vec3b>(0, 40)[0] == 255);
  CHECK(c.at<cv::Vec3b>(63, 40)[0] == 0);
}

TEST_CASE("crop_face survives boxes outside the image", "[crop]") {
  cv::Mat img(50, 50, CV_8UC3, cv::Scalar(7, 7, 7));
  CHECK(maskdetect::crop_face(img, {45, 45, 30, 30}, 0.2, {32, 32}).size() == cv::Size(32, 32));
  CHECK(maskdetect::crop_face(img, {500, 500, 10, 10}, 0.2, {32, 32}).size() == cv::Size(32, 32));
}
