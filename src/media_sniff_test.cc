#include "maskdetect/media_sniff.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "test_support.hpp"

using maskdetect::FileKind;
using maskdetect::sniff_media;
using maskdetect::sniff_media_bytes;
using maskdetect::testing::fixture;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

std::string be16(int v) { return bytes({(v >> 8) & 0xFF, v & 0xFF}); }
std::string be32(long v) { return be16(static_cast<int>(v >> 16)) + be16(static_cast<int>(v)); }
std::string le16(int v) { return bytes({v & 0xFF, (v >> 8) & 0xFF}); }
std::string le32(long v) { return le16(static_cast<int>(v)) + le16(static_cast<int>(v >> 16)); }

// A JPEG whose frame header sits behind an APP1 segment of `app_bytes`, ending in EOI.
std::string jpeg(int w, int h, std::size_t app_bytes, bool eoi = true) {
  std::string s = bytes({0xFF, 0xD8, 0xFF, 0xE1}) + be16(static_cast<int>(app_bytes + 2));
  s += std::string(app_bytes, 'x');
  s += bytes({0xFF, 0xDB}) + be16(4) + "qq";  // a small table segment
  s += bytes({0xFF, 0xC0}) + be16(17) + bytes({8}) + be16(h) + be16(w) + std::string(12, '\1');
  s += bytes({0xFF, 0xDA}) + be16(2) + std::string(100, '\x55');
  if (eoi) s += bytes({0xFF, 0xD9});
  return s;
}

std::string png(long w, long h, bool iend = true) {
  std::string s =
      "\x89PNG\r\n\x1a\n" + be32(13) + "IHDR" + be32(w) + be32(h) + bytes({8, 6, 0, 0, 0}) + "crc!";
  s += be32(10) + "IDAT" + std::string(10, 'z') + "crc!";
  if (iend) s += be32(0) + "IEND" + bytes({0xAE, 0x42, 0x60, 0x82});
  return s;
}

}  // namespace

TEST_CASE("sniff: JPEG size is found past a large APP segment", "[sniff]") {
  const auto small = sniff_media_bytes(jpeg(640, 480, 20), true);
  CHECK(small.kind == FileKind::Image);
  CHECK(small.format == "jpeg");
  CHECK(small.width == 640);
  CHECK(small.height == 480);
  CHECK_FALSE(small.truncated);

  const auto big = sniff_media_bytes(jpeg(1234, 567, 60000), true);
  CHECK(big.width == 1234);
  CHECK(big.height == 567);
}

TEST_CASE("sniff: JPEG without EOI is truncated - trailing junk after EOI is not", "[sniff]") {
  CHECK(sniff_media_bytes(jpeg(10, 10, 20, false), true).truncated);
  CHECK_FALSE(sniff_media_bytes(jpeg(10, 10, 20) + std::string(16, '\0'), true).truncated);
  // A motion photo: a complete JPEG with a video appended after EOI.
  std::string appended;
  for (int i = 0; i < 20000; ++i) appended += static_cast<char>((i * 7919 + i / 3) & 0xFF);
  CHECK_FALSE(sniff_media_bytes(jpeg(10, 10, 20) + appended, true).truncated);
  // Not knowing the end, nothing can be said about it.
  CHECK_FALSE(sniff_media_bytes(jpeg(10, 10, 20, false), false).truncated);
}

TEST_CASE("sniff: PNG size and IEND", "[sniff]") {
  const auto info = sniff_media_bytes(png(30000, 20000), true);
  CHECK(info.kind == FileKind::Image);
  CHECK(info.format == "png");
  CHECK(info.width == 30000);
  CHECK(info.height == 20000);
  CHECK_FALSE(info.truncated);
  CHECK(sniff_media_bytes(png(5, 5, false), true).truncated);
}

