// End-to-end tests of video as people see it: tracks and people in the reports, the sound kept,
// live streams over the loopback interface, cameras, and the --show window under Xvfb.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <thread>

#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::BackgroundProcess;
using maskdetect::testing::fixture;
using maskdetect::testing::json_lines;
using maskdetect::testing::q;
using maskdetect::testing::read_report;
using maskdetect::testing::read_text;
using maskdetect::testing::run_command;
using maskdetect::testing::run_maskdetect;
using maskdetect::testing::schema_errors;
using maskdetect::testing::TempDir;
using json = nlohmann::json;

namespace {

fs::path clip() { return fixture("video/short_hamilton_clip.mp4"); }

// Duration in seconds of the file's first stream of `type` ("a" or "v"); -1 when there is none.
double stream_duration(const fs::path& file, const std::string& type) {
  const auto r = run_command("ffprobe -v error -select_streams " + type +
                             " -show_entries stream=duration -of csv=p=0 " + q(file));
  if (r.status != 0 || r.out.empty() || r.out == "N/A\n") return -1;
  return std::atof(r.out.c_str());
}

int stream_count(const fs::path& file, const std::string& type) {
  const auto r = run_command("ffprobe -v error -select_streams " + type +
                             " -show_entries stream=index -of csv=p=0 " + q(file));
  return static_cast<int>(maskdetect::testing::split_lines(r.out).size());
}

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The fixture served as an MPEG-TS stream at its own pace over HTTP on the loopback interface,
// for one client; `seconds` (0: all of it) cuts it short, as a camera that goes away.
std::unique_ptr<BackgroundProcess> serve_clip(int port, const fs::path& logs, double seconds = 0) {
  std::vector<std::string> argv{"ffmpeg", "-hide_banner", "-loglevel",    "error",
                                "-re",    "-i",           clip().string()};
  if (seconds > 0) {
    argv.push_back("-t");
    argv.push_back(std::to_string(seconds));
  }
  for (const char* a : {"-c", "copy", "-f", "mpegts", "-listen", "1"}) argv.push_back(a);
  argv.push_back("http://127.0.0.1:" + std::to_string(port) + "/live.ts");
  auto server = std::make_unique<BackgroundProcess>(argv, logs);
  // ffmpeg listens within a few hundred ms; a client that came earlier would be refused.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  return server;
}

json only_file(const json& report) {
  REQUIRE(report.at("files").size() == 1);
  return report.at("files").at(0);
}

}  // namespace

TEST_CASE("a video's report counts people from tracks, and its frames carry track ids",
          "[e2e][video][tracks]") {
  TempDir out;
  const auto r = run_maskdetect("--input " + q(clip()) + " --out " + q(out.path()));
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json rep = read_report(out.path());
  CHECK(schema_errors(out.path() / "report.json").empty());
  const json e = only_file(rep);
  REQUIRE(e.at("tracks").is_array());
  REQUIRE(!e.at("tracks").empty());
  std::int64_t people = 0;
  std::set<std::int64_t> ids;
  for (const json& t : e.at("tracks")) {
    ids.insert(t.at("id").get<std::int64_t>());
    CHECK(t.at("first_s").get<double>() <= t.at("last_s").get<double>());
    CHECK(t.at("detections").get<std::int64_t>() <= t.at("frames").get<std::int64_t>());
    if (t.at("person").get<bool>()) ++people;
  }
  std::int64_t by_label = 0;
  for (const auto& [label, n] : e.at("people_by_label").items()) by_label += n.get<std::int64_t>();
  CHECK(by_label == people);
  CHECK(rep.at("summary").at("people") == people);
  // One person is in front of the camera for most of the clip: a handful of tracks, not one
  // face per frame.
  CHECK(people >= 1);
  CHECK(people < e.at("frames").get<std::int64_t>() / 10);
  // Every face of every frame belongs to a listed track.
  std::int64_t faces = 0;
  for (const json& line : json_lines(read_text(e.at("frames_file").get<std::string>())))
    for (const json& f : line.at("faces")) {
      ++faces;
      CHECK(ids.count(f.at("track").get<std::int64_t>()) == 1);
    }
  CHECK(faces > 0);
  // The summary names people, not per-frame faces.
  CHECK(r.err.find(std::to_string(people) + (people == 1 ? " person" : " people")) !=
        std::string::npos);
}

