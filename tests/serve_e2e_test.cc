// `maskdetect serve` over HTTP on the loopback interface: the API's answers equal the CLI's,
// every bad upload gets a 4xx with its reason and the server keeps serving, a bounded load test,
// videos, and refusing a port in use. (tests/browser/serve_page.test.js drives its page.)
#include <httplib.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::BackgroundProcess;
using maskdetect::testing::binary;
using maskdetect::testing::fixture;
using maskdetect::testing::q;
using maskdetect::testing::read_report;
using maskdetect::testing::read_text;
using maskdetect::testing::run_maskdetect;
using maskdetect::testing::TempDir;
using nlohmann::json;

namespace {

// A server on a free port, stopped with Ctrl-C when the test ends.
struct Server {
  TempDir logs;
  std::unique_ptr<BackgroundProcess> process;
  int port = 0;

  explicit Server(std::vector<std::string> extra = {}) {
    // The server may answer 413 and close before a large upload is all sent.
    std::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> argv{binary().string(), "serve", "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<BackgroundProcess>(argv, logs.path());
    const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+)/)");
    for (int i = 0; i < 600 && port == 0; ++i) {
      std::smatch m;
      const std::string err = read_text(logs.path() / "bg.stderr");
      if (std::regex_search(err, m, listening))
        port = std::stoi(m[1]);
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(port > 0);
  }
  ~Server() {
    process->kill_group(SIGINT);
    process->wait_for(std::chrono::seconds(10));
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(std::chrono::seconds(600));  // a video under sanitizers
    return c;
  }
  // Peak resident memory of the server so far, in KiB.
  long peak_kib() const {
    std::ifstream status("/proc/" + std::to_string(process->pid()) + "/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return -1;
  }
};

std::string bytes_of(const fs::path& p) { return read_text(p); }

json post(const Server& s, const std::string& path, const std::string& body, int& status,
          const std::string& type = "application/octet-stream") {
  auto res = s.client().Post(path.c_str(), body, type.c_str());
  REQUIRE(res);
  status = res->status;
  return json::parse(res->body);
}

}  // namespace

TEST_CASE("serve: /api/detect answers the CLI's faces for the same photo", "[serve]") {
  Server server;
  int status = 0;
  const fs::path photo = fixture("groups/2008_002079.jpg");
  const json api = post(server, "/api/detect", bytes_of(photo), status);
  REQUIRE(status == 200);
  TempDir out;
  REQUIRE(run_maskdetect("--input " + q(photo) + " --out " + q(out.path())).status == 0);
  const json cli = read_report(out.path()).at("files").at(0);
  CHECK(api.at("width") == cli.at("width"));
  REQUIRE(api.at("faces").size() >= 2);
  CHECK(api.at("faces") == cli.at("faces"));

  // The same as a form upload, as a browser's form or `curl -F image=@photo.jpg` sends it.
  httplib::MultipartFormDataItems form{{"image", bytes_of(photo), "photo.jpg", "image/jpeg"}};
  auto res = server.client().Post("/api/detect", form);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(json::parse(res->body).at("faces") == cli.at("faces"));
}

TEST_CASE("serve: each bad upload gets a 4xx with its reason, and serving goes on", "[serve]") {
  Server server({"--max-upload-mb", "1"});
  const std::string good = bytes_of(fixture("faces/obama-240p.jpg"));
  const std::string big(2 << 20, 'x');
  struct Bad {
    std::string name, body;
    int status;
    std::string reason;
  };
  const std::vector<Bad> cases{
      {"not an image", bytes_of(fixture("bad/not-an-image.jpg")), 415, "not an image"},
      {"truncated", bytes_of(fixture("bad/truncated.jpg")), 422, "truncated"},
      {"pixel bomb", bytes_of(fixture("bad/pixel-bomb-30000x30000.png")), 413, "--max-pixels"},
      {"too large", big, 413, "--max-upload-mb"},
      {"empty", "", 400, "empty upload"},
      {"a video", bytes_of(fixture("video/short_hamilton_clip.mp4")).substr(0, 900000), 415,
       "/api/video"}};
  for (const Bad& bad : cases) {
    INFO(bad.name);
    int status = 0;
    const json answer = post(server, "/api/detect", bad.body, status);
    CHECK(status == bad.status);
    CHECK(answer.at("error").get<std::string>().find(bad.reason) != std::string::npos);
    const json ok = post(server, "/api/detect", good, status);
    CHECK(status == 200);
    CHECK(ok.at("faces").size() == 1);
  }
  auto client = server.client();
  for (const char* path : {"/nope", "/results/", "/../../etc/passwd", "/results/99.mp4"}) {
    INFO(path);
    auto res = client.Get(path);
    REQUIRE(res);
    CHECK(res->status == 404);
    CHECK(json::parse(res->body).contains("error"));
  }
  auto page = client.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Security-Policy").find("default-src 'self'") == 0);
}

TEST_CASE("serve: 200 requests from 8 concurrent clients, no error, bounded memory",
          "[serve][load]") {
  Server server;
  const std::string photo = bytes_of(fixture("faces/obama-240p.jpg"));
  int status = 0;
  REQUIRE(post(server, "/api/detect", photo, status).at("faces").size() == 1);
  const long warm_kib = server.peak_kib();
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  const auto t0 = std::chrono::steady_clock::now();
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      auto client = server.client();
      for (int i = 0; i < 25; ++i) {
        auto res = client.Post("/api/detect", photo, "image/jpeg");
        (res && res->status == 200 ? ok : failed)++;
      }
    });
  }
  for (auto& t : clients) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long peak_kib = server.peak_kib();
  INFO(seconds << " s; peak " << peak_kib / 1024 << " MiB after warm-up " << warm_kib / 1024);
  CHECK(ok == 200);
  CHECK(failed == 0);
  // Bounded: the load adds what 8 requests in flight, their threads' arenas and the engines'
  // buffers need (118 MiB measured, bench/serve_load.py), not memory per request served.
  // Sanitizer builds keep freed memory in quarantine: no limit there.
  if (!maskdetect::testing::sanitized_build()) CHECK(peak_kib - warm_kib < 200 * 1024);
}

TEST_CASE("serve: an uploaded video comes back with its people and an annotated MP4", "[serve]") {
  Server server;
  int status = 0;
  const json answer = post(server, "/api/video?name=clip.mp4",
                           bytes_of(fixture("video/short_hamilton_clip.mp4")), status, "video/mp4");
  REQUIRE(status == 200);
  const json& file = answer.at("file");
  CHECK(file.at("path") == "clip.mp4");
  // Today's count: the speaker, the pianist and people in the audience (3 before Haar's boxes
  // were confirmed by YuNet-n and the cascade asked for 2 neighbours instead of 4).
  CHECK(file.at("people_by_label").at("no_mask") == 7);
  CHECK_FALSE(file.contains("output"));  // no server paths reach the client
  auto video = server.client().Get(file.at("video").get<std::string>().c_str());
  REQUIRE(video);
  CHECK(video->status == 200);
  CHECK(video->get_header_value("Content-Type") == "video/mp4");
  CHECK(video->body.size() > 100000);
  post(server, "/api/video", bytes_of(fixture("faces/obama.jpg")), status);
  CHECK(status == 415);
}

TEST_CASE("serve: a port in use is a setup error, exit 2", "[serve]") {
  Server first;
  const auto r =
      maskdetect::testing::run_command(q(binary()) + " serve --port " + std::to_string(first.port));
  CHECK(r.status == 2);
  CHECK(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port)) !=
        std::string::npos);
}
