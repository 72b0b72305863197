// report.html: a page to look at after a run, one self-contained file (no network) with small
// thumbnails beside it, drawn by the page from the run's results (web/report.js).
#pragma once

#include <filesystem>
#include <fstream>
#include <istream>
#include <nlohmann/json.hpp>
#include <string>

#include "maskdetect/model_card.hpp"
#include "maskdetect/report.hpp"
#include "maskdetect/sink.hpp"

namespace maskdetect {

// Longest side of the thumbnails in report_files/: enough for a gallery card on a high-density
// screen, about 10 KB as JPEG, so 10,000 photos make a page that still opens at once.
inline constexpr int kThumbnailSide = 256;

// Thumbnails under OUT/report_files/ for report.html: each image, and for a video its first
// frame with a face (else its first frame). Must come before the sinks that draw on the pixels:
// it draws its own boxes, scaled to the thumbnail.
class ReportThumbnails : public Sink {
 public:
  ReportThumbnails(std::filesystem::path out_dir, const ModelCard& card);
  int pixels_needed() const override { return kThumbnailSide; }
  void image(const InputFile& input, FileResult& result, cv::Mat& bgr) override;
  void frame(const InputFile& input, FileResult& video, const FrameRecord& frame,
             cv::Mat& bgr) override;
  void file(const InputFile& input, FileResult& result) override;

  // Where the thumbnail of the input with `out_rel` goes.
  static std::filesystem::path path(const std::filesystem::path& out_dir,
                                    const std::filesystem::path& out_rel);

 private:
  std::filesystem::path out_dir_;
  const ModelCard& card_;
  cv::Mat poster_;  // the current video's
  bool poster_has_faces_ = false;
};

// Writes OUT/report.html at finish(). Entries are spooled to a hidden file as they come (as
// report.json's are), so memory does not grow with the run. Must come after the sinks that
// record outputs (annotated media, thumbnails) so that it can link them.
class HtmlReport : public Sink {
 public:
  HtmlReport(std::filesystem::path out_dir, const ModelCard& card, RunInfo info);
  ~HtmlReport();
  HtmlReport(const HtmlReport&) = delete;
  HtmlReport& operator=(const HtmlReport&) = delete;

  void file(const InputFile& input, FileResult& result) override;
  void finish(const RunSummary& summary) override;

 private:
  std::filesystem::path out_dir_, spool_path_;
  const ModelCard& card_;
  RunInfo info_;
  std::ofstream spool_;
};

// report.html's context (tool, model, params, the face labels and their roles), without the
// summary and files that write_report_html adds.
nlohmann::json html_head(const RunInfo& info, const ModelCard& card);

// Writes OUT/report.html: the page with `head`, `summary` (every label of head's "labels" at 0
// when no face had it) and the file entries of `entries` inlined. Each line of `entries` is one
// file's data as json_for_script writes it. HtmlReport and `maskdetect merge` both write so.
void write_report_html(const std::filesystem::path& out_dir, nlohmann::json head,
                       const RunSummary& summary, std::istream& entries);

// The data a report.html carries (head, summary and "files"), read back; null when the file is
// missing or holds none.
nlohmann::json read_report_html_data(const std::filesystem::path& page);

// `path` as a relative URL from the folder `from` (both made absolute first): each byte that is
// not unreserved percent-encoded, and "./" in front so no name can read as a URL scheme.
std::string relative_url(const std::filesystem::path& path, const std::filesystem::path& from);
// The path a relative_url names, relative to its `from`: each %XX decoded.
std::string url_path(const std::string& url);

}  // namespace maskdetect
