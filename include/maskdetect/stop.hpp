// Why a run stops before its inputs end: asked for by a signal handler (Ctrl-C, SIGTERM) or by an
// output that can no longer be written (stdout closed). The reports then say why, and the process
// exits with the status a shell expects for that reason.
#pragma once

#include <atomic>
#include <string>

namespace maskdetect {

class StopRequest {
 public:
  enum Reason : int { kNone = 0, kInterrupt, kTerminate, kHangup, kOutputClosed };

  // Async-signal-safe. The first reason is kept; a second request (a second Ctrl-C) makes the
  // stop urgent: work not yet started is dropped rather than finished.
  void request(Reason why) noexcept {
    int none = kNone;
    reason_.compare_exchange_strong(none, why);
    count_.fetch_add(1);
  }
  bool requested() const noexcept { return count_.load() > 0; }
  bool urgent() const noexcept { return count_.load() > 1; }
  Reason reason() const noexcept { return static_cast<Reason>(reason_.load()); }

  // "SIGINT", "SIGTERM", "SIGHUP", "stdout closed"; "" when no stop was asked for.
  std::string reason_text() const;
  // 128 + the signal's number (130, 143, 129; 141, SIGPIPE's, for a closed stdout), as a shell
  // reports a process the signal ended; 0 when no stop was asked for.
  int exit_status() const;

 private:
  std::atomic<int> reason_{kNone}, count_{0};
};
static_assert(std::atomic<int>::is_always_lock_free, "StopRequest is set from signal handlers");

// Makes SIGINT, SIGTERM and SIGHUP ask `stop` to stop (however often they come: the reports are
// always written), and ignores SIGPIPE so that a closed stdout is a write error that the JSON
// Lines writer turns into a stop. `stop` must outlive the process's use of the handlers.
void install_stop_signals(StopRequest& stop);

}  // namespace maskdetect