TEST_CASE("sniff: BMP, TIFF and WebP sizes", "[sniff]") {
  SECTION("BMP, bottom-up and top-down") {
    const std::string head = "BM" + le32(0) + le32(0) + le32(54) + le32(40);
    auto info = sniff_media_bytes(head + le32(320) + le32(200) + std::string(30, '\0'), true);
    CHECK(info.format == "bmp");
    CHECK(info.kind == FileKind::Image);
    CHECK(info.width == 320);
    CHECK(info.height == 200);
    info = sniff_media_bytes(head + le32(320) + le32(-200) + std::string(30, '\0'), true);
    CHECK(info.height == 200);
  }
  SECTION("BM text is not a bitmap") {
    const auto info = sniff_media_bytes("BMW service notes: oil change due in spring", true);
    CHECK(info.kind == FileKind::Unknown);
  }
  SECTION("TIFF, both byte orders, with the directory after the pixels") {
    std::string le = std::string("II*\0", 4) + le32(20) + std::string(12, 'p');
    le += le16(2) + le16(256) + le16(3) + le32(1) + le16(800) + le16(0);
    le += le16(257) + le16(4) + le32(1) + le32(600) + le32(0);
    auto info = sniff_media_bytes(le, true);
    CHECK(info.format == "tiff");
    CHECK(info.width == 800);
    CHECK(info.height == 600);

    std::string be = std::string("MM\0*", 4) + be32(8);
    be += be16(2) + be16(256) + be16(4) + be32(1) + be32(123);
    be += be16(257) + be16(3) + be32(1) + be16(45) + be16(0) + be32(0);
    info = sniff_media_bytes(be, true);
    CHECK(info.format == "tiff");
    CHECK(info.width == 123);
    CHECK(info.height == 45);
  }
  SECTION("WebP: lossy, lossless and extended") {
    const std::string riff = "RIFF" + le32(100) + "WEBP";
    auto info = sniff_media_bytes(riff + "VP8 " + le32(50) + bytes({0, 0, 0, 0x9d, 0x01, 0x2a}) +
                                      le16(640) + le16(480) + std::string(10, '\0'),
                                  true);
    CHECK(info.format == "webp");
    CHECK(info.width == 640);
    CHECK(info.height == 480);
    // 14 bits each of width-1 and height-1: 100x50.
    const long bits = 99 | (49L << 14);
    info = sniff_media_bytes(riff + "VP8L" + le32(50) + bytes({0x2F}) + le32(bits) + "....", true);
    CHECK(info.width == 100);
    CHECK(info.height == 50);
    info = sniff_media_bytes(riff + "VP8X" + le32(10) + le32(0) + bytes({0x1F, 0x03, 0}) +
                                 bytes({0xDF, 0x01, 0}) + "....",
                             true);
    CHECK(info.width == 800);
    CHECK(info.height == 480);
  }
}

TEST_CASE("sniff: PNM, GIF, JPEG 2000, OpenEXR and Radiance sizes", "[sniff]") {
  SECTION("PNM with comments") {
    const auto info =
        sniff_media_bytes("P6\n# made by hand\n 64 32\n255\n" + std::string(64, 'x'), true);
    CHECK(info.kind == FileKind::Image);
    CHECK(info.format == "pnm");
    CHECK(info.width == 64);
    CHECK(info.height == 32);
    CHECK(sniff_media_bytes("P1 is the first item on the agenda", true).kind == FileKind::Unknown);
  }
  SECTION("GIF is recognised but refused") {
    const auto info = sniff_media_bytes("GIF89a" + le16(10) + le16(20) + "rest", true);
    CHECK(info.kind == FileKind::Unknown);
    CHECK(info.format == "gif");
    CHECK(info.width == 10);
    CHECK(info.height == 20);
    CHECK(info.reason == "GIF images are not supported by this OpenCV build");
  }
  SECTION("JPEG 2000 codestream, OpenEXR, Radiance") {
    auto info = sniff_media_bytes(bytes({0xFF, 0x4F, 0xFF, 0x51}) + be16(41) + be16(0) + be32(300) +
                                      be32(200) + be32(0) + be32(0) + std::string(20, '\0'),
                                  true);
    CHECK(info.format == "jpeg2000");
    CHECK(info.width == 300);
    CHECK(info.height == 200);

    std::string exr = bytes({0x76, 0x2F, 0x31, 0x01}) + le32(2);
    exr += std::string("channels\0chlist\0", 16) + le32(3) + "abc";
    exr +=
        std::string("dataWindow\0box2i\0", 17) + le32(16) + le32(0) + le32(0) + le32(63) + le32(31);
    exr += std::string(1, '\0');
    info = sniff_media_bytes(exr, true);
    CHECK(info.format == "exr");
    CHECK(info.width == 64);
    CHECK(info.height == 32);

    info = sniff_media_bytes("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 48 +X 96\nxxxx", true);
    CHECK(info.format == "hdr");
    CHECK(info.width == 96);
    CHECK(info.height == 48);
  }
}

