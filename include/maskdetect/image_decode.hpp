// Decodes one image file into 8-bit BGR, whatever its depth and channels (RGBA, 16-bit, grey),
// refusing what would be too large to decode safely.
#pragma once

#include <cstdint>
#include <filesystem>
#include <opencv2/core/mat.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "maskdetect/media_sniff.hpp"

namespace maskdetect {

// A user-facing reason why an input cannot be processed; the message is the report's "error".
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DecodeOptions {
  std::uint64_t max_pixels = 100'000'000;  // refuse larger images before decoding
  // When > 0, a JPEG may be decoded at 1/2, 1/4 or 1/8 of its size (libjpeg scales while it
  // decodes, far cheaper than decoding everything and resizing) as long as its longest side
  // stays at least this long. For callers that never write the pixels back out.
  int reduce_to = 0;
};

struct DecodedImage {
  cv::Mat bgr;                        // CV_8UC3
  std::vector<std::string> warnings;  // e.g. truncated file decoded partially
  int reduction = 1;                  // bgr is the image at 1/reduction of its size
  cv::Size original;                  // the image's size at full resolution, oriented as bgr
};

// The largest of 1, 2, 4, 8 that keeps the longest side of `size` at or above `reduce_to`.
int jpeg_reduction(cv::Size size, int reduce_to);

// A descriptor of `path` opened without blocking, once fstat on it has shown a regular file: a
// FIFO or device (even one swapped in for a file after it was listed) is refused, never waited
// on. Whoever reads the file then reads this descriptor (FFmpeg through /proc/self/fd/N), not
// whatever the path names by then. The caller closes it. Throws InputError.
int open_regular_file(const std::filesystem::path& path);

// The whole of a regular file, read through open_regular_file's descriptor.
// Throws InputError (unreadable, not a regular file, more than max_bytes).
std::string read_regular_file(const std::filesystem::path& path, std::uint64_t max_bytes);

// Reads the file once (read_regular_file) and decodes those bytes; `sniffed` says what the file
// was when it was listed, and the bytes are sniffed again before decoding. An image whose size
// its header does not give is refused, never decoded blind. Throws InputError with a clear
// reason (not an image, too large, cannot decode, ...).
DecodedImage decode_image(const std::filesystem::path& path, const MediaInfo& info,
                          const DecodeOptions& options);

// The same for bytes in memory (an upload to `maskdetect serve`); `info` is sniff_media_bytes'
// answer for all of them and must be an image.
DecodedImage decode_image_bytes(const std::string& bytes, const MediaInfo& info,
                                const DecodeOptions& options);

// The most bytes an image within options.max_pixels can take: a compressed image is at most a
// few bytes per pixel, with room for huge metadata.
inline std::uint64_t max_image_bytes(const DecodeOptions& options) {
  return options.max_pixels * 8 + (64U << 20);
}

}  // namespace maskdetect
