#include "maskdetect/stop.hpp"

#include <csignal>

namespace maskdetect {
namespace {

StopRequest* g_stop = nullptr;

extern "C" void on_stop_signal(int sig) {
  if (g_stop == nullptr) return;
  g_stop->request(sig == SIGTERM  ? StopRequest::kTerminate
                  : sig == SIGHUP ? StopRequest::kHangup
                                  : StopRequest::kInterrupt);
}

}  // namespace

std::string StopRequest::reason_text() const {
  switch (reason()) {
    case kInterrupt:
      return "SIGINT";
    case kTerminate:
      return "SIGTERM";
    case kHangup:
      return "SIGHUP";
    case kOutputClosed:
      return "stdout closed";
    case kNone:
      break;
  }
  return "";
}

int StopRequest::exit_status() const {
  switch (reason()) {
    case kInterrupt:
      return 128 + SIGINT;
    case kTerminate:
      return 128 + SIGTERM;
    case kHangup:
      return 128 + SIGHUP;
    case kOutputClosed:
      return 128 + SIGPIPE;
    case kNone:
      break;
  }
  return 0;
}

void install_stop_signals(StopRequest& stop) {
  g_stop = &stop;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  // Interrupted system calls resume: a read of stdin or a write of a report is not cut short.
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace maskdetect