TEST_CASE("sniff: video containers", "[sniff]") {
  const auto ftyp = [](const std::string& brand) {
    return be32(24) + "ftyp" + brand + be32(0) + brand + "isom" + std::string(40, '\0');
  };
  CHECK(sniff_media_bytes(ftyp("isom"), true).format == "mp4");
  CHECK(sniff_media_bytes(ftyp("isom"), true).kind == FileKind::Video);
  CHECK(sniff_media_bytes(ftyp("qt  "), true).format == "mov");
  CHECK(sniff_media_bytes(ftyp("3gp4"), true).format == "3gp");
  // An iPhone photo is ISO media too, but a still image.
  CHECK(sniff_media_bytes(ftyp("heic"), true).kind == FileKind::Unknown);
  CHECK(sniff_media_bytes(ftyp("heic"), true).format == "heic");

  CHECK(sniff_media_bytes("RIFF" + le32(100) + "AVI LIST....", true).format == "avi");
  CHECK(sniff_media_bytes(bytes({0x1A, 0x45, 0xDF, 0xA3}) + "\x42\x82\x84webm", true).format ==
        "webm");
  CHECK(sniff_media_bytes(bytes({0x1A, 0x45, 0xDF, 0xA3}) + "\x42\x82\x88matroska", true).format ==
        "mkv");
  CHECK(sniff_media_bytes(std::string("FLV\x01\x05", 5) + std::string(20, '\0'), true).format ==
        "flv");
  CHECK(sniff_media_bytes("OggS" + std::string(24, '\0') + "\x80theora", true).format == "ogg");
  CHECK(sniff_media_bytes(bytes({0, 0, 1, 0xBA}) + "pack", true).format == "mpeg-ps");

  std::string ts;
  for (int i = 0; i < 5; ++i) ts += "G" + std::string(187, '\xff');
  const auto info = sniff_media_bytes(ts, true);
  CHECK(info.kind == FileKind::Video);
  CHECK(info.format == "mpeg-ts");
  // A text that happens to start with a G is not a transport stream.
  CHECK(sniff_media_bytes("Good morning" + std::string(400, ' '), true).kind == FileKind::Unknown);
}

TEST_CASE("sniff: empty and unrecognised content", "[sniff]") {
  const auto empty = sniff_media_bytes("", true);
  CHECK(empty.kind == FileKind::Unknown);
  CHECK(empty.reason == "empty file (0 bytes)");
  const auto text = sniff_media_bytes("hello, world\n", true);
  CHECK(text.kind == FileKind::Unknown);
  CHECK(text.format.empty());
  CHECK(text.reason == "not an image or video (unrecognised content)");
  // Headers that lie must not crash or report nonsense.
  CHECK(sniff_media_bytes(bytes({0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF}), true).width == 0);
  CHECK(sniff_media_bytes(std::string("II*\0", 4) + le32(0xFFFFFFF0), true).width == 0);
  CHECK(sniff_media_bytes("\x89PNG\r\n\x1a\n", true).width == 0);
}

