#include "maskdetect/image_decode.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

#include "test_support.hpp"

using maskdetect::decode_image;
using maskdetect::DecodeOptions;
using maskdetect::FileKind;
using maskdetect::InputError;
using maskdetect::sniff_media;
using maskdetect::testing::fixture;
using maskdetect::testing::TempDir;

namespace {

maskdetect::DecodedImage decode(const std::filesystem::path& p, DecodeOptions o = {}) {
  return decode_image(p, sniff_media(p), o);
}

std::string refusal(const std::filesystem::path& p, DecodeOptions o = {}) {
  try {
    decode(p, o);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("decode: RGBA PNG becomes 8-bit BGR", "[decode]") {
  const auto img = decode(fixture("faces/32bit.png"));
  CHECK(img.bgr.type() == CV_8UC3);
  CHECK(img.bgr.cols == 626);
  CHECK(img.bgr.rows == 1200);
  CHECK(img.warnings.empty());
}

TEST_CASE("decode: a PNG named .jpg is decoded by content", "[decode]") {
  CHECK(decode(fixture("bad/png-named.jpg")).bgr.type() == CV_8UC3);
}

TEST_CASE("decode: 16-bit and grey images become 8-bit BGR", "[decode]") {
  TempDir tmp;
  cv::Mat deep(40, 60, CV_16UC3, cv::Scalar(65535, 32768, 0));
  REQUIRE(cv::imwrite((tmp.path() / "deep.png").string(), deep));
  auto img = decode(tmp.path() / "deep.png");
  CHECK(img.bgr.type() == CV_8UC3);
  CHECK(img.bgr.cols == 60);
  CHECK(img.bgr.rows == 40);
  const cv::Vec3b px = img.bgr.at<cv::Vec3b>(10, 10);
  CHECK(px[0] == 255);
  CHECK(px[1] == 128);
  CHECK(px[2] == 0);

  cv::Mat grey(20, 30, CV_8UC1, cv::Scalar(77));
  REQUIRE(cv::imwrite((tmp.path() / "grey.pgm").string(), grey));
  img = decode(tmp.path() / "grey.pgm");
  CHECK(img.bgr.type() == CV_8UC3);
  CHECK(img.bgr.at<cv::Vec3b>(5, 5) == cv::Vec3b(77, 77, 77));
}

TEST_CASE("decode: a pixel bomb is refused from its header", "[decode]") {
  const std::string msg = refusal(fixture("bad/pixel-bomb-30000x30000.png"));
  CHECK(msg ==
        "image is 30000x30000 (900.0 Mpx), above --max-pixels 100000000: refused before "
        "decoding");
}

TEST_CASE("decode: --max-pixels applies to ordinary images too", "[decode]") {
  const std::string msg = refusal(fixture("faces/32bit.png"), DecodeOptions{1000});
  CHECK(msg.find("image is 626x1200 (0.8 Mpx), above --max-pixels 1000") == 0);
}

TEST_CASE("decode: a truncated JPEG decodes partially with a warning", "[decode]") {
  const auto img = decode(fixture("bad/truncated.jpg"));
  CHECK(img.bgr.type() == CV_8UC3);
  CHECK_FALSE(img.bgr.empty());
  REQUIRE(img.warnings.size() == 1);
  CHECK(img.warnings[0] == "truncated jpeg file: decoded partially (missing end-of-image marker)");
}

TEST_CASE("decode: what is not an image is refused with the sniffer's reason", "[decode]") {
  CHECK(refusal(fixture("bad/empty.jpg")) == "empty file (0 bytes)");
  CHECK(refusal(fixture("bad/not-an-image.jpg")) == "not an image or video (unrecognised content)");
  CHECK(refusal(fixture("video/short_hamilton_clip.mp4")) == "not an image (mp4 video)");
}

TEST_CASE("decode: content the decoder rejects is an InputError", "[decode]") {
  TempDir tmp;
  const auto p = tmp.path() / "broken.png";
  maskdetect::testing::write_file(p, "\x89PNG\r\n\x1a\n" + std::string(200, '\x42'));
  const std::string msg = refusal(p);
  CHECK(msg.rfind("cannot decode png data: ", 0) == 0);
}

TEST_CASE("decode: a large JPEG may be decoded at a fraction of its size", "[decode]") {
  CHECK(maskdetect::jpeg_reduction({4000, 3000}, 800) == 4);
  CHECK(maskdetect::jpeg_reduction({4000, 3000}, 400) == 8);
  CHECK(maskdetect::jpeg_reduction({4000, 3000}, 0) == 1);
  CHECK(maskdetect::jpeg_reduction({1000, 800}, 800) == 1);
  CHECK(maskdetect::jpeg_reduction({1600, 800}, 800) == 2);

  const auto p = fixture("faces/obama-1080p.jpg");
  const auto full = decode(p);
  DecodeOptions o;
  o.reduce_to = 500;
  const auto reduced = decode(p, o);
  CHECK(full.reduction == 1);
  CHECK(full.original == full.bgr.size());
  REQUIRE(reduced.reduction == 2);
  CHECK(reduced.original == full.bgr.size());
  CHECK(std::abs(reduced.bgr.cols * 2 - full.bgr.cols) <= 1);
  // Only JPEG has a cheap reduced decode; other formats come at full size.
  const auto png = decode(fixture("faces/32bit.png"), o);
  CHECK(png.reduction == 1);
  CHECK(png.bgr.cols == 626);
}
