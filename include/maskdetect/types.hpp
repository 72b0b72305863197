// Plain data passed between the stages: what every sink needs and nothing else.
#pragma once

#include <cstdint>
#include <map>
#include <opencv2/core/types.hpp>
#include <optional>
#include <string>
#include <vector>

namespace maskdetect {

struct Face {
  cv::Rect box;                         // in original image pixels
  std::optional<float> detector_score;  // none for detectors without a score (Haar)
  std::string label;                    // one of the model's labels
  float confidence = 0.F;               // probability of `label`
  std::map<std::string, float> scores;  // probability of every label
  std::int64_t track = -1;              // video: the track this face belongs to; -1: none
  int detector_support = 0;             // Haar: raw hits merged into the box; not reported
};

// One tracked face over a video (see Tracker): the label is decided from the mean of its scores
// over every frame the detector found it in.
struct TrackSummary {
  std::int64_t id = 0;
  double first_s = 0, last_s = 0;  // first and last frame it was reported on, detected or predicted
  std::string label;
  float confidence = 0.F;
  std::map<std::string, float> scores;  // mean over its detections
  std::int64_t frames = 0;              // frames it was reported on, predicted ones included
  std::int64_t detections = 0;          // frames the detector found it in
  bool person = false;                  // counted as a person (Tracker::is_person)
};

// Milliseconds spent in each stage for one image or one video frame (summed over a video).
struct StageTimes {
  double decode = 0, detect = 0, classify = 0, write = 0;
  StageTimes& operator+=(const StageTimes& o) {
    decode += o.decode;
    detect += o.detect;
    classify += o.classify;
    write += o.write;
    return *this;
  }
};

// One processed video frame.
struct FrameRecord {
  std::int64_t index = 0;
  double time_ms = 0;  // presentation time from the start of the video
  std::vector<Face> faces;
};

enum class FileKind { Image, Video, Unknown };
// Skipped: not an image or video (a README, an .xml), so not processed and not a failure.
enum class FileStatus { Ok, Error, Skipped };

const char* to_string(FileKind kind);
const char* to_string(FileStatus status);

// The outcome for one input file. For videos the per-frame detail streams to the JSONL and
// per-video frame files; this keeps only totals so memory does not grow with video length.
struct FileResult {
  std::string path;  // the input path as the user can find it
  FileKind kind = FileKind::Unknown;
  FileStatus status = FileStatus::Ok;
  std::string format;  // "jpeg", "png", "mp4", ...; empty when unrecognised
  std::string error;   // why it failed (status Error) or was skipped (status Skipped)
  std::vector<std::string> warnings;
  int width = 0, height = 0;
  std::string output;       // annotated image or video written, empty when none
  std::vector<Face> faces;  // images only
  // Videos only.
  double fps = 0;
  std::int64_t frames = 0;  // frames processed
  std::int64_t frames_with_faces = 0;
  std::map<std::string, std::int64_t> faces_by_label;  // videos: totals over frames
  std::string frames_file;                             // per-frame JSONL written for this video
  bool live = false;                                   // a camera or stream
  std::int64_t frames_expected = 0;  // frames it will have when read to the end; 0: unknown
  std::int64_t dropped_frames = 0;   // live: skipped because processing fell behind
  std::vector<TrackSummary> tracks;  // every face track, in order of appearance
  // Tracks that are people (Tracker::is_person), by their label.
  std::map<std::string, std::int64_t> people_by_label;
  // Seconds during which a face with the label was on screen (any number of such faces).
  std::map<std::string, double> seconds_by_label;
  StageTimes timing_ms;
  // Taken from an earlier run's journal by --resume, not processed now.
  bool resumed = false;
  // Cut short by a stop (Ctrl-C, SIGTERM): --resume processes it again.
  bool partial = false;
};

struct RunSummary {
  // faces: of images; people: tracks of videos (a person on screen for a minute counts once).
  std::int64_t files = 0, ok = 0, failed = 0, skipped = 0, faces = 0, frames = 0, people = 0;
  std::map<std::string, std::int64_t> by_label;  // image faces plus video people
  double seconds = 0;
  bool interrupted = false;
  std::string stopped;  // why the run stopped before its inputs ended ("SIGTERM", ...); "" if not
  void add(const FileResult& r);
};

// The box's corners (x, y) and (x + w, y + h) times (sx, sy), each rounded to the nearest
// pixel (halves away from zero); the box between them, empty when they meet.
cv::Rect scale_box(const cv::Rect& box, double sx, double sy);

}  // namespace maskdetect
