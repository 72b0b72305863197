#include "maskdetect/serve.hpp"

#include <httplib.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <opencv2/core/utility.hpp>
#include <sstream>
#include <thread>

#include "maskdetect/config.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/web_assets.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace maskdetect {
namespace {

// One engine per worker (engines are not thread-safe). A request waits for a free one at most
// kEngineWait, then is answered 503: photos queue only as long as the server can catch up.
class EnginePool {
 public:
  static constexpr auto kEngineWait = std::chrono::seconds(20);
  EnginePool(const EngineConfig& config, int n) {
    for (int i = 0; i < n; ++i) free_.push_back(make_engine(config));
  }
  template <class F>
  bool with_engine(F&& use) {
    std::unique_ptr<Engine> engine;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!ready_.wait_for(lock, kEngineWait, [&] { return !free_.empty(); })) return false;
      engine = std::move(free_.back());
      free_.pop_back();
    }
    struct Return {
      EnginePool& pool;
      std::unique_ptr<Engine>& engine;
      ~Return() {
        std::lock_guard<std::mutex> lock(pool.mu_);
        pool.free_.push_back(std::move(engine));
        pool.ready_.notify_one();
      }
    } give_back{*this, engine};
    use(*engine);
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_;
  std::vector<std::unique_ptr<Engine>> free_;
};

// Uploaded videos and their annotated copies, in a private temporary folder removed on exit.
// One video is processed at a time (it already uses every worker); the last kKeep results stay
// downloadable by their number, never by a path the client names.
class VideoJobs {
 public:
  static constexpr std::size_t kKeep = 4;
  VideoJobs() {
    std::string pattern = (fs::temp_directory_path() / "maskdetect-serve-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw SetupError("cannot create a temporary folder for videos");
    root_ = pattern;
  }
  ~VideoJobs() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::mutex busy;
  fs::path new_job(int& id) {
    std::lock_guard<std::mutex> lock(mu_);
    id = ++last_id_;
    order_.push_back(id);
    if (order_.size() > kKeep) {
      std::error_code ec;
      fs::remove_all(root_ / std::to_string(order_.front()), ec);
      results_.erase(order_.front());
      order_.pop_front();
    }
    const fs::path dir = root_ / std::to_string(id);
    fs::create_directories(dir);
    return dir;
  }
  void publish(int id, fs::path mp4) {
    std::lock_guard<std::mutex> lock(mu_);
    results_[id] = std::move(mp4);
  }
  std::optional<fs::path> result(int id) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = results_.find(id);
    return it == results_.end() ? std::nullopt : std::optional<fs::path>(it->second);
  }

 private:
  std::mutex mu_;
  fs::path root_;
  int last_id_ = 0;
  std::deque<int> order_;
  std::map<int, fs::path> results_;
};

void reply(httplib::Response& res, const ApiReply& r) {
  res.status = r.status;
  res.set_content(r.body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                  "application/json");
}

// An upload read from the request as it streams in: the form field `field` of a multipart
// request, else the whole body, whatever its Content-Type (a form-urlencoded body, curl's
// default, is not parsed as a form). Refused with 413 once it passes `max` bytes.
struct Upload {
  std::string bytes, name = "upload";
  std::optional<ApiReply> error;
};

Upload read_upload(const httplib::Request& req, const httplib::ContentReader& reader,
                   const std::string& field, std::uint64_t max, const std::string& limit_flag) {
  Upload up;
  if (req.has_param("name")) up.name = req.get_param_value("name");
  const auto too_large = [&] {
    up.error = api_error(413, "upload larger than the limit of " + std::to_string(max >> 20) +
                                  " MiB (" + limit_flag + ")");
  };
  // Past the limit the rest is read and dropped, so that the client, still sending, gets the
  // 413 rather than a reset connection (the server's payload limit bounds what is read).
  const auto keep = [&](const char* data, std::size_t n) {
    if (!up.error && up.bytes.size() + n > max) {
      too_large();
      up.bytes.clear();
      up.bytes.shrink_to_fit();
    }
    if (!up.error) up.bytes.append(data, n);
    return true;
  };
  if (req.is_multipart_form_data()) {
    bool wanted = false;
    const auto part_starts = [&](const httplib::MultipartFormData& part) {
      wanted = part.name == field;
      if (wanted && !part.filename.empty()) up.name = part.filename;
      return true;
    };
    reader(part_starts, [&](const char* data, std::size_t n) { return !wanted || keep(data, n); });
  } else {
    reader(keep);
  }
  return up;
}

