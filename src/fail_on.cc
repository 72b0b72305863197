#include "fail_on.hpp"

#include <algorithm>
#include <sstream>

#include "numbers.hpp"

namespace maskdetect {
namespace {

// Enough to find the culprit in a CI log; the reports have the rest.
constexpr std::size_t kMaxListed = 20;

std::string seconds_text(double s) { return number_text(round_to(s, 0.1)); }

// "2 no_mask faces" / "person 3 (no_mask) on screen 1.2–6.9 s, person 5 (...)".
std::string why_video(const FileResult& r, const std::function<bool(const std::string&)>& counts) {
  std::string out;
  for (const TrackSummary& t : r.tracks) {
    if (!t.person || !counts(t.label)) continue;
    if (!out.empty()) out += ", ";
    out += "person " + std::to_string(t.id) + " (" + t.label + ") on screen " +
           seconds_text(t.first_s) + "-" + seconds_text(t.last_s) + " s";
  }
  return out;
}

std::string why_image(const FileResult& r, const std::function<bool(const std::string&)>& counts) {
  std::map<std::string, int> n;
  for (const Face& f : r.faces)
    if (counts(f.label)) ++n[f.label];
  std::string out;
  for (const auto& [label, k] : n)
    out +=
        (out.empty() ? "" : ", ") + std::to_string(k) + " " + label + (k == 1 ? " face" : " faces");
  return out;
}

}  // namespace

FailOnWitness::FailOnWitness(FailOn fail_on, std::vector<std::string> failing)
    : fail_on_(fail_on), failing_(std::move(failing)) {}

bool FailOnWitness::failing(const std::string& label) const {
  return std::find(failing_.begin(), failing_.end(), label) != failing_.end();
}

void FailOnWitness::note(Condition& c, const std::string& why) {
  if (why.empty()) return;
  ++c.count;
  if (c.files.size() < kMaxListed) c.files.push_back(why);
}

void FailOnWitness::file(const InputFile&, FileResult& r) {
  const bool video = r.kind == FileKind::Video;
  const auto why = [&](const std::function<bool(const std::string&)>& counts) {
    const std::string w = video ? why_video(r, counts) : why_image(r, counts);
    return w.empty() ? w : r.path + ": " + w;
  };
  if (fail_on_.unmasked) note(unmasked_, why([this](const std::string& l) { return failing(l); }));
  if (fail_on_.any_face) note(any_face_, why([](const std::string&) { return true; }));
  if (fail_on_.error && r.status == FileStatus::Error) note(error_, r.path + ": " + r.error);
}

std::string FailOnWitness::explain(const RunSummary& summary) const {
  std::ostringstream out;
  for (const Condition* c : {&unmasked_, &any_face_, &error_}) {
    if (c->count == 0) continue;
    out << "maskdetect: --fail-on " << c->name << " was met by " << c->count
        << (c->count == 1 ? " file:\n" : " files:\n");
    for (const auto& f : c->files) out << "  " << f << '\n';
    if (c->count > static_cast<std::int64_t>(c->files.size()))
      out << "  ... and " << c->count - static_cast<std::int64_t>(c->files.size())
          << " more (see report.json)\n";
  }
  if (fail_on_.empty && summary.files == summary.skipped)
    out << "maskdetect: --fail-on empty was met: no image or video was found to process\n";
  return out.str();
}

}  // namespace maskdetect
