#include "maskdetect/tracker.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "maskdetect/eval_metrics.hpp"

namespace maskdetect {

namespace {

// Far beyond any frame, yet a corner rounded from it still fits an int: a wild velocity
// extrapolated cannot overflow cv::Rect.
constexpr double kMaxCoordinate = 1e9;

// The box from (x0, y0) to (x1, y1), each corner rounded to the nearest pixel.
cv::Rect round_box(double x0, double y0, double x1, double y1) {
  const auto px = [](double v) {
    return static_cast<int>(std::lround(std::clamp(v, -kMaxCoordinate, kMaxCoordinate)));
  };
  return {px(x0), px(y0), px(x1) - px(x0), px(y1) - px(y0)};
}

// `box` scaled by `f` about its centre.
cv::Rect grown(const cv::Rect& box, double f) {
  const double cx = box.x + box.width / 2.0, cy = box.y + box.height / 2.0;
  const double hw = box.width * f / 2, hh = box.height * f / 2;
  return round_box(cx - hw, cy - hh, cx + hw, cy + hh);
}

// The rule without a model card: the most likely label.
std::pair<std::string, float> most_likely(const std::map<std::string, float>& scores) {
  std::pair<std::string, float> best{"", -1.F};
  for (const auto& [label, p] : scores)
    if (p > best.second) best = {label, p};
  return best;
}

}  // namespace

Tracker::Tracker(TrackerOptions options, LabelRule rule)
    : options_(std::move(options)), rule_(rule ? std::move(rule) : most_likely) {}

cv::Rect Tracker::predicted_box(const Track& t, double time_ms) const {
  // Extrapolating past the survival time would only serve a track about to end.
  const double dt = std::clamp(time_ms - t.last_detection_ms, 0.0, options_.max_gap_s * 1000);
  // A face nearing the camera grows, but not past double or half in the time a track survives:
  // a size velocity from two jittery boxes must not blow the box up or shrink it to nothing.
  const double w = std::clamp(t.w + t.vw * dt, t.w / 2, t.w * 2);
  const double h = std::clamp(t.h + t.vh * dt, t.h / 2, t.h * 2);
  const double cx = t.cx + t.vx * dt, cy = t.cy + t.vy * dt;
  cv::Rect box = round_box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2);
  if (!options_.frame_size.empty()) box &= cv::Rect({0, 0}, options_.frame_size);
  return box;
}

std::map<std::string, float> Tracker::mean_scores(const Track& t) const {
  std::map<std::string, float> mean;
  for (const auto& [label, sum] : t.score_sums)
    mean[label] =
        static_cast<float>(sum / static_cast<double>(std::max<std::int64_t>(1, t.detections)));
  return mean;
}

void Tracker::expire(double time_ms) {
  const double limit_ms = options_.max_gap_s * 1000;
  live_.erase(std::remove_if(
                  live_.begin(), live_.end(),
                  [&](std::size_t i) { return time_ms - tracks_[i].last_detection_ms > limit_ms; }),
              live_.end());
}

void Tracker::add_detection(Track& t, Face& face, double time_ms) {
  const cv::Rect& b = face.box;
  const double cx = b.x + b.width / 2.0, cy = b.y + b.height / 2.0;
  const double dt = time_ms - t.last_detection_ms;
  if (t.detections > 0 && dt > 0) {
    const double k = t.detections == 1 ? 1.0 : options_.velocity_smoothing;  // first: no history
    const auto smooth = [&](double& v, double now, double before) {
      v += k * ((now - before) / dt - v);
    };
    smooth(t.vx, cx, t.cx);
    smooth(t.vy, cy, t.cy);
    smooth(t.vw, b.width, t.w);
    smooth(t.vh, b.height, t.h);
  }
  if (t.detections > 0) {
    t.px = t.cx, t.py = t.cy, t.pw = t.w, t.ph = t.h;
    t.previous_detection_ms = t.last_detection_ms;
  }
  t.cx = cx, t.cy = cy, t.w = b.width, t.h = b.height;
  t.last_detection_ms = t.last_ms = time_ms;
  ++t.detections, ++t.frames;
  t.missed = 0;
  for (const auto& [label, p] : face.scores) t.score_sums[label] += p;
  relabel(t);
  face.track = t.id;
  face.label = t.label;
  face.confidence = t.confidence;
}

void Tracker::relabel(Track& t) {
  const std::map<std::string, float> mean = mean_scores(t);
  auto [label, confidence] = rule_(mean);
  if (!t.label.empty() && label != t.label && confidence < options_.switch_confidence) {
    // Kept: its confidence is its share of the two labels' mean scores.
    const auto score = [&](const std::string& l) {
      const auto it = mean.find(l);
      return it == mean.end() ? 0.F : it->second;
    };
    const float kept = score(t.label), other = score(label);
    t.confidence = kept + other > 0 ? kept / (kept + other) : 0.F;
    return;
  }
  t.label = std::move(label);
  t.confidence = confidence;
}

