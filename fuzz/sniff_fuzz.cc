// Fuzzes media sniffing: sniff_media_bytes on the bytes as a whole file and as a file's head,
// and now and then sniff_media on the same bytes written to a file (the pread path). Contract:
// sniff_media_bytes never throws; sniff_media throws only std::runtime_error for a file it
// cannot read; a size, when found, is positive.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>

#include "maskdetect/media_sniff.hpp"

namespace {

void check(const maskdetect::MediaInfo& info, std::size_t size) {
  const bool sized = info.width > 0 && info.height > 0;
  const bool unsized = info.width == 0 && info.height == 0;
  if (!sized && !unsized) {
    std::fprintf(stderr, "sniff: half a size %dx%d\n", info.width, info.height);
    std::abort();
  }
  if (info.kind == maskdetect::FileKind::Unknown && info.reason.empty() && size > 0) {
    std::fprintf(stderr, "sniff: unknown without a reason\n");
    std::abort();
  }
}

[[noreturn]] void escaped(const char* where, const char* what) {
  std::fprintf(stderr, "sniff: exception escaped %s: %s\n", where, what);
  std::abort();
}

const std::string& scratch_file() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/maskdetect-sniff-fuzz-" +
           std::to_string(::getpid());
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const bool whole : {true, false}) {
    try {
      check(maskdetect::sniff_media_bytes(bytes, whole), size);
    } catch (const std::exception& e) {
      escaped(whole ? "sniff_media_bytes(whole)" : "sniff_media_bytes(head)", e.what());
    } catch (...) {
      escaped("sniff_media_bytes", "not a std::exception");
    }
  }
  // The file path reads through pread with its own offset arithmetic (and asks OpenCV whether
  // it has a decoder): same bytes, written to a scratch file.
  {
    {
      std::ofstream out(scratch_file(), std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    try {
      check(maskdetect::sniff_media(scratch_file()), size);
    } catch (const std::runtime_error&) {
      // Allowed: the file could not be read.
    } catch (const std::exception& e) {
      escaped("sniff_media(path)", e.what());
    }
  }
  return 0;
}
