#include "maskdetect/tracker.hpp"

#include <catch2/catch.hpp>
#include <random>

#include "maskdetect/eval_metrics.hpp"

using namespace maskdetect;

namespace {

// The most likely label, as a model card without thresholds would decide.
Face detected(cv::Rect box, float mask = 0.9F) {
  Face f;
  f.box = box;
  f.detector_score = 0.9F;
  f.scores = {{"mask", mask}, {"no_mask", 1.F - mask}};
  f.label = mask >= 0.5F ? "mask" : "no_mask";
  f.confidence = std::max(mask, 1.F - mask);
  return f;
}

// No rule: the tracker's own, the most likely label.
Tracker make_tracker(TrackerOptions options = {}) { return Tracker(options, {}); }

double at_fps(int frame, double fps) { return frame * 1000.0 / fps; }

// Ids of `faces` in order.
std::vector<std::int64_t> ids(const std::vector<Face>& faces) {
  std::vector<std::int64_t> out;
  for (const Face& f : faces) out.push_back(f.track);
  return out;
}

}  // namespace

TEST_CASE("a face moving steadily keeps one id and predictions follow it", "[tracker]") {
  // 300 px/s at 30 fps with the detector on every 5th frame: 50 px between detections, so the
  // box last seen overlaps the face's next position by only IoU 0.23 and the skipped frames'
  // boxes need the motion to stay on the face.
  Tracker tracker = make_tracker();
  const auto truth = [](int i) { return cv::Rect(40 + 10 * i, 200 + 2 * i, 80, 80); };
  for (int i = 0; i < 60; ++i) {
    const double t = at_fps(i, 30);
    if (i % 5 == 0) {
      const int jitter = (i * 7) % 5 - 2;  // the detector's box wobbles by a few pixels
      std::vector<Face> faces{detected(truth(i) + cv::Point(jitter, -jitter))};
      tracker.update(faces, t);
      CHECK(faces[0].track == 1);
    } else {
      const std::vector<Face> predicted = tracker.predict(t);
      REQUIRE(predicted.size() == 1);
      CHECK(predicted[0].track == 1);
      CHECK_FALSE(predicted[0].detector_score.has_value());
      // Before a second detection there is no velocity yet; from then on the box must follow.
      if (i > 5) CHECK(iou(predicted[0].box, truth(i)) >= 0.5);
    }
  }
  REQUIRE(tracker.tracks().size() == 1);
}

TEST_CASE("predicted boxes are clipped to the frame", "[tracker]") {
  TrackerOptions options;
  options.frame_size = {300, 200};
  Tracker tracker = make_tracker(options);
  for (int i = 0; i < 3; ++i) {
    std::vector<Face> faces{detected({150 + 20 * i, 50, 60, 60})};  // heading out on the right
    tracker.update(faces, at_fps(2 * i, 10));
  }
  const std::vector<Face> predicted = tracker.predict(at_fps(11, 10));
  REQUIRE(predicted.size() == 1);
  CHECK(predicted[0].box == cv::Rect(260, 50, 40, 60));  // at x 260-320 in a 300 px frame
}

TEST_CASE("two faces crossing keep their ids", "[tracker]") {
  // They pass 10 px apart vertically at 30 px a frame each. A frame after they cross, face A's
  // previous box overlaps face B (IoU 0.78) more than A itself (0.45): matched to last positions
  // the ids would swap, to predicted ones they do not.
  Tracker tracker = make_tracker();
  for (int k = 0; k < 8; ++k) {
    const cv::Rect a(100 + 30 * k, 100, 80, 80), b(250 - 30 * k, 110, 80, 80);
    // The detector lists faces left to right, so their order flips when they cross.
    std::vector<Face> faces = a.x <= b.x ? std::vector<Face>{detected(a), detected(b, 0.1F)}
                                         : std::vector<Face>{detected(b, 0.1F), detected(a)};
    tracker.update(faces, at_fps(k, 30));
    for (const Face& f : faces) CHECK(f.track == (f.box == a ? 1 : 2));
  }
  CHECK(tracker.tracks().size() == 2);
}

TEST_CASE("two faces side by side keep their ids", "[tracker]") {
  Tracker tracker = make_tracker();
  for (int i = 0; i < 30; ++i) {
    const int j = (i * 3) % 7 - 3;  // jitter
    std::vector<Face> faces{detected({100 + j, 100 - j, 70, 70}),
                            detected({160 - j, 105 + j, 70, 70})};  // overlapping by 10 px
    if (i % 2) std::swap(faces[0], faces[1]);
    tracker.update(faces, at_fps(i, 25));
    CHECK(faces[i % 2].track == 1);
    CHECK(faces[1 - i % 2].track == 2);
  }
  CHECK(tracker.tracks().size() == 2);
}