TEST_CASE("the annotated MP4 keeps the source's sound, and --no-audio drops it",
          "[e2e][video][audio]") {
  const double source_audio = stream_duration(clip(), "a");
  REQUIRE(source_audio > 9.5);
  TempDir out;
  auto r = run_maskdetect("--input " + q(clip()) + " --out " + q(out.path() / "with"));
  INFO(r.err);
  REQUIRE(r.status == 0);
  const fs::path with = only_file(read_report(out.path() / "with")).at("output").get<std::string>();
  CHECK(stream_count(with, "a") == 1);
  CHECK(stream_duration(with, "a") == Approx(source_audio).margin(0.1));
  const auto codec = run_command(
      "ffprobe -v error -select_streams a -show_entries "
      "stream=codec_name -of csv=p=0 " +
      q(with));
  CHECK(codec.out == "aac\n");  // copied, not re-encoded

  r = run_maskdetect("--input " + q(clip()) + " --out " + q(out.path() / "without") +
                     " --no-audio");
  REQUIRE(r.status == 0);
  const fs::path without =
      only_file(read_report(out.path() / "without")).at("output").get<std::string>();
  CHECK(stream_count(without, "a") == 0);
  CHECK(stream_count(without, "v") == 1);
}

TEST_CASE("a video cut with --start and --end keeps the sound of that part",
          "[e2e][video][audio]") {
  TempDir out;
  const auto r =
      run_maskdetect("--input " + q(clip()) + " --out " + q(out.path()) + " --start 2 --end 0:05");
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json e = only_file(read_report(out.path()));
  const auto frames = e.at("frames").get<std::int64_t>();
  CHECK(frames == Approx(3 * 29.97).margin(2));
  const auto lines = json_lines(read_text(e.at("frames_file").get<std::string>()));
  REQUIRE(!lines.empty());
  CHECK(lines.front().at("time_ms").get<double>() >= 2000);
  CHECK(lines.back().at("time_ms").get<double>() < 5000);
  const fs::path written = e.at("output").get<std::string>();
  CHECK(stream_duration(written, "a") == Approx(3.0).margin(0.15));
}

TEST_CASE("a live HTTP stream is read to its end, with a report, recording and frame records",
          "[e2e][video][live]") {
  TempDir out;
  const int port = free_port();
  auto server = serve_clip(port, out.path() / "server");
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/live.ts";
  const auto r =
      run_maskdetect("--input " + url + " --out " + q(out.path() / "r") + " --detector yunet");
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json rep = read_report(out.path() / "r");
  CHECK(schema_errors(out.path() / "r" / "report.json").empty());
  const json e = only_file(rep);
  CHECK(e.at("path") == url);
  CHECK(e.at("kind") == "video");
  CHECK(e.at("live") == true);
  const auto frames = e.at("frames").get<std::int64_t>();
  const auto dropped = e.at("dropped_frames").get<std::int64_t>();
  // 275 frames were sent; each one was either processed or counted as dropped.
  CHECK(frames > 50);
  CHECK(frames + dropped == Approx(275).margin(3));
  CHECK(json_lines(read_text(e.at("frames_file").get<std::string>())).size() ==
        static_cast<std::size_t>(frames));
  const fs::path written = e.at("output").get<std::string>();
  CHECK(written.filename() == "127.0.0.1_" + std::to_string(port) + "_live.ts.mp4");
  cv::VideoCapture check(written.string());
  REQUIRE(check.isOpened());
  int written_frames = 0;
  for (cv::Mat f; check.read(f);) ++written_frames;
  CHECK(written_frames == frames);
  CHECK(!e.at("tracks").empty());
}

