#include "maskdetect/show_window.hpp"

#include <xcb/xcb.h>

#include <chrono>
#include <cstdlib>
#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>

#include "maskdetect/annotate.hpp"
#include "maskdetect/errors.hpp"

namespace maskdetect {
namespace {

constexpr int kEsc = 27;

// Frames larger than this are shown scaled down: a 4K frame would not fit a screen.
constexpr int kMaxShownSide = 1280;

}  // namespace

std::string display_problem() {
  const char* qpa = std::getenv("QT_QPA_PLATFORM");
  // Another Qt platform (offscreen, vnc, wayland) is the user's explicit choice.
  if (qpa != nullptr && *qpa != '\0' && std::string(qpa) != "xcb") return {};
  const char* display = std::getenv("DISPLAY");
  if (display == nullptr || *display == '\0')
    return "--show needs a display, and DISPLAY is not set (run it on a desktop, with ssh -X, "
           "or under xvfb-run)";
  xcb_connection_t* c = xcb_connect(nullptr, nullptr);
  const int err = xcb_connection_has_error(c);
  xcb_disconnect(c);
  if (err != 0)
    return std::string("--show cannot open the display DISPLAY=") + display +
           " (is the X server running, and may this user connect to it?)";
  return {};
}

ShowWindow::ShowWindow(std::string title, const ModelCard& card)
    : title_(std::move(title)), card_(card) {
  if (const std::string problem = display_problem(); !problem.empty()) throw SetupError(problem);
}

ShowWindow::~ShowWindow() {
  try {
    cv::destroyAllWindows();
  } catch (const cv::Exception&) {
  }
}

void ShowWindow::post(cv::Mat annotated, const std::string& caption) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_ = std::move(annotated);
  caption_ = caption;
}

void ShowWindow::frame(const InputFile&, FileResult& video, const FrameRecord& frame,
                       cv::Mat& bgr) {
  cv::Mat shown = bgr.clone();
  annotate(shown, frame.faces, card_);
  char caption[64];
  std::snprintf(caption, sizeof caption, "frame %lld, %.1f s", static_cast<long long>(frame.index),
                frame.time_ms / 1000);
  post(std::move(shown), video.path + " - " + caption);
}

void ShowWindow::image(const InputFile&, FileResult& result, cv::Mat& bgr) {
  cv::Mat shown = bgr.clone();
  std::vector<Face> faces = result.faces;
  // The pixels may be decoded reduced; the boxes are in the original's pixels.
  if (result.width > 0 && bgr.cols != result.width) {
    const double f = static_cast<double>(bgr.cols) / result.width;
    for (Face& face : faces) face.box = scale_box(face.box, f, f);
  }
  annotate(shown, faces, card_);
  post(std::move(shown), result.path);
}

bool ShowWindow::show_until(const std::function<bool()>& done) {
  // No Qt toolbar or status bar: the frame is what there is to see.
  cv::namedWindow(title_, cv::WINDOW_AUTOSIZE | cv::WINDOW_GUI_NORMAL);
  bool shown_any = false;
  for (;;) {
    cv::Mat next;
    std::string caption;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::swap(next, pending_);
      caption = caption_;
    }
    if (!next.empty()) {
      const int side = std::max(next.cols, next.rows);
      if (side > kMaxShownSide) {
        const double f = static_cast<double>(kMaxShownSide) / side;
        cv::resize(next, next, cv::Size(), f, f, cv::INTER_AREA);
      }
      cv::imshow(title_, next);
      cv::setWindowTitle(title_, "maskdetect: " + caption);
      shown_any = true;
    }
    const int key = cv::waitKey(15);
    if (key == 'q' || key == 'Q' || key == kEsc) return true;
    // Closing the window is quitting too (once it was shown: before, it reads as closed).
    if (shown_any && cv::getWindowProperty(title_, cv::WND_PROP_VISIBLE) < 1) return true;
    if (done()) return false;
  }
}

}  // namespace maskdetect