struct Server {
  const ServeOptions& o;
  std::shared_ptr<const EngineConfig> config;
  EnginePool engines;
  VideoJobs videos;
  httplib::Server http;

  Server(const ServeOptions& options, std::shared_ptr<const EngineConfig> c, int workers)
      : o(options), config(std::move(c)), engines(*config, workers) {}

  DecodeOptions decode_options() const {
    DecodeOptions d;
    d.max_pixels = o.run.pipeline.max_pixels;
    // Full size, as `maskdetect --input PHOTO` decodes a photo it annotates: the same pixels,
    // so the same faces to the last digit.
    d.reduce_to = 0;
    return d;
  }

  json info() const {
    return {{"tool_version", config::kVersion},
            {"detector", config->detector.engine},
            {"labels", config->card.face_labels()},
            {"roles",
             {{"masked", config->card.masked_label},
              {"unmasked", config->card.unmasked_label},
              {"incorrect", config->card.incorrect_label}}},
            {"max_upload_bytes", o.max_upload_bytes},
            {"max_video_bytes", o.max_video_bytes},
            {"max_pixels", o.run.pipeline.max_pixels}};
  }

  ApiReply detect(const Upload& up) {
    if (up.error) return *up.error;
    ApiReply r;
    const bool served = engines.with_engine(
        [&](Engine& e) { r = detect_upload(e, up.bytes, decode_options(), o.max_upload_bytes); });
    return served ? r : api_error(503, "busy: every engine is in use; try again");
  }

  ApiReply video(const Upload& up);
  void routes();
};

ApiReply Server::video(const Upload& up) {
  if (up.error) return *up.error;
  const std::string& bytes = up.bytes;
  if (bytes.empty())
    return api_error(400,
                     "empty upload: send the video as the request body or as the form "
                     "field 'video'");
  if (bytes.size() > o.max_video_bytes)
    return api_error(413, "video larger than the limit of " +
                              std::to_string(o.max_video_bytes >> 20) + " MiB (--max-video-mb)");
  const MediaInfo info = sniff_media_bytes(bytes, true);
  if (info.kind == FileKind::Image) return api_error(415, "an image: POST photos to /api/detect");
  if (info.kind != FileKind::Video)
    return api_error(415,
                     "not a video: " +
                         (info.reason.empty() ? std::string("unrecognised content") : info.reason));
  std::unique_lock<std::mutex> one_at_a_time(videos.busy, std::try_to_lock);
  if (!one_at_a_time.owns_lock())
    return api_error(503, "busy with another video; try again when it is done");
  int id = 0;
  const fs::path dir = videos.new_job(id);
  const fs::path input = dir / ("upload." + info.format);
  std::ofstream(input, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  RunOptions run = o.run;
  run.pipeline.inputs = {input.string()};
  run.pipeline.out_dir = dir / "out";
  run.console.quiet = true;
  run.console.progress = false;
  run.html = false;
  run.show = false;
  run.jsonl.clear();
  run.fail_on = {};
  std::istringstream no_stdin;
  std::ostringstream data, log;
  run_maskdetect(run, no_stdin, data, log);
  std::ifstream in(run.pipeline.out_dir / "report.json");
  const json report = json::parse(in);
  json file = report.at("files").at(0);
  const std::string output = file.value("output", "");
  for (const char* key : {"output", "frames_file", "timing_ms"}) file.erase(key);
  file["path"] = up.name;
  if (!output.empty() && fs::exists(output)) {
    videos.publish(id, output);
    file["video"] = "/results/" + std::to_string(id) + ".mp4";
  }
  if (file.at("status") != "ok") return api_error(422, file.value("error", "the video failed"));
  return {200, {{"file", file}, {"summary", report.at("summary")}}};
}

void send_file(httplib::Response& res, const fs::path& path, const std::string& type) {
  auto file = std::make_shared<std::ifstream>(path, std::ios::binary);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!*file || ec) {
    reply(res, api_error(404, "that result is no longer kept"));
    return;
  }
  res.set_content_provider(static_cast<std::size_t>(size), type,
                           [file](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             std::vector<char> buf(std::min<std::size_t>(length, 1 << 16));
                             file->clear();
                             file->seekg(static_cast<std::streamoff>(offset));
                             file->read(buf.data(), static_cast<std::streamsize>(buf.size()));
                             const auto got = static_cast<std::size_t>(file->gcount());
                             return got > 0 && sink.write(buf.data(), got);
                           });
}