TEST_CASE("a live stream that stops mid-way still leaves a full report", "[e2e][video][live]") {
  TempDir out;
  const int port = free_port();
  auto server = serve_clip(port, out.path() / "server", 3.0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/live.ts";
  const auto r = run_maskdetect("--input " + url + " --out " + q(out.path() / "r"));
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json e = only_file(read_report(out.path() / "r"));
  const auto frames = e.at("frames").get<std::int64_t>();
  CHECK(frames > 10);
  CHECK(frames + e.at("dropped_frames").get<std::int64_t>() <= 3 * 30 + 3);
  CHECK(fs::exists(e.at("output").get<std::string>()));
  CHECK(fs::exists(out.path() / "r" / "report.csv"));
}

TEST_CASE("a live source that cannot be reached is a failed input with a reason",
          "[e2e][video][live]") {
  TempDir out;
  const int port = free_port();
  const auto r = run_maskdetect("--input http://127.0.0.1:" + std::to_string(port) +
                                "/nothing.ts --out " + q(out.path()));
  CHECK(r.status == 1);
  const json e = only_file(read_report(out.path()));
  CHECK(e.at("status") == "error");
  CHECK(e.at("error").get<std::string>().find("cannot open stream") != std::string::npos);
}

TEST_CASE("a camera that does not exist is exit 2 with a clear message", "[e2e][video][live]") {
  TempDir out;
  for (const std::string camera : {"/dev/video97", "camera:97"}) {
    const auto r = run_maskdetect("--input " + camera + " --out " + q(out.path() / "r"));
    CHECK(r.status == 2);
    CHECK(r.err.find("/dev/video97 does not exist") != std::string::npos);
    CHECK(!fs::exists(out.path() / "r" / "report.json"));
  }
}

TEST_CASE("without a display, --show fails before any work", "[e2e][show]") {
  TempDir out;
  const auto r =
      run_command("env -u DISPLAY -u QT_QPA_PLATFORM " + q(maskdetect::testing::binary()) +
                  " --no-progress --show --input " + q(clip()) + " --out " + q(out.path() / "r"));
  CHECK(r.status == 2);
  CHECK(r.err.find("--show needs a display") != std::string::npos);
  CHECK(!fs::exists(out.path() / "r" / "report.json"));
}

TEST_CASE("under Xvfb, --show opens a window with annotated frames", "[e2e][show]") {
  REQUIRE(run_command("command -v Xvfb").status == 0);  // scripts/setup.sh installs xvfb
  TempDir out;
  int display = 90 + static_cast<int>(::getpid() % 9);
  while (fs::exists("/tmp/.X11-unix/X" + std::to_string(display))) ++display;
  const std::string d = ":" + std::to_string(display);
  BackgroundProcess xvfb({"Xvfb", d, "-screen", "0", "1024x768x24", "-nolisten", "tcp"},
                         out.path() / "xvfb");
  for (int i = 0; i < 50 && !fs::exists("/tmp/.X11-unix/X" + std::to_string(display)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(fs::exists("/tmp/.X11-unix/X" + std::to_string(display)));
  BackgroundProcess run(
      {"env", "DISPLAY=" + d, "QT_QPA_PLATFORM=xcb", maskdetect::testing::binary().string(),
       "--no-progress", "--show", "--input", clip().string(), "--out", (out.path() / "r").string(),
       "--detector", "yunet", "--no-audio"},
      out.path() / "run");
  // Screenshots until one shows a box drawn in the annotation colours (at most ~20 s).
  const fs::path shot = out.path() / "show.png";
  int box_pixels = 0;
  cv::Rect drawn;  // where the screen is not Xvfb's black
  for (int i = 0; i < 40 && box_pixels < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    run_command("ffmpeg -v error -y -f x11grab -video_size 1024x768 -i " + d + " -frames:v 1 " +
                q(shot));
    const cv::Mat img = cv::imread(shot.string());
    if (img.empty()) continue;
    cv::Mat green, red, gray;
    cv::inRange(img, cv::Scalar(0, 190, 0), cv::Scalar(20, 210, 20), green);
    cv::inRange(img, cv::Scalar(0, 0, 220), cv::Scalar(20, 20, 240), red);
    box_pixels = cv::countNonZero(green) + cv::countNonZero(red);
    cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
    drawn = cv::boundingRect(gray > 8);
  }
  // Kept for a person to look at.
  const fs::path artefacts = maskdetect::testing::binary().parent_path() / "test-artefacts";
  fs::create_directories(artefacts);
  if (fs::exists(shot))
    fs::copy_file(shot, artefacts / "show_window.png", fs::copy_options::overwrite_existing);
  CHECK(box_pixels >= 40);
  // A window the size of the 640x360 frame (dark parts of the frame may read as black).
  CHECK(drawn.width >= 560);
  CHECK(drawn.height >= 300);
  const auto done = run.wait_for(std::chrono::seconds(60));
  REQUIRE(done.has_value());
  INFO(done->err);
  CHECK(done->status == 0);
  CHECK(fs::exists(out.path() / "r" / "report.json"));
}
