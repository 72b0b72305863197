// Report entries read back into results, for --resume: what report.cc writes, inverted.
#include <nlohmann/json.hpp>

#include "maskdetect/journal.hpp"

using nlohmann::json;

namespace maskdetect {
namespace {

FileKind kind_of(const std::string& s) {
  if (s == "image") return FileKind::Image;
  if (s == "video") return FileKind::Video;
  return FileKind::Unknown;
}

FileStatus status_of(const std::string& s) {
  if (s == "ok") return FileStatus::Ok;
  if (s == "skipped") return FileStatus::Skipped;
  return FileStatus::Error;
}

template <class T>
std::map<std::string, T> label_map(const json& j, const char* key) {
  std::map<std::string, T> out;
  if (j.contains(key))
    for (const auto& [label, v] : j[key].items()) out[label] = v.template get<T>();
  return out;
}

Face face_from_json(const json& j) {
  Face f;
  const json& b = j.at("box");
  f.box = {b.at("x").get<int>(), b.at("y").get<int>(), b.at("w").get<int>(), b.at("h").get<int>()};
  if (j.contains("detector_score") && !j["detector_score"].is_null())
    f.detector_score = j["detector_score"].get<float>();
  f.label = j.value("label", "");
  f.confidence = j.value("confidence", 0.F);
  f.scores = label_map<float>(j, "scores");
  f.track = j.value("track", std::int64_t{-1});
  return f;
}

TrackSummary track_from_json(const json& j) {
  TrackSummary t;
  t.id = j.value("id", std::int64_t{0});
  t.first_s = j.value("first_s", 0.0);
  t.last_s = j.value("last_s", 0.0);
  t.label = j.value("label", "");
  t.confidence = j.value("confidence", 0.F);
  t.scores = label_map<float>(j, "scores");
  t.frames = j.value("frames", std::int64_t{0});
  t.detections = j.value("detections", std::int64_t{0});
  t.person = j.value("person", false);
  return t;
}

void video_from_json(const json& j, FileResult& r) {
  r.fps = j.value("fps", 0.0);
  r.frames = j.value("frames", std::int64_t{0});
  r.frames_with_faces = j.value("frames_with_faces", std::int64_t{0});
  r.faces_by_label = label_map<std::int64_t>(j, "faces_by_label");
  r.live = j.value("live", false);
  r.dropped_frames = j.value("dropped_frames", std::int64_t{0});
  r.people_by_label = label_map<std::int64_t>(j, "people_by_label");
  r.seconds_by_label = label_map<double>(j, "seconds_by_label");
  for (const json& t : j.value("tracks", json::array())) r.tracks.push_back(track_from_json(t));
  r.frames_file = j.value("frames_file", "");
  // Read to the end (it was finished), so the annotated-video sink has nothing to cut.
  r.frames_expected = r.frames;
}

}  // namespace

FrameRecord frame_from_json(const json& j) {
  FrameRecord f;
  f.index = j.value("frame", std::int64_t{0});
  f.time_ms = j.value("time_ms", 0.0);
  for (const json& face : j.value("faces", json::array())) f.faces.push_back(face_from_json(face));
  return f;
}

FileResult file_from_json(const json& j) {
  FileResult r;
  r.path = j.value("path", "");
  r.kind = kind_of(j.value("kind", ""));
  r.status = status_of(j.value("status", ""));
  r.error = j.value(r.status == FileStatus::Skipped ? "reason" : "error", "");
  r.format = j.value("format", "");
  r.width = j.value("width", 0);
  r.height = j.value("height", 0);
  r.output = j.value("output", "");
  r.warnings = j.value("warnings", std::vector<std::string>{});
  for (const json& f : j.value("faces", json::array())) r.faces.push_back(face_from_json(f));
  if (r.kind == FileKind::Video) video_from_json(j, r);
  if (j.contains("timing_ms")) {
    const json& t = j["timing_ms"];
    r.timing_ms = {t.value("decode", 0.0), t.value("detect", 0.0), t.value("classify", 0.0),
                   t.value("write", 0.0)};
  }
  return r;
}

}  // namespace maskdetect
