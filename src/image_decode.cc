#include "maskdetect/image_decode.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace maskdetect {
namespace {

std::string too_large(std::uint64_t w, std::uint64_t h, std::uint64_t max_pixels,
                      const char* when) {
  char mpx[32];
  std::snprintf(mpx, sizeof mpx, "%.1f", static_cast<double>(w) * static_cast<double>(h) / 1e6);
  return "image is " + std::to_string(w) + "x" + std::to_string(h) + " (" + mpx +
         " Mpx), above --max-pixels " + std::to_string(max_pixels) + ": " + when;
}

std::string cannot_decode(const MediaInfo& info, const std::string& why) {
  std::string msg =
      "cannot decode " + (info.format.empty() ? "image" : info.format) + " data: " + why;
  if (info.truncated) msg += " (the file is truncated)";
  return msg;
}

// Whatever imread returned (it honours IMREAD_COLOR for every codec we know, but a plugin or a
// future codec might not), the pipeline gets 8-bit BGR.
cv::Mat to_bgr8(cv::Mat m) {
  if (m.depth() != CV_8U) {
    const double scale = m.depth() == CV_16U                            ? 1.0 / 257.0
                         : m.depth() == CV_16S                          ? 1.0 / 128.0
                         : (m.depth() == CV_32F || m.depth() == CV_64F) ? 255.0
                                                                        : 1.0;
    cv::Mat eight;
    m.convertTo(eight, CV_8U, scale);
    m = eight;
  }
  if (m.channels() == 1) cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
  if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
  return m;
}

}  // namespace

int jpeg_reduction(cv::Size size, int reduce_to) {
  const int longest = std::max(size.width, size.height);
  if (reduce_to <= 0 || longest <= 0) return 1;
  int f = 1;
  while (f < 8 && longest / (f * 2) >= reduce_to) f *= 2;
  return f;
}

int open_regular_file(const std::filesystem::path& path) {
  // O_NONBLOCK: a path swapped for a FIFO after it was listed must not block in open(); fstat on
  // the opened descriptor then judges the file actually read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw InputError(std::string("cannot read file: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw InputError(std::string("cannot read file: ") + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError("not a regular file (a pipe, socket or device)");
  }
  return fd;
}

std::string read_regular_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  const int fd = open_regular_file(path);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw InputError(std::string("cannot read file: ") + std::strerror(errno));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes)
    throw InputError("file is " + std::to_string(size) + " bytes, more than an image of " +
                     "--max-pixels can take; refused before reading");
  std::string bytes(size, '\0');
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InputError(std::string("cannot read file: ") + std::strerror(errno));
    if (n == 0) break;  // shrank while being read: decode what is there
    got += static_cast<std::size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

DecodedImage decode_image(const std::filesystem::path& path, const MediaInfo& sniffed,
                          const DecodeOptions& options) {
  if (sniffed.kind != FileKind::Image) {
    const MediaInfo& info = sniffed;
    if (!info.reason.empty()) throw InputError(info.reason);
    if (info.kind == FileKind::Video) throw InputError("not an image (" + info.format + " video)");
    throw InputError("not an image or video (unrecognised content)");
  }
  // The bytes are read once and judged again: the file may have changed since it was sniffed.
  const std::string bytes = read_regular_file(path, max_image_bytes(options));
  const MediaInfo info = sniff_media_bytes(bytes, true);
  if (info.kind != FileKind::Image)
    throw InputError(info.reason.empty() ? "no longer an image (the file changed)" : info.reason);
  return decode_image_bytes(bytes, info, options);
}

DecodedImage decode_image_bytes(const std::string& bytes, const MediaInfo& info,
                                const DecodeOptions& options) {
  const auto w = static_cast<std::uint64_t>(info.width),
             h = static_cast<std::uint64_t>(info.height);
  // The header is all we trust before decoding: a 100 KB PNG can ask for gigabytes.
  if (w > 0 && h > 0 && w * h > options.max_pixels)
    throw InputError(too_large(w, h, options.max_pixels, "refused before decoding"));
  if (w == 0 || h == 0)
    throw InputError(
        cannot_decode(info, "its header gives no image size; refused rather than decoded blind"));

  const int reduction =
      info.format == "jpeg" && w > 0 && h > 0
          ? jpeg_reduction({static_cast<int>(w), static_cast<int>(h)}, options.reduce_to)
          : 1;
  const int flags = reduction == 8   ? cv::IMREAD_REDUCED_COLOR_8
                    : reduction == 4 ? cv::IMREAD_REDUCED_COLOR_4
                    : reduction == 2 ? cv::IMREAD_REDUCED_COLOR_2
                                     : cv::IMREAD_COLOR;
  cv::Mat m;
  try {
    m = cv::imdecode(
        cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data())), flags);
  } catch (const cv::Exception& e) {
    throw InputError(cannot_decode(info, e.err.empty() ? e.what() : e.err));
  } catch (const std::bad_alloc&) {
    throw InputError(cannot_decode(info, "out of memory"));
  }
  if (m.empty()) throw InputError(cannot_decode(info, "the decoder rejected it"));

  // Formats whose size the header did not tell us still must not pass the limit on to the
  // detector and the writers (OpenCV's own limit is 1 Gpx).
  const auto cols = static_cast<std::uint64_t>(m.cols), rows = static_cast<std::uint64_t>(m.rows);
  if (cols * rows > options.max_pixels)
    throw InputError(too_large(cols, rows, options.max_pixels, "refused after decoding"));

  DecodedImage out;
  out.bgr = m.type() == CV_8UC3 ? m : to_bgr8(m);
  out.reduction = reduction;
  out.original = m.size();
  if (reduction > 1) {
    // The header's size, turned as EXIF orientation turned the pixels (libjpeg rounds up).
    const cv::Size header(static_cast<int>(w), static_cast<int>(h));
    const bool turned = (m.cols >= m.rows) != (header.width >= header.height);
    out.original = turned ? cv::Size(header.height, header.width) : header;
  }
  if (info.truncated)
    out.warnings.push_back("truncated " + info.format +
                           " file: decoded partially (missing end-of-image marker)");
  return out;
}

}  // namespace maskdetect
