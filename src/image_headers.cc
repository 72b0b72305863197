#include "image_headers.hpp"

namespace maskdetect::sniffing {
namespace {

bool looks_like_scan_data(std::string_view b) {
  for (std::size_t i = 0; i + 1 < b.size(); ++i) {
    if (static_cast<unsigned char>(b[i]) != 0xFF) continue;
    const unsigned next = static_cast<unsigned char>(b[i + 1]);
    if (next != 0x00 && next != 0xFF && !(next >= 0xD0 && next <= 0xD7)) return false;
  }
  return true;
}

}  // namespace

std::string tail(Source& src) {
  const std::uint64_t size = *src.size();
  const std::uint64_t from = size > kTailBytes ? size - kTailBytes : 0;
  return std::string(src.read(from, kTailBytes));
}

// Inside entropy-coded data a 0xFF byte is only ever followed by a stuffed 0x00, a restart
// marker or more fill, so any other pair means the bytes are something else.

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

}  // namespace maskdetect::sniffing
