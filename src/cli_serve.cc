#include <iostream>

#include "cli.hpp"
#include "maskdetect/errors.hpp"

namespace maskdetect::cli {

CLI::App* add_serve_command(CLI::App& app, ServeOptions& s, ServeFlags& f) {
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Run a local web app: upload photos or a video, or turn on the browser's camera, and see "
      "each face boxed and labelled, with the same analysis as the command line; and a JSON API "
      "(POST /api/detect) for other programs, see docs/serve.md. Ctrl-C stops it");
  serve
      ->add_option("--host", s.host,
                   "Address to listen on; the default answers this machine only. Anyone who "
                   "can reach the address can use the server")
      ->capture_default_str();
  serve->add_option("--port", s.port, "Port to listen on; 0 = any free port (printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  serve->add_option("--max-upload-mb", f.max_upload_mb, "Largest photo accepted, in MiB")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 4096.0));
  serve->add_option("--max-video-mb", f.max_video_mb, "Largest video accepted, in MiB")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 16384.0));
  serve
      ->add_option("--max-requests", s.max_requests,
                   "Requests handled at once; further connections wait their turn")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  serve
      ->add_option("--threads", s.run.pipeline.threads,
                   "Photos analysed at once (one engine each), and a video's workers; 0 = one "
                   "per core")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  serve
      ->add_option("--max-pixels", s.run.pipeline.max_pixels,
                   "Refuse photos and videos whose frames have more pixels than this, from "
                   "their headers")
      ->capture_default_str()
      ->check(CLI::Range(static_cast<std::uint64_t>(1), static_cast<std::uint64_t>(1) << 40));
  serve->add_option("--model", f.model, "Classifier ONNX file [default: the installed model]")
      ->type_name("PATH");
  serve->add_option("--threshold", s.run.engine.threshold, "A face is mask when P(mask) >= this")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  add_face_threshold_option(*serve, s.run.engine.face_threshold);
  add_detector_options(*serve, s.run.engine.detector);
  serve->add_flag("-v,--verbose", s.verbose, "Print a line per request");
  return serve;
}

int serve_command(ServeOptions& s, const ServeFlags& f) {
  s.run.engine.model = f.model;
  s.max_upload_bytes = static_cast<std::uint64_t>(f.max_upload_mb * (1 << 20));
  s.max_video_bytes = static_cast<std::uint64_t>(f.max_video_mb * (1 << 20));
  install_stop_signals(stop_request());
  try {
    serve(s, stop_request(), std::cerr, [&s](int port) {
      std::cerr << "maskdetect serve: listening on http://" << s.host << ':' << port
                << "/ (Ctrl-C stops)" << std::endl;
    });
    return 0;
  } catch (const SetupError& err) {
    std::cerr << "maskdetect serve: " << err.what() << '\n';
    return 2;
  }
}

}  // namespace maskdetect::cli
