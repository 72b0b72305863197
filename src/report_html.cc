#include "maskdetect/report_html.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "maskdetect/annotate.hpp"
#include "maskdetect/atomic_file.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/media_sinks.hpp"
#include "maskdetect/web_assets.hpp"
#include "numbers.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace maskdetect {
namespace {

// The frame scaled to fit kThumbnailSide, with the faces drawn as the annotated outputs draw
// them. `full` is the size the face boxes are in.
cv::Mat thumbnail(const cv::Mat& bgr, std::vector<Face> faces, cv::Size full,
                  const ModelCard& card) {
  const double k =
      std::min(1.0, static_cast<double>(kThumbnailSide) / std::max(bgr.cols, bgr.rows));
  const cv::Size size(std::max(1, static_cast<int>(std::lround(bgr.cols * k))),
                      std::max(1, static_cast<int>(std::lround(bgr.rows * k))));
  // A camera photo is 10-20x the thumbnail, and INTER_AREA by such a factor that is not a whole
  // number costs 17-25 ms per 12 MP photo, half the time spent writing it: a whole factor first
  // (OpenCV's fast path for it), then the rest on the small copy. The few pixels a whole factor
  // leaves at the right and bottom edges do not show at thumbnail size.
  const int whole = std::min(bgr.cols / size.width, bgr.rows / size.height);
  cv::Mat first, small;
  if (whole >= 2) {
    cv::resize(bgr(cv::Rect(0, 0, bgr.cols / whole * whole, bgr.rows / whole * whole)), first,
               cv::Size(bgr.cols / whole, bgr.rows / whole), 0, 0, cv::INTER_AREA);
  } else {
    first = bgr;
  }
  cv::resize(first, small, size, 0, 0, cv::INTER_AREA);
  annotate(small, rescale_faces(std::move(faces), full, small.size()), card);
  return small;
}

bool write_jpeg(const fs::path& path, const cv::Mat& bgr) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  try {
    return cv::imwrite(path.string(), bgr, {cv::IMWRITE_JPEG_QUALITY, 75});
  } catch (const cv::Exception&) {
    return false;
  }
}

// What the page needs of a file: report.json's entry without the per-label scores and timings
// (a tenth of the size), plus links to the thumbnail, the annotated output and the source.
json page_entry(const FileResult& r, const InputFile& input, const fs::path& out_dir) {
  json j = to_json(r);
  j.erase("timing_ms");
  j.erase("frames_file");
  for (auto* list : {&j["faces"], &j["tracks"]}) {
    if (list->is_null()) continue;
    for (auto& item : *list) {
      item.erase("scores");
      item.erase("detector_score");
    }
  }
  if (j["faces"].is_null()) j.erase("faces");
  if (j["tracks"].is_null()) j.erase("tracks");
  std::error_code ec;
  if (const fs::path thumb = ReportThumbnails::path(out_dir, input.out_rel); fs::exists(thumb, ec))
    j["thumb"] = relative_url(thumb, out_dir);
  if (!r.output.empty()) j["annotated"] = relative_url(r.output, out_dir);
  if (!r.live && !input.path.empty() && input.error.empty())
    j["source"] = relative_url(input.path, out_dir);
  if (r.kind == FileKind::Video && r.fps > 0)
    j["duration_s"] = round_to(static_cast<double>(r.frames) / r.fps, 0.001);
  struct stat st {};
  if (!r.live && ::stat(input.path.c_str(), &st) == 0) j["mtime"] = st.st_mtime;
  return j;
}

}  // namespace

