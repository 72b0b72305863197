// Recognises images and videos by their content (magic bytes), never by their file name, and
// reads image dimensions from headers so oversized images are refused before any decoding.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "maskdetect/types.hpp"

namespace maskdetect {

struct MediaInfo {
  FileKind kind = FileKind::Unknown;
  std::string format;         // "jpeg", "png", "bmp", "webp", "tiff", "pnm", "mp4", "avi", ...
  int width = 0, height = 0;  // from the header when known (images), else 0
  bool truncated = false;     // the container lacks its end marker (JPEG EOI, PNG IEND)
  std::string reason;         // for Unknown: a human-readable reason ("empty file", ...)
};

// Inspects the first bytes (and, for truncation, the last bytes) of a file.
// Throws std::runtime_error only when the file cannot be read at all.
MediaInfo sniff_media(const std::filesystem::path& path);

// The same on bytes already in memory; `whole` says whether `bytes` is the entire file.
MediaInfo sniff_media_bytes(std::string_view bytes, bool whole);

// Whether a file's name claims it is an image or video (.jpg, .png, .mp4, ...; any case).
bool media_extension(const std::filesystem::path& path);

// Whether a file sniffed as Unknown is simply not media, so skipped rather than failed: neither
// its content (an image or video format this build cannot read) nor its name claims it is one.
// A README or an .xml is skipped; a text file named .jpg, an empty .png or a GIF fail.
bool not_media(const std::filesystem::path& path, const MediaInfo& info);

}  // namespace maskdetect
