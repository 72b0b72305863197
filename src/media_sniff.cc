#include "maskdetect/media_sniff.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <stdexcept>

namespace maskdetect {
namespace {

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

std::uint32_t be16(std::string_view b, std::size_t i) {
  return (std::uint32_t{static_cast<unsigned char>(b[i])} << 8) |
         static_cast<unsigned char>(b[i + 1]);
}
std::uint32_t be32(std::string_view b, std::size_t i) {
  return (be16(b, i) << 16) | be16(b, i + 2);
}
std::uint32_t le16(std::string_view b, std::size_t i) {
  return (std::uint32_t{static_cast<unsigned char>(b[i + 1])} << 8) |
         static_cast<unsigned char>(b[i]);
}
std::uint32_t le32(std::string_view b, std::size_t i) {
  return (le16(b, i + 2) << 16) | le16(b, i);
}
std::uint64_t be64(std::string_view b, std::size_t i) {
  return (std::uint64_t{be32(b, i)} << 32) | be32(b, i + 4);
}
std::uint64_t le64(std::string_view b, std::size_t i) {
  return (std::uint64_t{le32(b, i + 4)} << 32) | le32(b, i);
}

bool starts_with(std::string_view b, std::string_view prefix, std::size_t at = 0) {
  return b.size() >= at + prefix.size() && b.substr(at, prefix.size()) == prefix;
}

// Sizes come from untrusted headers; anything that does not fit an int is reported as unknown
// rather than wrapped around.
void set_size(MediaInfo& info, std::uint64_t w, std::uint64_t h) {
  constexpr std::uint64_t kMax = 0x7fffffff;
  if (w == 0 || h == 0 || w > kMax || h > kMax) return;
  info.width = static_cast<int>(w);
  info.height = static_cast<int>(h);
}

MediaInfo image(std::string format) {
  MediaInfo info;
  info.kind = FileKind::Image;
  info.format = std::move(format);
  return info;
}

MediaInfo video(std::string format) {
  MediaInfo info;
  info.kind = FileKind::Video;
  info.format = std::move(format);
  return info;
}

MediaInfo unsupported(std::string format, const std::string& what) {
  MediaInfo info;
  info.format = std::move(format);
  info.reason = what;
  return info;
}

std::string tail(Source& src) {
  const std::uint64_t size = *src.size();
  const std::uint64_t from = size > kTailBytes ? size - kTailBytes : 0;
  return std::string(src.read(from, kTailBytes));
}

// Inside entropy-coded data a 0xFF byte is only ever followed by a stuffed 0x00, a restart
// marker or more fill, so any other pair means the bytes are something else.
bool looks_like_scan_data(std::string_view b) {
  for (std::size_t i = 0; i + 1 < b.size(); ++i) {
    if (static_cast<unsigned char>(b[i]) != 0xFF) continue;
    const unsigned next = static_cast<unsigned char>(b[i + 1]);
    if (next != 0x00 && next != 0xFF && !(next >= 0xD0 && next <= 0xD7)) return false;
  }
  return true;
}

// A JPEG ends with EOI, perhaps followed by a little padding. When there is none near the end,
// either the file was cut inside the compressed data (the tail still looks like it), or cut in
// its headers (no frame header was found), or something bigger was appended after a complete
// image (motion photos carry a whole MP4 there): only the first two are truncation.
bool jpeg_truncated(Source& src, const MediaInfo& info) {
  const std::string t = tail(src);
  if (t.find("\xFF\xD9") != std::string::npos) return false;
  // Only bytes after the last scan header are compressed data (progressive files have tables
  // between scans).
  std::size_t start = 0;
  const std::size_t sos = t.rfind("\xFF\xDA");
  if (sos != std::string::npos && sos + 4 <= t.size()) start = sos + 2 + be16(t, sos + 2);
  return info.width == 0 ||
         looks_like_scan_data(std::string_view(t).substr(std::min(start, t.size())));
}

void jpeg_size(Source& src, MediaInfo& info) {
  // Markers are walked by their lengths; APPn segments (EXIF, ICC, XMP) can be hundreds of KB,
  // so each header is read where it sits instead of hoping it is in the first few KB. There is
  // no limit on the number of segments: a frame header hidden after thousands of comments must
  // still be found, or a pixel bomb would pass as "size unknown". Every step moves forward and
  // reads stay small (the file source reads a window at a time), so a walk costs at most one
  // pass over the file's segment headers.
  std::uint64_t pos = 2;
  for (;;) {
    // Marker, length and (for a frame header) the size in one read.
    const std::string_view b = src.read(pos, 9);
    if (b.size() < 2 || static_cast<unsigned char>(b[0]) != 0xFF) return;
    const unsigned marker = static_cast<unsigned char>(b[1]);
    if (marker == 0xFF) {  // fill byte before the real marker
      ++pos;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length field
      pos += 2;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return;  // end or scan data before any frame header
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (b.size() == 9) set_size(info, be16(b, 7), be16(b, 5));
      return;
    }
    if (b.size() < 4 || be16(b, 2) < 2) return;
    pos += 2 + be16(b, 2);
  }
}

void tiff_size(Source& src, MediaInfo& info, bool little, bool big) {
  auto u16 = [&](std::string_view b, std::size_t i) { return little ? le16(b, i) : be16(b, i); };
  auto u32 = [&](std::string_view b, std::size_t i) { return little ? le32(b, i) : be32(b, i); };
  auto u64 = [&](std::string_view b, std::size_t i) { return little ? le64(b, i) : be64(b, i); };
  std::string_view h = src.read(0, 16);
  if (h.size() < (big ? 16u : 8u)) return;
  const std::uint64_t ifd = big ? u64(h, 8) : u32(h, 4);
  const std::size_t count_bytes = big ? 8 : 2, entry_bytes = big ? 20 : 12;
  std::string_view c = src.read(ifd, count_bytes);
  if (c.size() < count_bytes) return;
  const std::uint64_t count = std::min<std::uint64_t>(big ? u64(c, 0) : u16(c, 0), 1000);
  // Copied: the next read may reuse the buffer behind the view.
  const std::string entries(
      src.read(ifd + count_bytes, static_cast<std::size_t>(count * entry_bytes)));
  std::uint64_t w = 0, h_px = 0;
  for (std::size_t i = 0; i + entry_bytes <= entries.size(); i += entry_bytes) {
    const std::uint32_t tag = u16(entries, i), type = u16(entries, i + 2);
    const std::size_t value = i + (big ? 12 : 8);
    std::uint64_t v = 0;
    if (type == 3)
      v = u16(entries, value);  // SHORT
    else if (type == 4)
      v = u32(entries, value);  // LONG
    else if (type == 16 && big)
      v = u64(entries, value);  // LONG8
    else
      continue;
    if (tag == 256) w = v;
    if (tag == 257) h_px = v;
  }
  set_size(info, w, h_px);
}

void webp_size(std::string_view b, MediaInfo& info) {
  if (starts_with(b, "VP8 ", 12) && b.size() >= 30 && starts_with(b, "\x9d\x01\x2a", 23)) {
    set_size(info, le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF);
  } else if (starts_with(b, "VP8L", 12) && b.size() >= 25 && b[20] == 0x2F) {
    const std::uint32_t bits = le32(b, 21);
    set_size(info, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
  } else if (starts_with(b, "VP8X", 12) && b.size() >= 30) {
    const auto u24 = [&](std::size_t i) {
      return le16(b, i) | (std::uint32_t{static_cast<unsigned char>(b[i + 2])} << 16);
    };
    set_size(info, u24(24) + 1, u24(27) + 1);
  }
}

// Netpbm headers: magic, then whitespace-separated decimal fields with '#' comments between.
void pnm_size(std::string_view b, MediaInfo& info) {
  std::size_t i = 2;
  auto number = [&]() -> std::uint64_t {
    for (;;) {
      while (i < b.size() && std::isspace(static_cast<unsigned char>(b[i]))) ++i;
      if (i < b.size() && b[i] == '#') {
        while (i < b.size() && b[i] != '\n' && b[i] != '\r') ++i;
        continue;
      }
      break;
    }
    std::uint64_t v = 0;
    int digits = 0;
    while (i < b.size() && std::isdigit(static_cast<unsigned char>(b[i])) && digits < 12) {
      v = v * 10 + static_cast<std::uint64_t>(b[i++] - '0');
      ++digits;
    }
    return digits ? v : 0;
  };
  const std::uint64_t w = number();
  const std::uint64_t h = number();
  set_size(info, w, h);
}

// PAM (P7) names its fields: "WIDTH 640\nHEIGHT 480\n...ENDHDR".
void pam_size(std::string_view b, MediaInfo& info) {
  auto field = [&](std::string_view name) -> std::uint64_t {
    std::size_t at = b.find(name);
    if (at == std::string_view::npos) return 0;
    at += name.size();
    while (at < b.size() && (b[at] == ' ' || b[at] == '\t')) ++at;
    std::uint64_t v = 0;
    for (int d = 0; at < b.size() && std::isdigit(static_cast<unsigned char>(b[at])) && d < 12; ++d)
      v = v * 10 + static_cast<std::uint64_t>(b[at++] - '0');
    return v;
  };
  set_size(info, field("\nWIDTH"), field("\nHEIGHT"));
}

void jp2_size(Source& src, MediaInfo& info) {
  // Top-level boxes up to the header superbox, whose first child (ihdr) holds the size.
  std::uint64_t pos = 0;
  for (int boxes = 0; boxes < 64; ++boxes) {
    std::string_view b = src.read(pos, 16);
    if (b.size() < 8) return;
    std::uint64_t len = be32(b, 0), header = 8;
    if (len == 1 && b.size() >= 16) {
      len = be64(b, 8);
      header = 16;
    }
    if (starts_with(b, "jp2h", 4)) {
      b = src.read(pos + header, 16);
      if (b.size() == 16 && starts_with(b, "ihdr", 4)) set_size(info, be32(b, 12), be32(b, 8));
      return;
    }
    if (len < header) return;  // 0 means "to the end of the file": no header follows
    pos += len;
  }
}

void exr_size(Source& src, MediaInfo& info) {
  // Attributes: name\0 type\0 size(LE32) value, up to an empty name.
  std::uint64_t pos = 8;
  for (int attrs = 0; attrs < 256; ++attrs) {
    const std::string b(src.read(pos, 512));
    const std::size_t name_end = b.find('\0');
    if (name_end == std::string::npos || name_end == 0) return;
    const std::size_t type_end = b.find('\0', name_end + 1);
    if (type_end == std::string::npos || type_end + 5 > b.size()) return;
    const std::uint32_t size = le32(b, type_end + 1);
    const std::size_t value = type_end + 5;
    if (b.compare(0, name_end, "dataWindow") == 0 && size == 16 && value + 16 <= b.size()) {
      const auto i32 = [&](std::size_t i) {
        return static_cast<std::int64_t>(static_cast<std::int32_t>(le32(b, i)));
      };
      const std::int64_t w = i32(value + 8) - i32(value) + 1,
                         h = i32(value + 12) - i32(value + 4) + 1;
      if (w > 0 && h > 0)
        set_size(info, static_cast<std::uint64_t>(w), static_cast<std::uint64_t>(h));
      return;
    }
    pos += value + size;
  }
}

// Radiance: text header lines, a blank line, then "-Y <height> +X <width>".
void hdr_size(std::string_view b, MediaInfo& info) {
  const std::size_t blank = b.find("\n\n");
  if (blank == std::string_view::npos) return;
  const std::string line(b.substr(blank + 2, b.find('\n', blank + 2) - (blank + 2)));
  char ya = 0, yc = 0, xa = 0, xc = 0;
  unsigned long long a = 0, c = 0;
  if (std::sscanf(line.c_str(), "%c%c %llu %c%c %llu", &ya, &yc, &a, &xa, &xc, &c) != 6) return;
  if (yc == 'Y' && xc == 'X') set_size(info, c, a);
  if (yc == 'X' && xc == 'Y') set_size(info, a, c);
}

MediaInfo iso_media(std::string_view b) {
  // ISO base media: the brands say whether this is a movie or a still image (HEIF, AVIF).
  const std::uint32_t box = be32(b, 0);
  std::string_view brands =
      b.substr(8, std::min<std::size_t>(box >= 16 ? box - 8 : 8, b.size() - 8));
  auto has = [&](std::string_view brand) {
    for (std::size_t i = 0; i + 4 <= brands.size(); i += 4)
      if (i != 4 && brands.substr(i, 4) == brand) return true;  // [4,8) is the minor version
    return false;
  };
  const std::string_view major = brands.substr(0, 4);
  if (major == "avif" || major == "avis" || (has("avif") && !has("isom") && !has("mp42")))
    return unsupported("avif", "AVIF images are not supported by this OpenCV build");
  for (std::string_view heif : {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"})
    if (major == heif)
      return unsupported("heic", "HEIF/HEIC images are not supported by this OpenCV build");
  if (major == "M4A " || major == "M4B " || major == "M4P ")
    return unsupported("m4a", "an audio file, not an image or video");
  if (major == "qt  ") return video("mov");
  if (starts_with(major, "3g")) return video("3gp");
  return video("mp4");
}

MediaInfo sniff(Source& src) {
  const std::optional<std::uint64_t> size = src.size();
  if (size && *size == 0) {
    MediaInfo info;
    info.reason = "empty file (0 bytes)";
    return info;
  }
  const std::string b(src.head());
  const bool whole = size.has_value();

  if (starts_with(b, "\xFF\xD8\xFF")) {
    MediaInfo info = image("jpeg");
    jpeg_size(src, info);
    if (whole) info.truncated = jpeg_truncated(src, info);
    return info;
  }
  if (starts_with(b, "\x89PNG\r\n\x1a\n")) {
    MediaInfo info = image("png");
    if (b.size() >= 24 && starts_with(b, "IHDR", 12)) set_size(info, be32(b, 16), be32(b, 20));
    if (whole) info.truncated = tail(src).find("IEND") == std::string::npos;
    return info;
  }
  if (starts_with(b, "GIF87a") || starts_with(b, "GIF89a")) {
    MediaInfo info = unsupported("gif", "GIF images are not supported by this OpenCV build");
    if (b.size() >= 10) set_size(info, le16(b, 6), le16(b, 8));
    return info;
  }
  if (starts_with(b, "BM") && b.size() >= 26) {
    // "BM" alone is too weak (a text file may start so): require a known DIB header size.
    const std::uint32_t dib = le32(b, 14);
    if (dib == 12) {
      MediaInfo info = image("bmp");
      set_size(info, le16(b, 18), le16(b, 20));
      return info;
    }
    if (dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124) {
      MediaInfo info = image("bmp");
      const auto height = static_cast<std::int32_t>(le32(b, 22));  // negative: top-down rows
      const std::int64_t h = height < 0 ? -static_cast<std::int64_t>(height) : height;
      set_size(info, le32(b, 18), static_cast<std::uint64_t>(h));
      return info;
    }
  }
  const bool tiff_le = starts_with(b, std::string_view("II*\0", 4)),
             tiff_be = starts_with(b, std::string_view("MM\0*", 4)),
             bigtiff_le = starts_with(b, std::string_view("II+\0", 4)),
             bigtiff_be = starts_with(b, std::string_view("MM\0+", 4));
  if (tiff_le || tiff_be || bigtiff_le || bigtiff_be) {
    MediaInfo info = image("tiff");
    tiff_size(src, info, tiff_le || bigtiff_le, bigtiff_le || bigtiff_be);
    return info;
  }
  if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) {
    MediaInfo info = image("webp");
    webp_size(b, info);
    return info;
  }
  if (starts_with(b, "RIFF") && starts_with(b, "AVI ", 8)) return video("avi");
  if (starts_with(b, "RIFF") && starts_with(b, "WAVE", 8))
    return unsupported("wav", "an audio file, not an image or video");
  if (b.size() >= 3 && b[0] == 'P' && std::isspace(static_cast<unsigned char>(b[2]))) {
    // Two letters and a space also start plenty of text files: only a parsable size counts.
    MediaInfo info;
    if (b[1] >= '1' && b[1] <= '6') {
      info = image("pnm");
      pnm_size(b, info);
    } else if (b[1] == '7') {
      info = image("pam");
      pam_size(b, info);
    } else if (b[1] == 'F' || b[1] == 'f') {
      info = image("pfm");
      pnm_size(b, info);
    }
    if (info.width > 0) return info;
  }
  if (starts_with(b, std::string_view("\0\0\0\x0CjP  \r\n\x87\n", 12))) {
    MediaInfo info = image("jpeg2000");
    jp2_size(src, info);
    return info;
  }
  if (starts_with(b, "\xFF\x4F\xFF\x51") && b.size() >= 24) {  // raw codestream, SIZ first
    MediaInfo info = image("jpeg2000");
    set_size(info, be32(b, 8) - std::min(be32(b, 8), be32(b, 16)),
             be32(b, 12) - std::min(be32(b, 12), be32(b, 20)));
    return info;
  }
  if (starts_with(b, "\x76\x2F\x31\x01")) {
    MediaInfo info = image("exr");
    exr_size(src, info);
    return info;
  }
  if (starts_with(b, "#?RADIANCE") || starts_with(b, "#?RGBE")) {
    MediaInfo info = image("hdr");
    hdr_size(b, info);
    return info;
  }
  if (starts_with(b, "\x59\xA6\x6A\x95")) {
    MediaInfo info = image("sunras");
    if (b.size() >= 12) set_size(info, be32(b, 4), be32(b, 8));
    return info;
  }

  // Videos.
  if (b.size() >= 12 && starts_with(b, "ftyp", 4)) return iso_media(b);
  if (starts_with(b, "\x1A\x45\xDF\xA3"))
    return video(b.substr(0, 64).find("webm") != std::string::npos ? "webm" : "mkv");
  if (starts_with(b, "FLV\x01")) return video("flv");
  if (starts_with(b, "OggS")) {
    if (b.find("\x80theora") != std::string::npos) return video("ogg");
    if (b.find("\x01vorbis") != std::string::npos || b.find("OpusHead") != std::string::npos ||
        b.find("\x7f"
               "FLAC") != std::string::npos)
      return unsupported("ogg", "an audio file, not an image or video");
    return video("ogg");
  }
  if (starts_with(b, std::string_view("\0\0\x01\xBA", 4))) return video("mpeg-ps");
  if (starts_with(b, std::string_view("\0\0\x01\xB3", 4))) return video("mpeg");
  if (starts_with(b, "\x30\x26\xB2\x75\x8E\x66\xCF\x11")) return video("asf");
  // Transport streams: a sync byte at every packet start (188 bytes, or 192 for M2TS).
  for (const std::size_t packet : {188u, 192u}) {
    const std::size_t first = packet == 192 ? 4 : 0;
    // Four packets: one 'G' at the right places is too easy for a text file to hit by chance.
    int syncs = 0;
    for (std::size_t at = first; at < b.size() && syncs < 4 && b[at] == 0x47; at += packet) ++syncs;
    if (syncs == 4) return video(packet == 188 ? "mpeg-ts" : "m2ts");
  }

  MediaInfo info;
  info.reason = kUnrecognised;
  return info;
}

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

MediaInfo sniff_media_bytes(std::string_view bytes, bool whole) {
  MemorySource src(bytes, whole);
  return sniff(src);
}

MediaInfo sniff_media(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw std::runtime_error("cannot read file: " + lower_first(std::strerror(errno)));
  if (S_ISDIR(st.st_mode)) throw std::runtime_error("cannot read file: is a directory");
  if (!S_ISREG(st.st_mode)) {
    // A FIFO or device would block or stream forever; neither is a photo or a video file.
    MediaInfo info;
    info.reason = "not a regular file (a pipe, socket or device)";
    return info;
  }
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (f.fd < 0) throw std::runtime_error("cannot read file: " + lower_first(std::strerror(errno)));
  if (::fstat(f.fd, &st) != 0)
    throw std::runtime_error("cannot read file: " + lower_first(std::strerror(errno)));
  FileSource src(f.fd, static_cast<std::uint64_t>(st.st_size));
  MediaInfo info = sniff(src);
  if (info.kind == FileKind::Image) {
    // The build may lack a codec we recognise (WebP, JPEG 2000, ...): say so now rather than
    // fail later with a vaguer "cannot decode".
    bool readable = true;
    try {
      readable = cv::haveImageReader(path.string());
    } catch (const cv::Exception&) {
    }
    if (!readable) {
      std::string name = info.format;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      info.kind = FileKind::Unknown;
      info.reason = name + " images are not supported by this OpenCV build";
    }
  }
  return info;
}

}  // namespace maskdetect
