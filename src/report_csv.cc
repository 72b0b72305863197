#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "maskdetect/atomic_file.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/journal.hpp"
#include "maskdetect/report.hpp"
#include "numbers.hpp"

namespace fs = std::filesystem;

namespace maskdetect {

// ---- report.csv ----

namespace {

std::string scores_text(const std::map<std::string, float>& scores) {
  std::string out;
  for (const auto& [label, p] : scores) {
    if (!out.empty()) out += ';';
    out += label + "=" + number_text(p);
  }
  return out;
}

std::string join_warnings(const std::vector<std::string>& warnings) {
  std::string out;
  for (const auto& w : warnings) {
    if (!out.empty()) out += "; ";
    out += w;
  }
  return out;
}

// The columns of header(), in order.
struct Row {
  std::string path, kind, status, frame, time_ms, end_ms, face, track, x, y, w, h, label,
      confidence, scores, error, warnings;
};

void put_face(Row& row, std::size_t index, const Face& f) {
  row.face = std::to_string(index);
  row.track = f.track >= 0 ? std::to_string(f.track) : std::string();
  row.x = std::to_string(f.box.x);
  row.y = std::to_string(f.box.y);
  row.w = std::to_string(f.box.width);
  row.h = std::to_string(f.box.height);
  row.label = f.label;
  row.confidence = number_text(f.confidence);
  row.scores = scores_text(f.scores);
}

void write_row(AtomicFile& out, const Row& r) {
  const std::string* cells[] = {&r.path,  &r.kind,       &r.status, &r.frame, &r.time_ms, &r.end_ms,
                                &r.face,  &r.track,      &r.x,      &r.y,     &r.w,       &r.h,
                                &r.label, &r.confidence, &r.scores, &r.error, &r.warnings};
  // Text that comes from outside (file names, labels, messages quoting them) must not become a
  // formula; numbers are ours, and a negative x must stay a number.
  const std::string* text[] = {&r.path, &r.label, &r.scores, &r.error, &r.warnings};
  std::string line;
  for (const std::string* c : cells) {
    if (!line.empty() || c != cells[0]) line += ',';
    const bool is_text = std::find(std::begin(text), std::end(text), c) != std::end(text);
    line += CsvReport::escape(is_text ? CsvReport::neutralise(*c) : *c);
  }
  line += '\n';
  out.write(line);
}

}  // namespace

CsvReport::CsvReport(fs::path path) {
  try {
    out_ = std::make_unique<AtomicFile>(std::move(path));
  } catch (const std::runtime_error& e) {
    throw SetupError(std::string(e.what()) + "; check the output folder is writable");
  }
  out_->write(header() + "\n");
}

CsvReport::~CsvReport() {
  if (finished_) return;
  try {
    finish();
  } catch (...) {
    // A destructor must not throw; finish() has already removed its temporary.
  }
}

std::string CsvReport::header() {
  return "path,kind,status,frame,time_ms,end_ms,face,track,x,y,w,h,label,confidence,scores,error,"
         "warnings";
}

std::string CsvReport::neutralise(const std::string& text) {
  // OWASP's rule for CSV injection: a cell a spreadsheet would evaluate gets a leading quote.
  if (!text.empty() && std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos)
    return "'" + text;
  return text;
}

std::string CsvReport::escape(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void CsvReport::add_frame(const FileResult& video, const FrameRecord& frame) {
  if (finished_) return;
  Row row;
  row.path = video.path;
  row.kind = "frame";
  row.status = "ok";
  row.frame = std::to_string(frame.index);
  row.time_ms = number_text(round_to(frame.time_ms, 0.001));
  for (std::size_t i = 0; i < frame.faces.size(); ++i) {
    put_face(row, i, frame.faces[i]);
    write_row(*out_, row);
  }
}

// A video's people: one row per track, from its first to its last time on screen.
void CsvReport::add_tracks(const FileResult& video) {
  for (const TrackSummary& t : video.tracks) {
    Row row;
    row.path = video.path;
    row.kind = t.person ? "person" : "track";
    row.status = to_string(video.status);
    // To the millisecond, as report.json's first_s and last_s: the same sheet whether a track
    // came from this run or, through --resume, from the journal.
    row.time_ms = number_text(round_to(round_to(t.first_s, 0.001) * 1000, 0.001));
    row.end_ms = number_text(round_to(round_to(t.last_s, 0.001) * 1000, 0.001));
    row.track = std::to_string(t.id);
    row.label = t.label;
    row.confidence = number_text(t.confidence);
    row.scores = scores_text(t.scores);
    write_row(*out_, row);
  }
}

// A video --resume took from an earlier run: its frame rows come from its frame records, so
// the sheet is the one an uninterrupted run writes.
void CsvReport::replay_frames(const FileResult& video) {
  std::ifstream in(video.frames_file);
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) add_frame(video, frame_from_json(j));
  }
}

void CsvReport::add(const FileResult& file) {
  if (finished_) return;
  if (file.resumed && file.kind == FileKind::Video && !file.frames_file.empty())
    replay_frames(file);
  Row row;
  row.path = file.path;
  row.kind = to_string(file.kind);
  row.status = to_string(file.status);
  // A skipped file's reason goes where a failed file's error does: why it was not processed.
  row.error = file.status != FileStatus::Ok ? file.error : std::string();
  row.warnings = join_warnings(file.warnings);
  // A video's faces went out frame by frame; its closing row (like an image with no face or a
  // failed file) makes sure every input shows up at least once.
  if (file.kind == FileKind::Video || file.faces.empty()) {
    write_row(*out_, row);
    add_tracks(file);
    return;
  }
  for (std::size_t i = 0; i < file.faces.size(); ++i) {
    put_face(row, i, file.faces[i]);
    write_row(*out_, row);
  }
}

void CsvReport::finish() {
  if (finished_) return;
  finished_ = true;
  out_->commit();
}

}  // namespace maskdetect
