#include "maskdetect/media_sniff.hpp"

#include <opencv2/imgcodecs.hpp>
#include <set>

#include "image_headers.hpp"
#include "sniff_source.hpp"

namespace maskdetect {
namespace {

using namespace sniffing;

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

// The image formats OpenCV writes most, by their magic bytes (see sniff()).
std::optional<MediaInfo> common_image(Source& src, const std::string& b, bool whole) {
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
  return std::nullopt;
}

// The rarer image formats: PNM family, JPEG 2000, OpenEXR, Radiance HDR, Sun raster.
std::optional<MediaInfo> other_image(Source& src, const std::string& b) {
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

  return std::nullopt;
}

// Video containers, and the audio files that share their magic bytes.
std::optional<MediaInfo> video_or_audio(const std::string& b) {
  if (starts_with(b, "RIFF") && starts_with(b, "AVI ", 8)) return video("avi");
  if (starts_with(b, "RIFF") && starts_with(b, "WAVE", 8))
    return unsupported("wav", "an audio file, not an image or video");
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

  return std::nullopt;
}

MediaInfo sniff(Source& src) {
  const std::optional<std::uint64_t> size = src.size();
  if (size && *size == 0) {
    MediaInfo info;
    info.reason = "empty file (0 bytes)";
    return info;
  }
  const std::string b(src.head());
  if (auto info = common_image(src, b, size.has_value())) return *info;
  if (auto info = other_image(src, b)) return *info;
  if (auto info = video_or_audio(b)) return *info;
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

bool media_extension(const std::filesystem::path& path) {
  static const std::set<std::string> kMedia = {
      "jpg", "jpeg", "jpe",  "jfif", "png",  "bmp", "dib", "gif", "tif", "tiff", "webp", "jp2",
      "j2k", "jpf",  "jpx",  "pbm",  "pgm",  "ppm", "pnm", "pam", "pfm", "exr",  "hdr",  "pic",
      "ras", "sr",   "heic", "heif", "avif", "mp4", "m4v", "mov", "avi", "mkv",  "webm", "flv",
      "ogv", "mpg",  "mpeg", "ts",   "m2ts", "mts", "3gp", "wmv", "asf", "vob",  "mxf"};
  std::string ext = path.extension().string();
  if (ext.size() < 2) return false;
  ext.erase(0, 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return kMedia.count(ext) > 0;
}

bool not_media(const std::filesystem::path& path, const MediaInfo& info) {
  if (info.kind != FileKind::Unknown || media_extension(path)) return false;
  // Content recognised as an image or video format is media this build cannot read: a failure.
  // Audio shares containers with video but is not media here.
  return info.format.empty() || starts_with(info.reason, "an audio file");
}

}  // namespace maskdetect
