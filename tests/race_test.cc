// A video whose every frame fails in the workers: the workers record each frame's error while
// the emitter thread finishes the video. At 45f5a48 that was an unlocked push_back on the video's
// warnings from both sides (double free in 5 of 10 release runs, a data race under TSan), and the
// video was reported "ok". Run under scripts/sanitize.sh tsan, this test is the race detector's
// way in; in any build it checks the outcome.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "maskdetect/model_card.hpp"
#include "maskdetect/run.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::TempDir;

TEST_CASE("a video whose every frame fails in 2 workers is one error, exit 1, no crash",
          "[pipeline][race]") {
  TempDir in;
  // 4096x2: detection works on a copy scaled to --detect-size, which rounds to zero rows, so
  // every frame throws in a worker. 600 frames (20 s, as in the README; ~2 MB) keep both workers
  // failing at the same time often enough for ThreadSanitizer to see the race.
  const fs::path video = in.path() / "wide.avi";
  maskdetect::testing::write_test_video(video, {4096, 2}, 600);

  // The two workers must fail at the same moment for the race to happen (and for ThreadSanitizer
  // to see it); one run shows it in about one try of four, so the test makes ten.
  for (int run = 0; run < 10; ++run) {
    INFO("run " << run);
    TempDir out;
    maskdetect::RunOptions o;
    o.pipeline.inputs = {video.string()};
    o.pipeline.out_dir = out.path();
    o.pipeline.threads = 2;
    o.annotate = false;
    o.engine.model = maskdetect::find_default_model(maskdetect::testing::binary());
    std::istringstream no_stdin;
    std::ostringstream data, log;
    const auto outcome = maskdetect::run_maskdetect(o, no_stdin, data, log);

    INFO(log.str().substr(0, 500));
    CHECK(outcome.exit_status == 1);
    const auto rep = maskdetect::testing::read_report(out.path());
    const auto& e = maskdetect::testing::report_entry(rep, "wide.avi");
    INFO("status " << e.value("status", "?") << ", error \"" << e.value("error", "") << "\", "
                   << e.value("warnings", nlohmann::json::array()).size() << " warnings");
    CHECK(e.at("status") == "error");
    CHECK(e.value("error", "").size() > 10);
  }
}