TEST_CASE("sniff: files are judged by content, reading only what is needed", "[sniff]") {
  SECTION("photos") {
    const auto obama = sniff_media(fixture("faces/obama-240p.jpg"));
    CHECK(obama.kind == FileKind::Image);
    CHECK(obama.format == "jpeg");
    CHECK(obama.width == 427);
    CHECK(obama.height == 240);
    CHECK_FALSE(obama.truncated);
    // An EXIF photo: the frame header sits behind the APP1 block.
    const auto biden = sniff_media(fixture("faces/biden.jpg"));
    CHECK(biden.format == "jpeg");
    CHECK(biden.width > 0);
    CHECK(biden.height > 0);
    CHECK_FALSE(biden.truncated);
    const auto rgba = sniff_media(fixture("faces/32bit.png"));
    CHECK(rgba.format == "png");
    CHECK(rgba.width == 626);
    CHECK(rgba.height == 1200);
    CHECK_FALSE(rgba.truncated);
  }
  SECTION("a PNG named .jpg") {
    const auto info = sniff_media(fixture("bad/png-named.jpg"));
    CHECK(info.kind == FileKind::Image);
    CHECK(info.format == "png");
  }
  SECTION("video") {
    const auto info = sniff_media(fixture("video/short_hamilton_clip.mp4"));
    CHECK(info.kind == FileKind::Video);
    CHECK(info.format == "mp4");
  }
  SECTION("bad files") {
    const auto empty = sniff_media(fixture("bad/empty.jpg"));
    CHECK(empty.kind == FileKind::Unknown);
    CHECK(empty.reason == "empty file (0 bytes)");
    const auto text = sniff_media(fixture("bad/not-an-image.jpg"));
    CHECK(text.kind == FileKind::Unknown);
    CHECK(text.reason == "not an image or video (unrecognised content)");
    const auto cut = sniff_media(fixture("bad/truncated.jpg"));
    CHECK(cut.kind == FileKind::Image);
    CHECK(cut.format == "jpeg");
    CHECK(cut.truncated);
    CHECK(cut.width > 0);
    const auto bomb = sniff_media(fixture("bad/pixel-bomb-30000x30000.png"));
    CHECK(bomb.kind == FileKind::Image);
    CHECK(bomb.width == 30000);
    CHECK(bomb.height == 30000);
  }
  SECTION("the sizes agree with what a full parse finds") {
    const auto full = maskdetect::testing::read_text(fixture("faces/obama.jpg"));
    const auto a = sniff_media(fixture("faces/obama.jpg"));
    const auto b = sniff_media_bytes(full, true);
    CHECK(a.width == b.width);
    CHECK(a.height == b.height);
    CHECK(a.width > 0);
  }
}

TEST_CASE("sniff: unreadable paths throw, odd files are Unknown", "[sniff]") {
  maskdetect::testing::TempDir tmp;
  CHECK_THROWS(sniff_media(tmp.path() / "missing.jpg"));
  CHECK_THROWS(sniff_media(tmp.path()));
  std::ofstream(tmp.path() / "x.png", std::ios::binary) << png(7, 9);
  const auto info = sniff_media(tmp.path() / "x.png");
  CHECK(info.width == 7);
  CHECK(info.height == 9);
}

TEST_CASE("sniff: sizes agree with OpenCV for every format it writes", "[sniff]") {
  maskdetect::testing::TempDir tmp;
  const cv::Mat img(37, 53, CV_8UC3, cv::Scalar(10, 200, 30));
  cv::Mat fimg;
  img.convertTo(fimg, CV_32F, 1 / 255.0);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a.jpg", "jpeg"},     {"a.png", "png"}, {"a.bmp", "bmp"}, {"a.tif", "tiff"},
      {"a.webp", "webp"},    {"a.ppm", "pnm"}, {"a.pam", "pam"}, {"a.ras", "sunras"},
      {"a.jp2", "jpeg2000"}, {"a.exr", "exr"}, {"a.hdr", "hdr"}, {"a.pfm", "pfm"}};
  for (const auto& [name, format] : cases) {
    const auto p = tmp.path() / name;
    bool written = false;
    try {
      written = cv::imwrite(p.string(), format == "exr" || format == "pfm" ? fimg : img);
    } catch (const cv::Exception&) {
    }
    if (!written) {
      WARN("this OpenCV build cannot write " << name);
      continue;
    }
    INFO(name);
    const auto info = sniff_media(p);
    CHECK(info.format == format);
    CHECK(info.width == 53);
    CHECK(info.height == 37);
    CHECK_FALSE(info.truncated);
  }
}

