#include "maskdetect/live_source.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "maskdetect/image_decode.hpp"

namespace maskdetect {
namespace {

using Clock = std::chrono::steady_clock;

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool all_digits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool is_camera(const std::string& spec) {
  return (starts_with(spec, "camera:") && all_digits(spec.substr(7))) ||
         (starts_with(spec, "/dev/video") && all_digits(spec.substr(10)));
}

}  // namespace

bool is_live_input(const std::string& spec) {
  static const char* const kSchemes[] = {"rtsp://", "rtsps://", "rtmp://", "http://", "https://",
                                         "udp://",  "tcp://",   "srt://",  "rtp://"};
  for (const char* scheme : kSchemes)
    if (starts_with(spec, scheme)) return true;
  return is_camera(spec);
}

std::string live_target(const std::string& spec) {
  if (starts_with(spec, "camera:") && all_digits(spec.substr(7)))
    return "/dev/video" + spec.substr(7);
  return spec;
}

std::string live_output_name(const std::string& spec) {
  const std::string target = live_target(spec);
  if (is_camera(spec)) return "camera" + target.substr(10);
  // The URL without its scheme, query and credentials, with every character a file name could
  // trip over replaced: the name must stay one path component under --out.
  std::string rest = target.substr(target.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  if (const auto at = rest.find('@'); at != std::string::npos && at < rest.find('/'))
    rest = rest.substr(at + 1);
  std::string name;
  for (const unsigned char c : rest)
    name += std::isalnum(c) || c == '.' || c == '-' ? static_cast<char>(c) : '_';
  while (!name.empty() && (name.back() == '_' || name.back() == '.')) name.pop_back();
  if (name.empty() || name.front() == '.' || name.front() == '_') name = "stream" + name;
  return name.substr(0, 120);
}

std::string camera_problem(const std::string& spec) {
  if (!is_camera(spec)) return {};
  const std::string device = live_target(spec);
  struct stat st {};
  if (::stat(device.c_str(), &st) != 0)
    return "camera " + spec + ": " + device + " " +
           (errno == ENOENT ? std::string("does not exist (no such camera on this machine)")
                            : std::string("cannot be read: ") + std::strerror(errno));
  if (!S_ISCHR(st.st_mode)) return "camera " + spec + ": " + device + " is not a device";
  return {};
}

LiveSource::LiveSource(const std::string& spec, std::uint64_t max_pixels, int timeout_ms)
    : max_pixels_(max_pixels) {
  const std::string target = live_target(spec);
  try {
    if (is_camera(spec)) {
      cap_.open(target, cv::CAP_V4L2);
    } else {
      // Without timeouts a stream that never answers would hold the run forever.
      const std::vector<int> params{cv::CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms,
                                    cv::CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms};
      cap_.open(target, cv::CAP_FFMPEG, params);
    }
  } catch (const cv::Exception&) {
  }
  if (!cap_.isOpened())
    throw InputError(is_camera(spec) ? "cannot open camera " + target
                                     : "cannot open stream (nothing answered, or FFmpeg cannot "
                                       "read it, within " +
                                           std::to_string(timeout_ms / 1000) + " s)");
  cv::Mat first;
  bool ok = false;
  try {
    ok = cap_.read(first) && !first.empty();
  } catch (const cv::Exception&) {
  }
  if (!ok) throw InputError("the live source sent no frame");
  size_ = first.size();
  if (static_cast<std::uint64_t>(first.total()) > max_pixels)
    throw InputError("live frames are " + std::to_string(size_.width) + "x" +
                     std::to_string(size_.height) + ", above --max-pixels " +
                     std::to_string(max_pixels));
  fps_ = cap_.get(cv::CAP_PROP_FPS);
  if (!(fps_ > 0 && fps_ < 1000)) fps_ = 0;
  latest_ = std::move(first);
  reader_ = std::thread([this] { read_loop(); });
}

LiveSource::~LiveSource() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  if (reader_.joinable()) reader_.join();
}

void LiveSource::read_loop() {
  const auto start = Clock::now();
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) break;
    }
    cv::Mat frame;
    bool ok = false;
    try {
      ok = cap_.read(frame) && !frame.empty();
    } catch (const cv::Exception&) {
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    std::lock_guard<std::mutex> lock(mutex_);
    if (ok && static_cast<std::uint64_t>(frame.total()) > max_pixels_) {
      oversized_ = true;
      ok = false;
    }
    if (!ok) break;
    if (!latest_.empty()) ++dropped_;
    latest_ = std::move(frame);
    latest_ms_ = ms;
    ready_.notify_one();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ended_ = true;
  ready_.notify_one();
}

bool LiveSource::read(cv::Mat& bgr, double& time_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait(lock, [this] { return !latest_.empty() || ended_; });
  if (latest_.empty()) return false;
  bgr = std::move(latest_);
  latest_ = cv::Mat();
  time_ms = latest_ms_;
  return true;
}

bool LiveSource::oversized() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return oversized_;
}

std::int64_t LiveSource::dropped_frames() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

}  // namespace maskdetect
