#include "test_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "maskdetect/report_html.hpp"

namespace fs = std::filesystem;

namespace maskdetect::testing {

fs::path shared_dir() {
  if (const char* env = std::getenv("MASKDETECT_SHARED_DIR")) return env;
  return MASKDETECT_SHARED_DIR;
}

fs::path shared_file(const std::string& relative) {
  fs::path p = shared_dir() / relative;
  if (!fs::exists(p)) throw TestSkipped(p.string() + " is absent (set MASKDETECT_SHARED_DIR)");
  return p;
}

fs::path fixture(const std::string& relative) { return shared_file("fixtures/" + relative); }

fs::path source_dir() { return MASKDETECT_SOURCE_DIR; }
fs::path binary() { return MASKDETECT_BINARY; }

bool sanitized_build() {
#ifdef MASKDETECT_TEST_SANITIZE
  return true;
#else
  return false;
#endif
}

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("maskdetect-test-" + std::to_string(rd()) + "-" + std::to_string(counter++));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& path, const std::string& bytes) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  for (const auto& line : split_lines(text))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

Face make_face(cv::Rect box, const std::string& label, float confidence) {
  Face f;
  f.box = box;
  f.label = label;
  f.confidence = confidence;
  f.scores = {{label, confidence}};
  return f;
}

void write_test_video(const fs::path& path, cv::Size size, int frames) {
  cv::VideoWriter w(path.string(), cv::CAP_OPENCV_MJPEG,
                    cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 30.0, size);
  if (!w.isOpened()) throw std::runtime_error("cannot write test video " + path.string());
  cv::Mat frame(size, CV_8UC3);
  for (int i = 0; i < frames; ++i) {
    for (int y = 0; y < size.height; ++y)
      for (int x = 0; x < size.width; ++x)
        frame.at<cv::Vec3b>(y, x) =
            cv::Vec3b(static_cast<uchar>((x + i * 4) & 0xFF), static_cast<uchar>((y * 2) & 0xFF),
                      static_cast<uchar>((x + y + i) & 0xFF));
    w.write(frame);
  }
}

std::string shell_quote(const std::string& s) {
  std::string quoted = "'";
  for (char c : s) {
    if (c == '\'')
      quoted += "'\\''";
    else
      quoted += c;
  }
  return quoted + "'";
}

namespace {

void decode_status(int raw, CommandResult& r) {
  if (WIFEXITED(raw)) r.status = WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) r.signal = WTERMSIG(raw);
}

}  // namespace

CommandResult run_command(const std::string& command) {
  TempDir tmp;
  const fs::path out = tmp.path() / "stdout", err = tmp.path() / "stderr";
  const std::string full = "(" + command + ") >" + q(out) + " 2>" + q(err) + " </dev/null";
  CommandResult r;
  // A command killed by a signal reads as status 128 + signal (the subshell's report).
  decode_status(std::system(full.c_str()), r);
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

CommandResult run_measured(const std::string& command) {
  TempDir tmp;
  const fs::path rss = tmp.path() / "rss";
  if (!fs::exists("/usr/bin/time"))
    throw std::runtime_error("/usr/bin/time is missing (scripts/setup.sh installs package time)");
  CommandResult r =
      run_command("/usr/bin/time -f %M -o " + q(rss) + " sh -c " + shell_quote(command));
  // /usr/bin/time exits with the command's status; a killed command reads "Command terminated
  // by signal N" before the number.
  const auto lines = split_lines(read_text(rss));
  if (!lines.empty()) r.peak_rss_kb = std::atol(lines.back().c_str());
  return r;
}

CommandResult run_maskdetect(const std::string& args) {
  return run_command(q(binary()) + " --no-progress " + args);
}

CommandResult run_maskdetect_measured(const std::string& args) {
  return run_measured(q(binary()) + " --no-progress " + args);
}

nlohmann::json read_report(const fs::path& out) {
  const fs::path p = out / "report.json";
  if (!fs::exists(p)) throw std::runtime_error("no report.json in " + out.string());
  return nlohmann::json::parse(read_text(p));
}

nlohmann::json read_html_report_data(const std::filesystem::path& html) {
  nlohmann::json data = read_report_html_data(html);
  if (data.is_null()) throw std::runtime_error(html.string() + " holds no report data");
  return data;
}

nlohmann::json results_of(const nlohmann::json& report) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : report.at("files")) {
    nlohmann::json faces = nlohmann::json::array();
    for (const auto& face : f.value("faces", nlohmann::json::array()))
      faces.push_back({face.at("box"), face.at("label"), face.at("scores")});
    out.push_back({f.at("path"), f.at("status"), faces});
  }
  return out;
}

const nlohmann::json& report_entry(const nlohmann::json& report, const std::string& file_name) {
  for (const auto& f : report.at("files"))
    if (fs::path(f.at("path").get<std::string>()).filename() == file_name) return f;
  FAIL("no report entry for " << file_name);
  throw std::logic_error("unreachable");
}

std::string schema_errors(const fs::path& report_json) {
  const fs::path schema = source_dir() / "docs" / "report.schema.json";
  const auto v = run_command(
      std::string(MASKDETECT_PYTHON) +
      " -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), "
      "json.load(open(sys.argv[2])))' " +
      q(report_json) + " " + q(schema));
  if (v.status == 0) return "";
  return v.err.empty() ? "validator exited " + std::to_string(v.status) : v.err;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv, const fs::path& log_dir)
    : out_(log_dir / "bg.stdout"), err_(log_dir / "bg.stderr") {
  std::filesystem::create_directories(log_dir);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    setpgid(0, 0);
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  setpgid(pid_, pid_);  // also here, so kill_group never races the child's own setpgid
}

std::optional<CommandResult> BackgroundProcess::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int raw = 0;
    const pid_t got = waitpid(pid_, &raw, WNOHANG);
    if (got == pid_) {
      reaped_ = true;
      CommandResult r;
      decode_status(raw, r);
      r.out = read_text(out_);
      r.err = read_text(err_);
      return r;
    }
    if (got < 0) throw std::runtime_error("waitpid failed");
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void BackgroundProcess::kill_group(int sig) {
  if (!reaped_ && pid_ > 0) ::kill(-pid_, sig);
}

BackgroundProcess::~BackgroundProcess() {
  if (reaped_ || pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  int raw = 0;
  waitpid(pid_, &raw, 0);
}

}  // namespace maskdetect::testing
