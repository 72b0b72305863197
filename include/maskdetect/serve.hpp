// `maskdetect serve`: a small local web app around the same engine and pipeline as the CLI. A
// page to upload photos or a video and to watch the browser's camera analysed live, and a JSON
// API (docs/serve.md) for other programs.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "maskdetect/engine.hpp"
#include "maskdetect/image_decode.hpp"
#include "maskdetect/run.hpp"
#include "maskdetect/stop.hpp"

namespace maskdetect {

struct ServeOptions {
  std::string host = "127.0.0.1";  // loopback: nothing outside this machine reaches it by default
  int port = 8080;                 // 0: any free port (the one chosen is logged)
  // The analysis, exactly as `maskdetect --input` would run it: engine options, --threads (the
  // engines serving photos, and the video pipeline's workers), --max-pixels, --vid-stride...
  RunOptions run;
  std::uint64_t max_upload_bytes = 20ULL << 20;  // one photo
  std::uint64_t max_video_bytes = 200ULL << 20;  // one video
  int max_requests = 8;                          // handled at once; more connections wait
  bool verbose = false;                          // a log line per request
};

// What the API answers: a status and a JSON body ({"error": reason} for a 4xx or 5xx).
struct ApiReply {
  int status = 200;
  nlohmann::json body;
};
ApiReply api_error(int status, const std::string& reason);

// POST /api/detect: one uploaded image judged, decoded (pixel bombs refused from the header, as
// the CLI refuses them) and analysed. 400 empty, 413 too many bytes or pixels, 415 not an image,
// 422 truncated or undecodable; 200 with width, height, faces (report.json's face objects),
// timing_ms and warnings.
ApiReply detect_upload(Engine& engine, const std::string& bytes, const DecodeOptions& decode,
                       std::uint64_t max_bytes);

// Serves until a stop is requested (Ctrl-C, SIGTERM); `on_listening` is called with the bound port
// once requests are accepted. Throws SetupError (model, cascade, address in use).
void serve(const ServeOptions& options, const StopRequest& stop, std::ostream& log,
           const std::function<void(int port)>& on_listening = nullptr);

}  // namespace maskdetect