TEST_CASE("sniff: a JPEG frame header is found after any number of segments", "[sniff]") {
  // 20,000 comment segments (more than any fixed limit a walk might have had), then the frame.
  std::string s = bytes({0xFF, 0xD8});
  for (int i = 0; i < 20000; ++i) s += bytes({0xFF, 0xFE}) + be16(5) + "c:" + bytes({i & 0x7F});
  s += bytes({0xFF, 0xC0}) + be16(17) + bytes({8}) + be16(32000) + be16(31000) +
       std::string(12, '\1');
  s += bytes({0xFF, 0xDA}) + be16(2) + std::string(50, '\x55') + bytes({0xFF, 0xD9});
  const auto mem = sniff_media_bytes(s, true);
  CHECK(mem.width == 31000);
  CHECK(mem.height == 32000);
  // The same through the file reader, which walks the chain a small window at a time.
  maskdetect::testing::TempDir tmp;
  std::ofstream(tmp.path() / "many.jpg", std::ios::binary) << s;
  const auto file = sniff_media(tmp.path() / "many.jpg");
  CHECK(file.width == 31000);
  CHECK(file.height == 32000);
  CHECK_FALSE(file.truncated);
  // Segments long enough to be skipped by seeking rather than read.
  std::ofstream(tmp.path() / "big.jpg", std::ios::binary) << jpeg(77, 66, 65000);
  const auto big = sniff_media(tmp.path() / "big.jpg");
  CHECK(big.width == 77);
  CHECK(big.height == 66);
}

TEST_CASE("sniff: the hostile JPEG with 10,001 comments before its frame header", "[sniff]") {
  const auto path =
      maskdetect::testing::shared_file("hostile/jpeg-32000x32000-after-10001-comments.jpg");
  const auto info = sniff_media(path);
  CHECK(info.kind == FileKind::Image);
  CHECK(info.format == "jpeg");
  CHECK(info.width == 32000);
  CHECK(info.height == 32000);
}

TEST_CASE("sniff: offsets near 2^64 neither wrap nor throw", "[sniff]") {
  // Found by fuzz/sniff_fuzz: a BigTIFF whose first directory sits at offset 2^64 - 1. The file
  // reader added the read length to that offset, wrapped around and threw std::out_of_range.
  std::string big = "II+" + bytes({0, 8, 0, 0, 0});
  big += std::string(8, '\xFF') + std::string(40, '\0');
  std::string big_be = "MM" + bytes({0, 0x2B, 0, 8, 0, 0});
  big_be += std::string(8, '\xFF') + std::string(40, '\0');
  // A JPEG 2000 box whose 64-bit length wraps the walk back to the start.
  std::string jp2 = bytes({0, 0, 0, 0x0C}) + "jP  " + bytes({0x0D, 0x0A, 0x87, 0x0A});
  jp2 += be32(1) + "skip" + std::string(8, '\xFF') + std::string(16, '\0');
  maskdetect::testing::TempDir tmp;
  for (const std::string& s : {big, big_be, jp2}) {
    for (const bool whole : {true, false}) {
      maskdetect::MediaInfo info;
      CHECK_NOTHROW(info = sniff_media_bytes(s, whole));
      CHECK(info.kind == FileKind::Image);
      CHECK(info.width == 0);
    }
    std::ofstream(tmp.path() / "f", std::ios::binary | std::ios::trunc) << s;
    maskdetect::MediaInfo info;
    CHECK_NOTHROW(info = sniff_media(tmp.path() / "f"));
    CHECK(info.width == 0);
  }
}