std::string relative_url(const fs::path& path, const fs::path& from) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec), base = fs::absolute(from, ec);
  const std::string rel =
      abs.lexically_normal().lexically_relative(base.lexically_normal()).string();
  std::string out = rel.rfind("../", 0) == 0 ? "" : "./";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const unsigned char c : rel) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string url_path(const std::string& url) {
  std::string out;
  const auto hex = [&](std::size_t i) {
    return i < url.size() && std::isxdigit(static_cast<unsigned char>(url[i]));
  };
  for (std::size_t i = 0; i < url.size(); ++i) {
    if (url[i] == '%' && hex(i + 1) && hex(i + 2)) {
      out += static_cast<char>(std::stoi(url.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += url[i];
    }
  }
  return out;
}

fs::path ReportThumbnails::path(const fs::path& out_dir, const fs::path& out_rel) {
  return out_dir / "report_files" / (out_rel.string() + ".jpg");
}

ReportThumbnails::ReportThumbnails(fs::path out_dir, const ModelCard& card)
    : out_dir_(std::move(out_dir)), card_(card) {}

void ReportThumbnails::image(const InputFile& input, FileResult& result, cv::Mat& bgr) {
  const cv::Mat small = thumbnail(bgr, result.faces, cv::Size(result.width, result.height), card_);
  if (!write_jpeg(path(out_dir_, input.out_rel), small))
    result.warnings.push_back("could not write the report.html thumbnail");
}

void ReportThumbnails::frame(const InputFile&, FileResult&, const FrameRecord& frame,
                             cv::Mat& bgr) {
  if (!poster_.empty() && (poster_has_faces_ || frame.faces.empty())) return;
  poster_ = thumbnail(bgr, frame.faces, bgr.size(), card_);
  poster_has_faces_ = !frame.faces.empty();
}

void ReportThumbnails::file(const InputFile& input, FileResult& result) {
  if (!poster_.empty() && !write_jpeg(path(out_dir_, input.out_rel), poster_))
    result.warnings.push_back("could not write the report.html thumbnail");
  poster_.release();
  poster_has_faces_ = false;
}

HtmlReport::HtmlReport(fs::path out_dir, const ModelCard& card, RunInfo info)
    : out_dir_(std::move(out_dir)),
      spool_path_(temp_sibling(out_dir_ / "report.html")),
      card_(card),
      info_(std::move(info)) {
  spool_.open(spool_path_, std::ios::binary | std::ios::trunc);
  if (!spool_)
    throw SetupError("cannot write " + spool_path_.string() + ": " + std::strerror(errno) +
                     "; check the output folder is writable");
}

HtmlReport::~HtmlReport() {
  spool_.close();
  std::error_code ec;
  fs::remove(spool_path_, ec);
}

void HtmlReport::file(const InputFile& input, FileResult& result) {
  spool_ << json_for_script(page_entry(result, input, out_dir_)) << '\n';
}

void HtmlReport::finish(const RunSummary& summary) {
  spool_.flush();
  std::ifstream entries(spool_path_, std::ios::binary);
  write_report_html(out_dir_, html_head(info_, card_), summary, entries);
}

json html_head(const RunInfo& info, const ModelCard& card) {
  return {{"schema", "maskdetect.html/1"},
          {"tool_version", info.tool_version},
          {"started_at", info.started_at},
          {"model", {{"path", info.model_path}, {"sha256", info.model_sha256}}},
          {"params", info.params},
          {"labels", info.face_labels},
          {"roles",
           {{"masked", card.masked_label},
            {"unmasked", card.unmasked_label},
            {"incorrect", card.incorrect_label}}}};
}

void write_report_html(const fs::path& out_dir, json head, const RunSummary& summary,
                       std::istream& entries) {
  head.erase("files");
  head["summary"] = to_json(summary);
  for (const auto& label : head.value("labels", json::array()))
    if (!head["summary"]["by_label"].contains(label)) head["summary"]["by_label"][label] = 0;
  std::string text = json_for_script(head);
  text.pop_back();  // the closing brace: the files follow
  const std::string page = web_page("report.html");
  static constexpr std::string_view kSlot = "<!-- data -->";
  const auto at = page.find(kSlot);
  AtomicFile out(out_dir / "report.html");
  out.write(std::string_view(page).substr(0, at));
  out.write(text);
  out.write(",\"files\":[\n");
  std::string line;
  for (bool first = true; std::getline(entries, line); first = false) {
    if (!first) out.write(",\n");
    out.write(line);
  }
  out.write("]}");
  out.write(std::string_view(page).substr(at + kSlot.size()));
  out.commit();
}

json read_report_html_data(const fs::path& page) {
  std::ifstream in(page, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  static constexpr std::string_view kOpen = "<script id=\"report-data\" type=\"application/json\">";
  const auto start = text.find(kOpen);
  const auto end = start == std::string::npos ? start : text.find("</script>", start);
  if (end == std::string::npos) return nullptr;
  const auto from = start + kOpen.size();
  // json_for_script wrote every '<' as \u003c, so the element's first "</script>" is its end.
  json data = json::parse(text.substr(from, end - from), nullptr, false);
  return data.is_discarded() || !data.is_object() ? json(nullptr) : data;
}

}  // namespace maskdetect
