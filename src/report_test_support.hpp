// Builders for report tests (report_test.cc, report_schema_test.cc).
#pragma once

#include <string>
#include <vector>

#include "maskdetect/report.hpp"
#include "test_support.hpp"

namespace maskdetect::report_testing {

inline Face face(const std::string& label, float confidence) {
  Face f = maskdetect::testing::make_face({10, 20, 64, 64}, label, confidence);
  f.scores = {{"mask", label == "mask" ? confidence : 1 - confidence},
              {"no_mask", label == "mask" ? 1 - confidence : confidence}};
  return f;
}

inline FileResult image(const std::string& path, std::vector<Face> faces) {
  FileResult r;
  r.path = path;
  r.kind = FileKind::Image;
  r.format = "jpeg";
  r.width = 1280;
  r.height = 720;
  r.output = "results/" + path;
  r.faces = std::move(faces);
  r.timing_ms = {3.14159, 12, 2.2, 4.004};
  return r;
}

inline FileResult video(const std::string& path) {
  FileResult r;
  r.path = path;
  r.kind = FileKind::Video;
  r.format = "mp4";
  r.width = 640;
  r.height = 360;
  r.fps = 29.97;
  r.frames = 275;
  r.frames_with_faces = 200;
  r.faces_by_label = {{"mask", 0}, {"no_mask", 310}};
  r.people_by_label = {{"mask", 0}, {"no_mask", 1}};
  r.seconds_by_label = {{"mask", 0.0}, {"no_mask", 6.7}};
  TrackSummary t;
  t.id = 1;
  t.first_s = 0.2;
  t.last_s = 6.9;
  t.label = "no_mask";
  t.confidence = 0.97F;
  t.scores = {{"mask", 0.03F}, {"no_mask", 0.97F}};
  t.frames = 201;
  t.detections = 67;
  t.person = true;
  r.tracks = {t};
  r.output = "results/" + path;
  r.frames_file = "results/" + path + ".frames.jsonl";
  return r;
}

inline FileResult broken(const std::string& path, const std::string& error) {
  FileResult r;
  r.path = path;
  r.kind = FileKind::Unknown;
  r.status = FileStatus::Error;
  r.error = error;
  return r;
}

inline FrameRecord frame(std::int64_t index, std::vector<Face> faces) {
  FrameRecord f;
  f.index = index;
  f.time_ms = index * 33.366;
  f.faces = std::move(faces);
  return f;
}

inline RunInfo run_info() {
  RunInfo info;
  info.tool_version = "0.1.0";
  info.model_path = "models/mask_mobilenetv2.onnx";
  info.model_sha256 = std::string(64, 'a');
  info.labels = {"mask", "no_mask"};
  info.params = {{"detector", "haar"}, {"scale_factor", 1.1}, {"threshold", 0.5}};
  info.started_at = "2026-11-25T22:00:00Z";
  return info;
}

}  // namespace maskdetect::report_testing