std::vector<int> Tracker::associate(const std::vector<Face>& faces, double time_ms) const {
  std::vector<cv::Rect> predicted, boxes;
  for (std::size_t i : live_) predicted.push_back(predicted_box(tracks_[i], time_ms));
  for (const Face& f : faces) boxes.push_back(f.box);
  // live_ is in id order, so match_greedy's ties go to the older track.
  std::vector<int> track_of = match_greedy(predicted, boxes, options_.match_iou);

  std::vector<bool> taken(live_.size(), false);
  for (int g : track_of)
    if (g >= 0) taken[static_cast<std::size_t>(g)] = true;
  std::vector<int> young_track, free_face;  // indices into live_ and faces
  std::vector<cv::Rect> young_boxes, free_boxes;
  const double f = options_.first_match_scale;
  for (std::size_t g = 0; g < live_.size(); ++g)
    if (!taken[g] && tracks_[live_[g]].detections == 1) {
      young_track.push_back(static_cast<int>(g));
      young_boxes.push_back(grown(predicted[g], f));
    }
  for (std::size_t j = 0; j < faces.size(); ++j)
    if (track_of[j] < 0) {
      free_face.push_back(static_cast<int>(j));
      free_boxes.push_back(grown(boxes[j], f));
    }
  const std::vector<int> second = match_greedy(young_boxes, free_boxes, options_.match_iou);
  for (std::size_t k = 0; k < second.size(); ++k)
    if (second[k] >= 0)
      track_of[static_cast<std::size_t>(free_face[k])] =
          young_track[static_cast<std::size_t>(second[k])];
  return track_of;
}

void Tracker::update(std::vector<Face>& faces, double time_ms) {
  expire(time_ms);
  ++detector_frames_;
  latest_ms_ = time_ms;
  const std::vector<int> track_of = associate(faces, time_ms);
  std::vector<bool> found(live_.size(), false);
  for (std::size_t j = 0; j < faces.size(); ++j) {
    if (track_of[j] < 0) continue;
    found[static_cast<std::size_t>(track_of[j])] = true;
    add_detection(tracks_[live_[static_cast<std::size_t>(track_of[j])]], faces[j], time_ms);
  }
  for (std::size_t g = 0; g < live_.size(); ++g)
    if (!found[g]) ++tracks_[live_[g]].missed;
  for (std::size_t j = 0; j < faces.size(); ++j) {
    if (track_of[j] >= 0) continue;
    Track t;
    t.id = static_cast<std::int64_t>(tracks_.size()) + 1;
    t.first_ms = time_ms;
    add_detection(t, faces[j], time_ms);
    live_.push_back(tracks_.size());
    tracks_.push_back(std::move(t));
  }
}

bool Tracker::shown(const Track& t, double time_ms) const {
  // A box seen once and not found by the next detector frame is most likely a false detection.
  const std::int64_t allowed = t.detections >= 2 ? options_.max_missed_shown : 0;
  return t.missed <= allowed && time_ms - t.last_detection_ms <= options_.max_gap_s * 1000;
}

Face Tracker::face_of(Track& t, const cv::Rect& box, double time_ms) {
  Face f;
  f.box = box;
  f.track = t.id;
  f.scores = mean_scores(t);
  f.label = t.label;
  f.confidence = t.confidence;
  ++t.frames;
  t.last_ms = std::max(t.last_ms, time_ms);
  return f;
}

std::vector<Face> Tracker::predict(double time_ms) {
  expire(time_ms);
  std::vector<Face> out;
  for (std::size_t i : live_) {
    Track& t = tracks_[i];
    if (!shown(t, time_ms)) continue;
    const cv::Rect box = predicted_box(t, time_ms);
    if (box.empty()) continue;  // moved out of the frame
    out.push_back(face_of(t, box, time_ms));
  }
  return out;
}

std::vector<Face> Tracker::interpolate(double time_ms) {
  std::vector<Face> out;
  for (std::size_t i : live_) {
    Track& t = tracks_[i];
    cv::Rect box;
    if (t.last_detection_ms == latest_ms_) {
      // Not on screen before its first detection; then on the line between its detections.
      if (t.previous_detection_ms < 0 || time_ms < t.previous_detection_ms) continue;
      const double span = t.last_detection_ms - t.previous_detection_ms;
      const double a =
          span > 0 ? std::clamp((time_ms - t.previous_detection_ms) / span, 0.0, 1.0) : 1.0;
      const double cx = t.px + a * (t.cx - t.px), cy = t.py + a * (t.cy - t.py);
      const double w = t.pw + a * (t.w - t.pw), h = t.ph + a * (t.h - t.ph);
      box = round_box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2);
      if (!options_.frame_size.empty()) box &= cv::Rect({0, 0}, options_.frame_size);
    } else {
      // Missed at the latest detector frame. Seen once, it was most likely a false detection,
      // which hindsight now hides; else it is shown as predict() showed it before the miss.
      if (t.detections < 2 || t.missed - 1 > options_.max_missed_shown ||
          time_ms - t.last_detection_ms > options_.max_gap_s * 1000)
        continue;
      box = predicted_box(t, time_ms);
    }
    if (box.empty()) continue;
    out.push_back(face_of(t, box, time_ms));
  }
  return out;
}

std::vector<TrackSummary> Tracker::tracks() const {
  std::vector<TrackSummary> out;
  out.reserve(tracks_.size());
  for (const Track& t : tracks_) {
    TrackSummary s;
    s.id = t.id;
    s.first_s = t.first_ms / 1000;
    s.last_s = t.last_ms / 1000;
    s.scores = mean_scores(t);
    std::tie(s.label, s.confidence) = rule_(s.scores);
    s.frames = t.frames;
    s.detections = t.detections;
    out.push_back(std::move(s));
  }
  return out;
}

bool Tracker::is_person(const TrackSummary& track) const {
  if (track.detections >= options_.min_detections) return true;
  // A track gains at most one detection per detector frame, so equality means every one.
  return detector_frames_ > 0 && detector_frames_ < options_.min_detections &&
         track.detections == detector_frames_;
}

}  // namespace maskdetect
