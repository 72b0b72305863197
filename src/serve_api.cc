#include <chrono>

#include "maskdetect/report.hpp"
#include "maskdetect/serve.hpp"
#include "numbers.hpp"

namespace maskdetect {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string mib(std::uint64_t bytes) {
  return number_text(round_to(static_cast<double>(bytes) / (1 << 20), 0.1)) + " MiB";
}

}  // namespace

ApiReply api_error(int status, const std::string& reason) {
  return {status, {{"error", reason}, {"status", status}}};
}

ApiReply detect_upload(Engine& engine, const std::string& bytes, const DecodeOptions& decode,
                       std::uint64_t max_bytes) {
  if (bytes.empty())
    return api_error(400,
                     "empty upload: send the image as the request body or as the form field "
                     "'image'");
  if (bytes.size() > max_bytes)
    return api_error(413, "upload of " + mib(bytes.size()) + " is larger than the limit of " +
                              mib(max_bytes) + " (--max-upload-mb)");
  const auto t0 = Clock::now();
  const MediaInfo info = sniff_media_bytes(bytes, true);
  if (info.kind == FileKind::Video)
    return api_error(415, "a video (" + info.format + "): POST videos to /api/video");
  if (info.kind != FileKind::Image)
    return api_error(415,
                     "not an image: " +
                         (info.reason.empty() ? std::string("unrecognised content") : info.reason));
  // The CLI decodes what is there of a truncated file; an upload cut short is a failed transfer.
  if (info.truncated)
    return api_error(
        422, "truncated " + info.format + " upload: the file ends before its end-of-image marker");
  const auto pixels = static_cast<std::uint64_t>(info.width) * info.height;
  DecodedImage image;
  try {
    image = decode_image_bytes(bytes, info, decode);
  } catch (const InputError& e) {
    return api_error(pixels > decode.max_pixels ? 413 : 422, e.what());
  }
  const double decode_ms = ms_since(t0);
  const Analysis a = engine.analyze(image.bgr, image.reduction);
  nlohmann::json faces = nlohmann::json::array();
  for (const Face& f : a.faces) faces.push_back(to_json(f));
  return {200,
          {{"width", image.original.width},
           {"height", image.original.height},
           {"format", info.format},
           {"faces", std::move(faces)},
           {"warnings", image.warnings},
           {"timing_ms",
            {{"decode", round_to(decode_ms, 0.01)},
             {"detect", round_to(a.detect_ms, 0.01)},
             {"classify", round_to(a.classify_ms, 0.01)}}}}};
}

}  // namespace maskdetect
