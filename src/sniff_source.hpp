// The pieces media sniffing is built from (private to media_sniff.cc and image_headers.cc):
// random access to a file's or a buffer's bytes that never reads out of range, endian readers,
// and the MediaInfo constructors.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "maskdetect/media_sniff.hpp"

namespace maskdetect::sniffing {

constexpr std::size_t kHeadBytes = 4096;
// How far from the end an end marker may sit: writers and transfers sometimes leave padding or
// a little junk after it, and this stays a single small read.
constexpr std::size_t kTailBytes = 4096;
// What a read past the head fetches at least (see FileSource::read).
constexpr std::size_t kWindowBytes = 4096;
constexpr const char* kUnrecognised = "not an image or video (unrecognised content)";

// Random access to the file's bytes: the head is kept in memory, anything else is read on
// demand, so a JPEG with a 1 MB EXIF block or a TIFF whose directory sits at the end costs a
// few small reads instead of a read of the whole file.
class Source {
 public:
  virtual ~Source() = default;
  // Up to `n` bytes at `offset`; fewer (or none) past the end of what is available.
  virtual std::string_view read(std::uint64_t offset, std::size_t n) = 0;
  // The file size when known (the whole file is available to `read`).
  virtual std::optional<std::uint64_t> size() const = 0;
  std::string_view head() { return read(0, kHeadBytes); }
};

class MemorySource : public Source {
 public:
  MemorySource(std::string_view bytes, bool whole) : bytes_(bytes), whole_(whole) {}
  std::string_view read(std::uint64_t offset, std::size_t n) override {
    if (offset >= bytes_.size()) return {};
    return bytes_.substr(offset, n);
  }
  std::optional<std::uint64_t> size() const override {
    if (whole_) return bytes_.size();
    return std::nullopt;
  }

 private:
  std::string_view bytes_;
  bool whole_;
};

class FileSource : public Source {
 public:
  FileSource(int fd, std::uint64_t size) : fd_(fd), size_(size) {
    head_ = pread_at(0, static_cast<std::size_t>(std::min<std::uint64_t>(size, kHeadBytes)));
  }
  std::string_view read(std::uint64_t offset, std::size_t n) override {
    // Offsets come from untrusted headers: compare by subtraction so none can wrap around.
    if (offset >= size_) return {};
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - offset));
    if (offset < head_.size() && n <= head_.size() - offset)
      return std::string_view(head_).substr(static_cast<std::size_t>(offset), n);
    if (offset >= window_at_ && offset - window_at_ < window_.size() &&
        n <= window_.size() - (offset - window_at_))
      return std::string_view(window_).substr(static_cast<std::size_t>(offset - window_at_), n);
    // A small window rather than exactly `n` bytes: walks of many small records (JPEG
    // segments) then cost one read per window, while long records are skipped by seeking.
    window_at_ = offset;
    window_ = pread_at(offset, static_cast<std::size_t>(std::min<std::uint64_t>(
                                   std::max(n, kWindowBytes), size_ - offset)));
    return std::string_view(window_).substr(0, std::min(n, window_.size()));
  }
  std::optional<std::uint64_t> size() const override { return size_; }

 private:
  std::string pread_at(std::uint64_t offset, std::size_t n) {
    std::string buf(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(fd_, buf.data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw std::runtime_error(std::string("cannot read file: ") + std::strerror(errno));
      if (r == 0) break;  // the file shrank under us: judge what is there
      got += static_cast<std::size_t>(r);
    }
    buf.resize(got);
    return buf;
  }

  int fd_;
  std::uint64_t size_;
  std::string head_;
  std::uint64_t window_at_ = 0;
  std::string window_;
};

inline std::uint32_t be16(std::string_view b, std::size_t i) {
  return (std::uint32_t{static_cast<unsigned char>(b[i])} << 8) |
         static_cast<unsigned char>(b[i + 1]);
}
inline std::uint32_t be32(std::string_view b, std::size_t i) {
  return (be16(b, i) << 16) | be16(b, i + 2);
}
inline std::uint32_t le16(std::string_view b, std::size_t i) {
  return (std::uint32_t{static_cast<unsigned char>(b[i + 1])} << 8) |
         static_cast<unsigned char>(b[i]);
}
inline std::uint32_t le32(std::string_view b, std::size_t i) {
  return (le16(b, i + 2) << 16) | le16(b, i);
}
inline std::uint64_t be64(std::string_view b, std::size_t i) {
  return (std::uint64_t{be32(b, i)} << 32) | be32(b, i + 4);
}
inline std::uint64_t le64(std::string_view b, std::size_t i) {
  return (std::uint64_t{le32(b, i + 4)} << 32) | le32(b, i);
}

inline bool starts_with(std::string_view b, std::string_view prefix, std::size_t at = 0) {
  return b.size() >= at + prefix.size() && b.substr(at, prefix.size()) == prefix;
}

// Sizes come from untrusted headers; anything that does not fit an int is reported as unknown
// rather than wrapped around.
inline void set_size(MediaInfo& info, std::uint64_t w, std::uint64_t h) {
  constexpr std::uint64_t kMax = 0x7fffffff;
  if (w == 0 || h == 0 || w > kMax || h > kMax) return;
  info.width = static_cast<int>(w);
  info.height = static_cast<int>(h);
}

inline MediaInfo image(std::string format) {
  MediaInfo info;
  info.kind = FileKind::Image;
  info.format = std::move(format);
  return info;
}

inline MediaInfo video(std::string format) {
  MediaInfo info;
  info.kind = FileKind::Video;
  info.format = std::move(format);
  return info;
}

inline MediaInfo unsupported(std::string format, const std::string& what) {
  MediaInfo info;
  info.format = std::move(format);
  info.reason = what;
  return info;
}

}  // namespace maskdetect::sniffing
