#include "maskdetect/types.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace maskdetect;

namespace {

Face face(const std::string& label) { return testing::make_face({0, 0, 10, 10}, label); }

}  // namespace

TEST_CASE("kinds and statuses have the strings the report documents", "[types]") {
  CHECK(std::string(to_string(FileKind::Image)) == "image");
  CHECK(std::string(to_string(FileKind::Video)) == "video");
  CHECK(std::string(to_string(FileKind::Unknown)) == "unknown");
  CHECK(std::string(to_string(FileStatus::Ok)) == "ok");
  CHECK(std::string(to_string(FileStatus::Error)) == "error");
}

TEST_CASE("RunSummary counts files, faces of images, people of videos, frames and labels",
          "[types]") {
  RunSummary s;

  FileResult image;
  image.kind = FileKind::Image;
  image.faces = {face("mask"), face("no_mask"), face("no_mask")};
  s.add(image);

  FileResult empty_image;
  empty_image.kind = FileKind::Image;
  s.add(empty_image);

  FileResult video;
  video.kind = FileKind::Video;
  video.frames = 275;
  video.frames_with_faces = 200;
  video.faces_by_label = {{"mask", 0}, {"no_mask", 310}};
  video.people_by_label = {{"mask", 0}, {"no_mask", 2}};
  s.add(video);

  FileResult bad;
  bad.kind = FileKind::Unknown;
  bad.status = FileStatus::Error;
  bad.error = "not an image or video";
  s.add(bad);

  CHECK(s.files == 4);
  CHECK(s.ok == 3);
  CHECK(s.failed == 1);
  CHECK(s.faces == 3);
  CHECK(s.people == 2);
  CHECK(s.frames == 275);
  CHECK(s.by_label.at("mask") == 1);
  CHECK(s.by_label.at("no_mask") == 4);  // two faces in the image, two people in the video
  CHECK(s.by_label.size() == 2);
}

TEST_CASE("a failed video still counts the frames it processed", "[types]") {
  RunSummary s;
  FileResult video;
  video.kind = FileKind::Video;
  video.status = FileStatus::Error;
  video.frames = 3;
  video.faces_by_label = {{"mask", 2}};
  video.people_by_label = {{"mask", 1}};
  s.add(video);
  CHECK(s.failed == 1);
  CHECK(s.ok == 0);
  CHECK(s.frames == 3);
  CHECK(s.people == 1);
  CHECK(s.by_label.at("mask") == 1);
}