TEST_CASE("a face away longer than the survival time gets a new id, shorter keeps it",
          "[tracker]") {
  const auto run = [](double away_s) {
    Tracker tracker = make_tracker();  // survives 1 s unmatched
    std::int64_t id = 0;
    for (int i = 0; i <= 60; ++i) {
      const double t = at_fps(i, 10);
      const bool away = t > 1000 && t <= 1000 + away_s * 1000;
      std::vector<Face> faces;
      if (!away) faces.push_back(detected({200, 150, 90, 90}));
      tracker.update(faces, t);
      if (!faces.empty()) id = faces[0].track;
    }
    return std::make_pair(id, tracker.tracks().size());
  };
  CHECK(run(0.5) == std::make_pair(std::int64_t{1}, std::size_t{1}));
  CHECK(run(0.8) == std::make_pair(std::int64_t{1}, std::size_t{1}));
  CHECK(run(1.5) == std::make_pair(std::int64_t{2}, std::size_t{2}));
  CHECK(run(3.0) == std::make_pair(std::int64_t{2}, std::size_t{2}));
}

TEST_CASE("one frame with a flipped label does not flip the track's label", "[tracker]") {
  Tracker tracker = make_tracker();
  for (int i = 0; i < 10; ++i) {
    const float mask = i == 5 ? 0.1F : 0.9F;
    std::vector<Face> faces{detected({50, 50, 100, 100}, mask)};
    tracker.update(faces, at_fps(i, 30));
    CHECK(faces[0].label == "mask");
    CHECK(faces[0].scores.at("mask") == Approx(mask));  // the frame's own, for measuring
  }
  const TrackSummary s = tracker.tracks().at(0);
  CHECK(s.label == "mask");
  CHECK(s.scores.at("mask") == Approx((9 * 0.9 + 0.1) / 10));
  CHECK(s.confidence == Approx(s.scores.at("mask")));
}

TEST_CASE("a track's label follows the mean of all its detections", "[tracker]") {
  Tracker tracker = make_tracker();
  std::vector<std::string> labels;
  // 0.8 three times, then 0.1: the mean crosses 0.5 at the 6th detection, but no_mask is only
  // 0.55 sure then; it reaches the 0.65 needed to switch at the 9th (mean 0.333).
  for (int i = 0; i < 9; ++i) {
    std::vector<Face> faces{detected({50, 50, 100, 100}, i < 3 ? 0.8F : 0.1F)};
    tracker.update(faces, at_fps(i, 30));
    labels.push_back(faces[0].label);
    if (i == 5) {
      CHECK(faces[0].label == "mask");
      CHECK(faces[0].confidence == Approx(0.45));  // mask's share of the mean scores
      // The summary decides on the mean alone, without the margin.
      CHECK(tracker.tracks().at(0).label == "no_mask");
    }
  }
  CHECK(labels == std::vector<std::string>{"mask", "mask", "mask", "mask", "mask", "mask", "mask",
                                           "mask", "no_mask"});
  const std::vector<Face> predicted = tracker.predict(at_fps(9, 30));
  REQUIRE(predicted.size() == 1);
  CHECK(predicted[0].label == "no_mask");
  CHECK(predicted[0].scores.at("mask") == Approx((3 * 0.8 + 6 * 0.1) / 9));
}

TEST_CASE("track summaries count frames and detections and give first and last seconds",
          "[tracker]") {
  Tracker tracker = make_tracker();
  // 30 fps, detector on every 3rd frame. The face is found on frames 0, 3, ..., 27 and gone from
  // frame 30; a false detection elsewhere on frame 9 only.
  for (int i = 0; i < 60; ++i) {
    const double t = at_fps(i, 30);
    if (i % 3 != 0) {
      tracker.predict(t);
      continue;
    }
    std::vector<Face> faces;
    if (i < 30) faces.push_back(detected({100, 100, 80, 80}));
    if (i == 9) faces.push_back(detected({400, 50, 40, 40}, 0.2F));
    tracker.update(faces, t);
  }
  const std::vector<TrackSummary> tracks = tracker.tracks();
  REQUIRE(tracks.size() == 2);
  const TrackSummary& face = tracks[0];
  CHECK(face.id == 1);
  CHECK(face.detections == 10);
  // Frames 0-29, then 31 and 32: drawn through the one detector frame (30) that missed it.
  CHECK(face.frames == 32);
  CHECK(face.first_s == 0.0);
  CHECK(face.last_s == Approx(32 / 30.0));
  CHECK(face.label == "mask");
  CHECK(tracker.is_person(face));
  const TrackSummary& noise = tracks[1];
  CHECK(noise.id == 2);
  CHECK(noise.detections == 1);
  CHECK(noise.frames == 3);  // frame 9 and the two skipped frames after it, not after frame 12
  CHECK(noise.first_s == Approx(9 / 30.0));
  CHECK(noise.last_s == Approx(11 / 30.0));
  CHECK(noise.label == "no_mask");
  CHECK_FALSE(tracker.is_person(noise));
}

