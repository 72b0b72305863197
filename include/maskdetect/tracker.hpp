// Follows faces across the frames of one video, so a video reports people rather than
// detections per frame, the frames the detector skips (--vid-stride) still get boxes, and a
// face's label is decided from all of its detections instead of flickering frame to frame.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <opencv2/core/types.hpp>
#include <string>
#include <utility>
#include <vector>

#include "maskdetect/types.hpp"

namespace maskdetect {

struct TrackerOptions {
  // A face continues a track when its box overlaps the track's predicted box at least this much.
  // Between detector frames a face moves little and the prediction absorbs steady motion, so
  // the same face scores well above this; two different faces side by side rarely reach it,
  // and the detector's size jitter on a small face can cost half the overlap, so 0.5 is too
  // strict. The value the eval uses for "found" (0.3) is also where a box is judged the same.
  double match_iou = 0.3;
  // A track the detector has not found for longer than this ends; the face, when it comes
  // back, starts a new track. One second bridges a turned head, a hand passing in front or a
  // few missed detections at any stride up to the frame rate, and is short enough that someone
  // else stepping into the same spot later is not taken for the same person.
  double max_gap_s = 1.0;
  // Detections a track needs to count as a person (is_person). A false detection rarely
  // lands on the same spot three detector frames running, while anyone on screen for a moment
  // (0.1 s at 30 fps and stride 1, 1 s at stride 10) reaches it.
  std::int64_t min_detections = 3;
  // How many detector frames in a row a track may go unfound and still be drawn on the frames
  // between (predict). One missed detection is common (blur, a turn); after two the face has
  // most likely left, and a drawn box that nothing confirms is worse than a gap.
  std::int64_t max_missed_shown = 1;
  // A track seen once has no velocity yet, so its next detection may lie a whole stride of
  // motion away. Faces no track claimed are offered to such tracks with both boxes grown this
  // much about their centres, which accepts a shift of about one face width: a face crossing the
  // frame at three widths a second, seen every 5th frame at 30 fps. Older tracks never get this
  // slack, so a new face beside a known one cannot take its track.
  double first_match_scale = 2.0;
  // Weight of the newest velocity measurement: detector boxes jitter by a few pixels, which over
  // one frame's time is a large speed; averaging keeps predictions from jumping with it.
  double velocity_smoothing = 0.5;
  // A track's label on screen changes only when the label its mean scores now give is at least
  // this sure (its confidence from the rule): a mean hovering near the decision threshold would
  // otherwise flip the label back and forth. The final label (tracks()) is the rule's on all
  // detections, without this margin. On a panned video of crowds, 0.65 cut label changes along
  // YuNet's tracks from 32 to 4 (bench/video_tracking.py --video crowd-pan --strides 1).
  double switch_confidence = 0.65;
  // The frame; when not empty, predicted boxes are clipped to it and a track predicted wholly
  // outside it is not shown.
  cv::Size frame_size;
};

// The caller's label decision (the model card's rule) applied to a track's mean scores:
// returns the label and its confidence. The tracker knows no label names; without a rule (an
// empty function) a track takes its most likely label.
using LabelRule =
    std::function<std::pair<std::string, float>(const std::map<std::string, float>& mean_scores)>;

// Not thread-safe; one per video. Times must not decrease from call to call.
class Tracker {
 public:
  Tracker(TrackerOptions options, LabelRule rule);

  // A frame the detector ran on. Ends tracks not found for longer than max_gap_s, matches
  // `faces` to the live ones (greedy by IoU with each track's predicted box, ties to the older
  // track, then the earlier face; then first_match_scale's second chance for tracks seen once)
  // and starts a track for each face left. Sets each face's `track`, and its label and
  // confidence to its track's (decided from the mean scores of all the track's detections, this
  // one included); `scores` stay this frame's own.
  void update(std::vector<Face>& faces, double time_ms);

  // A frame the detector skipped: the tracks found at one of the last max_missed_shown + 1
  // detector frames (a track found only once, at the latest one only) within max_gap_s, ordered
  // by id, each with its predicted box, its id, label and confidence, and its mean scores; no
  // detector_score, since no detector saw it. Counts as a frame the track was on screen.
  std::vector<Face> predict(double time_ms);

  // A frame the detector skipped, between the previous detector frame and the latest one, given
  // after update() of the latest (a file can wait for it; a live source cannot, and uses
  // predict()). A track found at the latest detector frame and before is drawn on the line
  // between those two boxes; one found before but missed at the latest is extrapolated as by
  // predict(); one first found at the latest is not on screen yet. Times must not decrease from
  // one interpolate() call to the next.
  std::vector<Face> interpolate(double time_ms);

  // Every track so far, ended or live, ordered by id. To measure flicker, compare the labels
  // update() gives a track with the rule applied to each frame's own `scores`.
  std::vector<TrackSummary> tracks() const;

  // A track counts as a person when it was detected at least min_detections times, or, in a
  // video too short to reach that (fewer detector frames than min_detections), when it was
  // detected at every detector frame: one face in a two-frame clip is a person, not noise.
  bool is_person(const TrackSummary& track) const;

 private:
  struct Track {
    std::int64_t id = 0;
    double cx = 0, cy = 0, w = 0, h = 0;    // box of the latest detection
    double vx = 0, vy = 0, vw = 0, vh = 0;  // smoothed, pixels per ms
    double last_detection_ms = 0;
    double px = 0, py = 0, pw = 0, ph = 0;    // box of the detection before the latest
    double previous_detection_ms = -1;        // its time; -1: none
    double first_ms = 0, last_ms = 0;         // first and last frame reported on
    std::int64_t detections = 0, frames = 0;  // as in TrackSummary
    std::int64_t missed = 0;                  // detector frames since the latest detection
    std::map<std::string, double> score_sums;
    std::string label;  // on screen (see TrackerOptions::switch_confidence)
    float confidence = 0.F;
  };

  cv::Rect predicted_box(const Track& t, double time_ms) const;
  std::vector<int> associate(const std::vector<Face>& faces, double time_ms) const;
  std::map<std::string, float> mean_scores(const Track& t) const;
  void expire(double time_ms);
  void add_detection(Track& t, Face& face, double time_ms);
  bool shown(const Track& t, double time_ms) const;
  Face face_of(Track& t, const cv::Rect& box, double time_ms);
  void relabel(Track& t);

  TrackerOptions options_;
  LabelRule rule_;
  std::vector<Track> tracks_;      // every track, in id order (ids are index + 1)
  std::vector<std::size_t> live_;  // indices into tracks_ of the tracks not ended, ascending
  std::int64_t detector_frames_ = 0;
  double latest_ms_ = -1;  // time of the latest update()
};

}  // namespace maskdetect