std::string reason_for(int status) {
  switch (status) {
    case 404:
      return "no such page or API";
    case 405:
      return "method not allowed here";
    case 413:
      return "request body larger than the server accepts (--max-upload-mb, --max-video-mb)";
    case 400:
      return "bad request";
    case 408:
      return "the request took too long to arrive";
    case 414:
      return "URI too long";
    default:
      return "HTTP status " + std::to_string(status);
  }
}

void Server::routes() {
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
                   "style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'");
    res.set_content(web_page("serve.html"), "text/html; charset=utf-8");
  });
  // Browsers ask for it on every page; there is none, and a 404 would be noise in their console.
  http.Get("/favicon.ico",
           [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  http.Get("/api/info", [this](const httplib::Request&, httplib::Response& res) {
    reply(res, {200, info()});
  });
  http.Post("/api/detect", [this](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
    reply(res, detect(read_upload(req, reader, "image", o.max_upload_bytes, "--max-upload-mb")));
  });
  http.Post("/api/video", [this](const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& reader) {
    reply(res, video(read_upload(req, reader, "video", o.max_video_bytes, "--max-video-mb")));
  });
  http.Get(R"(/results/(\d{1,9})\.mp4)",
           [this](const httplib::Request& req, httplib::Response& res) {
             const auto path = videos.result(std::stoi(req.matches[1].str()));
             if (!path)
               return reply(res, api_error(404, "no such result (only the last few are kept)"));
             send_file(res, *path, "video/mp4");
           });
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) reply(res, api_error(res.status, reason_for(res.status)));
  });
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        reply(res, api_error(500, "internal error: " + what));
      });
  http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                            {"Referrer-Policy", "no-referrer"},
                            {"Cache-Control", "no-store"}});
}

}  // namespace

void serve(const ServeOptions& o, const StopRequest& stop, std::ostream& log,
           const std::function<void(int port)>& on_listening) {
  const auto config = std::make_shared<const EngineConfig>(EngineConfig::resolve(o.run.engine));
  const int workers = o.run.pipeline.threads > 0
                          ? o.run.pipeline.threads
                          : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  // As in the CLI's worker pool: parallelism comes from requests served at once, one engine
  // each, and OpenCV's own threads would only oversubscribe the cores. It also makes Haar list
  // its faces in the CLI's order.
  cv::setNumThreads(1);
  // A client that hangs up while its answer is being sent must cost that answer, not the server
  // (install_stop_signals ignores SIGPIPE too; a library caller may not have called it).
  std::signal(SIGPIPE, SIG_IGN);
  Server s(o, config, workers);
  s.routes();
  const int max_requests = o.max_requests;
  s.http.new_task_queue = [max_requests] {
    return new httplib::ThreadPool(static_cast<std::size_t>(max_requests));
  };
  s.http.set_payload_max_length(static_cast<std::size_t>(
      std::max(o.max_upload_bytes, o.max_video_bytes) + (1 << 20)));  // room for form framing
  s.http.set_read_timeout(std::chrono::seconds(30));
  // httplib's default adds SO_REUSEPORT, which would let a second server bind the same port
  // and take half its connections; SO_REUSEADDR alone only allows a quick restart.
  s.http.set_socket_options([](int sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.http.set_write_timeout(std::chrono::seconds(30));
  if (o.verbose)
    s.http.set_logger([&log](const httplib::Request& req, const httplib::Response& res) {
      log << req.method << ' ' << req.path << ' ' << res.status << '\n';
    });
  const int port = o.port == 0 ? s.http.bind_to_any_port(o.host)
                               : (s.http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port <= 0)
    throw SetupError(
        "cannot listen on " + o.host + ":" + std::to_string(o.port) +
        " (in use, or not an address of this machine); choose another --port or --host");
  std::thread listener([&] { s.http.listen_after_bind(); });
  for (int i = 0; i < 1000 && !s.http.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (on_listening) on_listening(port);
  while (!stop.requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  s.http.stop();
  listener.join();
}

}  // namespace maskdetect
