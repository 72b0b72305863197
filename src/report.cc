#include "maskdetect/report.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "maskdetect/atomic_file.hpp"
#include "maskdetect/errors.hpp"
#include "numbers.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace maskdetect {
namespace {

// File names on Linux are bytes, not UTF-8; nlohmann's default would throw on them and lose the
// whole report for one odd name. Replacing the bad bytes with U+FFFD keeps the report valid JSON.
template <class Json>
std::string dump(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// Objects are built in a fixed, reading order (path, kind, status first) for the outputs this
// file writes itself; the public to_json() overloads return nlohmann::json, whose keys sort.
using ojson = nlohmann::ordered_json;

ojson timing_json(const StageTimes& t) {
  return {{"decode", round_to(t.decode, 0.01)},
          {"detect", round_to(t.detect, 0.01)},
          {"classify", round_to(t.classify, 0.01)},
          {"write", round_to(t.write, 0.01)}};
}

ojson scores_json(const std::map<std::string, float>& scores) {
  ojson out = ojson::object();
  for (const auto& [label, p] : scores) out[label] = shortest(p);
  return out;
}

ojson face_json(const Face& face) {
  ojson j = {
      {"box",
       {{"x", face.box.x}, {"y", face.box.y}, {"w", face.box.width}, {"h", face.box.height}}},
      {"detector_score", face.detector_score ? ojson(shortest(*face.detector_score)) : ojson()},
      {"label", face.label},
      {"confidence", shortest(face.confidence)},
      {"scores", scores_json(face.scores)}};
  if (face.track >= 0) j["track"] = face.track;
  return j;
}

ojson faces_json(const std::vector<Face>& faces) {
  ojson arr = ojson::array();
  for (const Face& f : faces) arr.push_back(face_json(f));
  return arr;
}

ojson tracks_json(const std::vector<TrackSummary>& tracks) {
  ojson arr = ojson::array();
  for (const TrackSummary& t : tracks) {
    arr.push_back({{"id", t.id},
                   {"first_s", round_to(t.first_s, 0.001)},
                   {"last_s", round_to(t.last_s, 0.001)},
                   {"label", t.label},
                   {"confidence", shortest(t.confidence)},
                   {"scores", scores_json(t.scores)},
                   {"frames", t.frames},
                   {"detections", t.detections},
                   {"person", t.person}});
  }
  return arr;
}

ojson file_json(const FileResult& file) {
  const bool ok = file.status == FileStatus::Ok;
  ojson j = {
      {"path", file.path}, {"kind", to_string(file.kind)}, {"status", to_string(file.status)}};
  if (file.status == FileStatus::Error)
    j["error"] = file.error.empty() ? std::string("unknown error") : file.error;
  if (file.status == FileStatus::Skipped)
    j["reason"] = file.error.empty() ? std::string("not an image or video") : file.error;
  if (!file.format.empty()) j["format"] = file.format;
  if (file.width > 0 && file.height > 0) {
    j["width"] = file.width;
    j["height"] = file.height;
  }
  if (file.kind == FileKind::Video) {
    if (file.fps > 0 && std::isfinite(file.fps)) j["fps"] = round_to(file.fps, 0.001);
    // Totals are kept even for a failed video: they say how far it got.
    j["frames"] = file.frames;
    j["frames_with_faces"] = file.frames_with_faces;
    j["faces_by_label"] = file.faces_by_label;
    if (file.live) j["live"] = true;
    if (file.live || file.dropped_frames > 0) j["dropped_frames"] = file.dropped_frames;
    j["people_by_label"] = file.people_by_label;
    ojson seconds = ojson::object();
    for (const auto& [label, s] : file.seconds_by_label) seconds[label] = round_to(s, 0.001);
    j["seconds_by_label"] = std::move(seconds);
    j["tracks"] = tracks_json(file.tracks);
    if (!file.frames_file.empty()) j["frames_file"] = file.frames_file;
  } else if (ok || !file.faces.empty()) {
    // An ok image with no face says so with [] rather than by omission.
    j["faces"] = faces_json(file.faces);
  }
  if (!file.output.empty()) j["output"] = file.output;
  j["warnings"] = file.warnings;
  const StageTimes& t = file.timing_ms;
  if (ok || t.decode > 0 || t.detect > 0 || t.classify > 0 || t.write > 0)
    j["timing_ms"] = timing_json(t);
  return j;
}

ojson frame_json(const std::string& path, const FrameRecord& frame) {
  return {{"path", path},
          {"kind", "frame"},
          {"frame", frame.index},
          {"time_ms", round_to(frame.time_ms, 0.001)},
          {"faces", faces_json(frame.faces)}};
}

ojson summary_json(const RunSummary& s) {
  ojson j = {{"files", s.files},
             {"ok", s.ok},
             {"failed", s.failed},
             {"skipped", s.skipped},
             {"faces", s.faces},
             {"people", s.people},
             {"frames", s.frames},
             {"by_label", s.by_label},
             {"seconds", round_to(s.seconds, 0.001)},
             {"interrupted", s.interrupted}};
  if (!s.stopped.empty()) j["stopped"] = s.stopped;
  return j;
}

// A unique sibling of `path`: same directory (so rename() is atomic), hidden, and distinct per
// process and per call so concurrent writers never share a temporary.
[[noreturn]] void fail(const std::string& what, const fs::path& path, int err) {
  throw std::runtime_error("cannot " + what + " " + path.string() + ": " + std::strerror(err));
}

}  // namespace

json to_json(const Face& face) { return face_json(face); }
json to_json(const FileResult& file) { return file_json(file); }
json to_json(const std::string& path, const FrameRecord& frame) { return frame_json(path, frame); }
json to_json(const RunSummary& summary) { return summary_json(summary); }

// ---- report.json ----

JsonReport::JsonReport(fs::path path, RunInfo info)
    : path_(std::move(path)), spool_path_(temp_sibling(path_)), info_(std::move(info)) {
  spool_.open(spool_path_, std::ios::binary | std::ios::trunc);
  if (!spool_)
    throw SetupError("cannot write " + spool_path_.string() + ": " + std::strerror(errno) +
                     "; check the output folder is writable");
}

JsonReport::~JsonReport() {
  spool_.close();
  std::error_code ec;
  fs::remove(spool_path_, ec);
}

void JsonReport::add(const FileResult& file) {
  spool_ << dump(file_json(file)) << '\n';
  ++entries_;
}

void JsonReport::write(const RunSummary& summary) {
  ojson s = summary_json(summary);
  // RunSummary learns labels only from faces; a label with no face must still read 0 so
  // consumers can index by_label without checking for absence.
  for (const auto& label : info_.face_labels.empty() ? info_.labels : info_.face_labels)
    s["by_label"].emplace(label, 0);
  const ojson head = {
      {"schema", kReportSchema},
      {"tool", {{"name", "maskdetect"}, {"version", info_.tool_version}}},
      {"started_at", info_.started_at},
      {"model",
       {{"path", info_.model_path}, {"sha256", info_.model_sha256}, {"labels", info_.labels}}},
      {"params", info_.params.is_object() ? ojson(info_.params) : ojson::object()},
      {"files", ojson::array()},
      {"summary", std::move(s)}};
  // Pretty-printed, except that each file entry takes one line: readable, and a grep or a diff
  // lines up with files.
  const std::string text = dump(head, 2);
  const std::string slot = "\n  \"files\": []";
  const std::size_t at = text.find(slot);
  spool_.flush();
  if (!spool_) fail("write", spool_path_, errno != 0 ? errno : EIO);
  std::ifstream entries(spool_path_, std::ios::binary);
  AtomicFile out(path_);
  out.write(std::string_view(text).substr(0, at));
  out.write("\n  \"files\": [");
  std::size_t n = 0;
  for (std::string line; n < entries_ && std::getline(entries, line); ++n) {
    out.write(n == 0 ? "\n    " : ",\n    ");
    out.write(line);
  }
  if (n != entries_) fail("read back", spool_path_, EIO);
  out.write(entries_ == 0 ? "]" : "\n  ]");
  out.write(std::string_view(text).substr(at + slot.size()));
  out.write("\n");
  out.commit();
}

// ---- JSON Lines ----

JsonlWriter::JsonlWriter(std::ostream& out, StopRequest* on_closed)
    : out_(out), on_closed_(on_closed) {}

void JsonlWriter::add(const FileResult& file) {
  if (!out_) return;
  // Flushed per line: a consumer at the other end of a pipe acts on each result as it comes.
  out_ << dump(file_json(file)) << '\n' << std::flush;
  check();
}

void JsonlWriter::add_frame(const std::string& path, const FrameRecord& frame) {
  if (!out_) return;
  out_ << dump(frame_json(path, frame)) << '\n' << std::flush;
  check();
}

void JsonlWriter::check() {
  if (!out_ && on_closed_) on_closed_->request(StopRequest::kOutputClosed);
}

// ---- summary ----

std::string format_summary(const RunSummary& s, const std::vector<std::string>& labels) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(1);
  out << s.files << (s.files == 1 ? " file" : " files") << " (" << s.ok << " ok, " << s.failed
      << " failed";
  if (s.skipped > 0) out << ", " << s.skipped << " skipped";
  out << ") · " << s.faces << (s.faces == 1 ? " face" : " faces");
  // Videos count people (tracks), so a face on screen for a minute is one, not 1,500.
  if (s.frames > 0)
    out << " + " << s.people << (s.people == 1 ? " person" : " people") << " in videos";
  // Model labels first in model order, then anything else the results carried.
  std::vector<std::pair<std::string, std::int64_t>> counts;
  std::set<std::string> seen;
  for (const auto& l : labels) {
    if (!seen.insert(l).second) continue;
    const auto it = s.by_label.find(l);
    counts.emplace_back(l, it == s.by_label.end() ? 0 : it->second);
  }
  for (const auto& [l, n] : s.by_label)
    if (seen.insert(l).second) counts.emplace_back(l, n);
  for (std::size_t i = 0; i < counts.size(); ++i)
    out << (i == 0 ? ": " : ", ") << counts[i].first << ' ' << counts[i].second;
  if (s.frames > 0) out << " · " << s.frames << (s.frames == 1 ? " video frame" : " video frames");
  // Short runs need the second decimal or they all read "0.0 s".
  out << " · " << std::setprecision(s.seconds < 10 ? 2 : 1) << s.seconds << " s"
      << std::setprecision(1);
  if (s.seconds > 0) {
    out << ", " << s.files / s.seconds << " files/s";
    if (s.frames > 0) out << ", " << s.frames / s.seconds << " frames/s";
  }
  out << '\n';
  if (s.interrupted)
    out << "interrupted" << (s.stopped.empty() ? "" : " (" + s.stopped + ")")
        << ": the reports cover only the files finished before the stop\n";
  return out.str();
}

}  // namespace maskdetect