TEST_CASE("a one-detection false positive is not a person, a face in a very short clip is",
          "[tracker]") {
  Tracker tracker = make_tracker();
  for (int i = 0; i < 5; ++i) {
    std::vector<Face> faces{detected({100, 100, 80, 80})};
    if (i == 2) faces.push_back(detected({300, 100, 60, 60}));
    tracker.update(faces, at_fps(i, 30));
  }
  const std::vector<TrackSummary> tracks = tracker.tracks();
  REQUIRE(tracks.size() == 2);
  CHECK(tracker.is_person(tracks[0]));
  CHECK_FALSE(tracker.is_person(tracks[1]));

  Tracker clip = make_tracker();  // two frames: nobody can reach three detections
  for (int i = 0; i < 2; ++i) {
    std::vector<Face> faces{detected({100, 100, 80, 80})};
    if (i == 1) faces.push_back(detected({300, 100, 60, 60}));
    clip.update(faces, at_fps(i, 30));
  }
  REQUIRE(clip.tracks().size() == 2);
  CHECK(clip.is_person(clip.tracks()[0]));
  CHECK_FALSE(clip.is_person(clip.tracks()[1]));
}

TEST_CASE("tracking is deterministic and numbers tracks in order of creation", "[tracker]") {
  const auto run = [] {
    std::mt19937 rng(7);
    Tracker tracker = make_tracker();
    std::vector<std::vector<Face>> frames;
    for (int i = 0; i < 200; ++i) {
      std::vector<Face> faces;
      for (int k = 0; k < 4; ++k) {
        if (rng() % 4 == 0) continue;  // each of four walkers is missed now and then
        const int x = 50 + 120 * k + static_cast<int>(rng() % 5) + i % 50;
        const int y = 80 + 30 * k + static_cast<int>(rng() % 5);
        faces.push_back(detected({x, y, 60, 60}, static_cast<float>(rng() % 100) / 100.F));
      }
      if (rng() % 10 == 0) faces.push_back(detected({static_cast<int>(rng() % 600), 300, 40, 40}));
      if (i % 2 == 0)
        tracker.update(faces, at_fps(i, 30));
      else
        faces = tracker.predict(at_fps(i, 30));
      frames.push_back(faces);
    }
    return std::make_pair(frames, tracker.tracks());
  };
  const auto [frames, tracks] = run();
  const auto [frames2, tracks2] = run();
  REQUIRE(frames.size() == frames2.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    REQUIRE(ids(frames[i]) == ids(frames2[i]));
    for (std::size_t j = 0; j < frames[i].size(); ++j) {
      CHECK(frames[i][j].box == frames2[i][j].box);
      CHECK(frames[i][j].label == frames2[i][j].label);
    }
  }
  REQUIRE(tracks.size() == tracks2.size());
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    CHECK(tracks[i].id == static_cast<std::int64_t>(i) + 1);
    CHECK(tracks[i].frames == tracks2[i].frames);
    CHECK(tracks[i].label == tracks2[i].label);
    if (i > 0) CHECK(tracks[i].first_s >= tracks[i - 1].first_s);  // numbered as first seen
  }
}

TEST_CASE("frames between two detections are drawn on the line between them", "[tracker]") {
  Tracker tracker = make_tracker();
  std::vector<Face> first{detected({0, 100, 60, 60}), detected({500, 100, 60, 60})};
  tracker.update(first, at_fps(0, 30));
  std::vector<Face> second{detected({30, 100, 60, 60})};
  tracker.update(second, at_fps(3, 30));
  std::vector<Face> third{detected({60, 100, 60, 60}), detected({300, 300, 50, 50})};
  tracker.update(third, at_fps(6, 30));
  // Frames 4 and 5: the first face a third and two thirds of the way; the face seen once at
  // frame 0 and missed at 3 is gone (a false detection, in hindsight); the face new at frame 6
  // is not on screen yet.
  for (int i : {4, 5}) {
    const std::vector<Face> between = tracker.interpolate(at_fps(i, 30));
    REQUIRE(between.size() == 1);
    CHECK(between[0].track == 1);
    CHECK(between[0].box == cv::Rect(30 + 10 * (i - 3), 100, 60, 60));
    CHECK(between[0].detector_score == std::nullopt);
  }
  const TrackSummary t1 = tracker.tracks().at(0);
  CHECK(t1.frames == 5);  // 3 detections and 2 frames between
  CHECK(t1.last_s == Approx(at_fps(6, 30) / 1000));
}
