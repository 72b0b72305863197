#include "maskdetect/merge.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "maskdetect/atomic_file.hpp"
#include "maskdetect/errors.hpp"
#include "maskdetect/journal.hpp"
#include "maskdetect/out_dir.hpp"
#include "maskdetect/report.hpp"
#include "maskdetect/report_html.hpp"
#include "maskdetect/shard.hpp"
#include "maskdetect/web_assets.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace maskdetect {
namespace {

struct ShardRun {
  fs::path dir;
  json report;
  Shard shard;
};

ShardRun read_shard(const fs::path& dir) {
  const fs::path path = dir / "report.json";
  const std::string where = "merge: " + dir.string() + ": ";
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw SetupError(where +
                     "no report.json; give the --out folder of each shard, once its "
                     "run has ended");
  ShardRun s{dir, json::parse(in, nullptr, false), {}};
  if (s.report.is_discarded() || s.report.value("schema", "") != kReportSchema)
    throw SetupError(where + "report.json is not a " + kReportSchema + " report");
  const json& summary = s.report.at("summary");
  if (summary.value("interrupted", false))
    throw SetupError(where + "the shard was stopped (" + summary.value("stopped", "interrupted") +
                     ") before its inputs ended; finish it by running it again with --resume");
  const json& params = s.report.at("params");
  if (!params.contains("shard"))
    throw SetupError(where + "not a shard: its run had no --shard K/N");
  s.shard = parse_shard(params["shard"].get<std::string>(),
                        [](const char*) -> const char* { return nullptr; });
  return s;
}

// The options that must match: the params, less the shard itself and the thread count (which
// never changes a result).
json options_of(const ShardRun& s) {
  json p = s.report.at("params");
  p.erase("shard");
  p.erase("threads");
  return p;
}

// The first option whose value differs, as "name A against B" for the message.
std::string first_difference(const json& a, const json& b) {
  std::set<std::string> keys;
  for (const auto& [k, v] : a.items()) keys.insert(k);
  for (const auto& [k, v] : b.items()) keys.insert(k);
  for (const auto& k : keys)
    if (a.value(k, json()) != b.value(k, json()))
      return k + " " + a.value(k, json()).dump() + " against " + b.value(k, json()).dump();
  return "";
}

void check_together(const std::vector<ShardRun>& runs) {
  const ShardRun& first = runs.front();
  const int n = first.shard.count;
  std::map<int, fs::path> seen;
  for (const ShardRun& s : runs) {
    const std::string pair = first.dir.string() + " and " + s.dir.string();
    if (s.shard.count != n)
      throw SetupError("merge: " + pair + " split the inputs differently (" + first.shard.text() +
                       ", " + s.shard.text() + "); every shard must use the same N");
    const std::string sha = s.report.at("model").value("sha256", "");
    if (sha != first.report.at("model").value("sha256", ""))
      throw SetupError("merge: " + pair + " ran with different models (sha256 " + sha + ")");
    if (const std::string d = first_difference(options_of(first), options_of(s)); !d.empty())
      throw SetupError("merge: " + pair + " ran with different options: " + d);
    if (const auto [it, fresh] = seen.emplace(s.shard.index, s.dir); !fresh)
      throw SetupError("merge: shard " + s.shard.text() +
                       " is given twice: " + it->second.string() + " and " + s.dir.string());
  }
  std::string missing;
  for (int k = 0; k < n; ++k)
    if (seen.count(k) == 0) missing += (missing.empty() ? "" : ", ") + Shard{k, n}.text();
  if (!missing.empty())
    throw SetupError("merge: missing shard" +
                     std::string(seen.size() + 1 < static_cast<std::size_t>(n) ? "s " : " ") +
                     missing + "; give the --out folder of every shard from 0 to " +
                     std::to_string(n - 1));
}

// An entry of one shard, to be sorted into the merged order.
struct Entry {
  const json* file;
  std::size_t run, index;  // which shard, and the entry's place in that shard's report
};

std::vector<Entry> merged_entries(const std::vector<ShardRun>& runs) {
  std::vector<Entry> entries;
  std::map<std::string, std::size_t> owner;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const json& files = runs[r].report.at("files");
    for (std::size_t i = 0; i < files.size(); ++i) {
      const std::string path = files[i].value("path", "");
      // A name that is not UTF-8 is reported with U+FFFD for its bad bytes: two such names may
      // read the same, and the hash (of the real bytes) cannot be checked.
      if (path.find("\xEF\xBF\xBD") == std::string::npos) {
        const std::string where = "merge: " + path + " (in " + runs[r].dir.string() + ")";
        if (const auto [it, fresh] = owner.emplace(path, r); !fresh && it->second != r)
          throw SetupError(where + " is also in " + runs[it->second].dir.string() +
                           "; shards must not share an input");
        if (!in_shard(path, runs[r].shard))
          throw SetupError(where + " does not belong to shard " + runs[r].shard.text() +
                           " by its hash; was the shard run by another maskdetect?");
      }
      entries.push_back({&files[i], r, i});
    }
  }
  // The byte order of the paths, which is the walker's order within one folder input; an input
  // listed twice keeps its two entries in their run's order.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.file->at("path").get_ref<const std::string&>() <
           b.file->at("path").get_ref<const std::string&>();
  });
  return entries;
}

// The merged report's context: the first shard's, with the shard replaced by the count and the
// earliest start.
RunInfo merged_info(const std::vector<ShardRun>& runs) {
  const json& r = runs.front().report;
  RunInfo info;
  info.tool_version = r.at("tool").value("version", "");
  info.model_path = r.at("model").value("path", "");
  info.model_sha256 = r.at("model").value("sha256", "");
  info.labels = r.at("model").value("labels", std::vector<std::string>{});
  // The face labels are those every report's summary lists, even at 0.
  const json& by_label = r.at("summary").at("by_label");
  for (const auto& l : info.labels)
    if (by_label.contains(l)) info.face_labels.push_back(l);
  info.params = options_of(runs.front());
  info.params["shards"] = runs.front().shard.count;
  info.started_at = r.value("started_at", "");
  for (const ShardRun& s : runs)
    info.started_at = std::min(info.started_at, s.report.value("started_at", info.started_at));
  return info;
}

// A page entry's links, relative to its shard's folder, made relative to OUT.
void rebase_links(json& entry, const fs::path& shard_dir, const fs::path& out) {
  for (const char* key : {"thumb", "annotated", "source"})
    if (entry.contains(key))
      entry[key] = relative_url(shard_dir / url_path(entry[key].get<std::string>()), out);
}

// report.html from the shards' pages: their entries, rebased, in the merged order. Returns why
// not when a shard has no page (it ran with --no-html) or one that does not match its report.
std::string write_html(const std::vector<ShardRun>& runs, const std::vector<Entry>& entries,
                       const RunInfo& info, const RunSummary& summary, const fs::path& out) {
  std::vector<json> pages;
  for (const ShardRun& s : runs) {
    json data = read_report_html_data(s.dir / "report.html");
    if (data.is_null()) return s.dir.string() + " has no report.html";
    if (data.value("files", json::array()).size() != s.report.at("files").size())
      return s.dir.string() + "/report.html does not list what its report.json does";
    pages.push_back(std::move(data));
  }
  const fs::path spool = temp_sibling(out / "report.html");
  {
    std::ofstream lines(spool, std::ios::binary | std::ios::trunc);
    for (const Entry& e : entries) {
      json page_entry = pages[e.run]["files"][e.index];
      rebase_links(page_entry, runs[e.run].dir, out);
      lines << json_for_script(page_entry) << '\n';
    }
    if (!lines) throw SetupError("merge: cannot write " + spool.string());
  }
  json head = pages.front();
  head["params"] = info.params;
  head["started_at"] = info.started_at;
  std::ifstream lines(spool, std::ios::binary);
  write_report_html(out, std::move(head), summary, lines);
  std::error_code ec;
  fs::remove(spool, ec);
  return "";
}

bool same_folder(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

}  // namespace

MergeOutcome merge_shards(const fs::path& out, const std::vector<fs::path>& shards) {
  if (shards.empty()) throw SetupError("merge: no shard folders given");
  std::vector<ShardRun> runs;
  for (const fs::path& dir : shards) {
    if (same_folder(dir, out))
      throw SetupError("merge: " + out.string() + " is one of the shards; merge into a new folder");
    runs.push_back(read_shard(dir));
  }
  check_together(runs);
  const std::vector<Entry> entries = merged_entries(runs);
  const OutDir dir(out, Reuse::Refuse);
  const RunInfo info = merged_info(runs);
  MergeOutcome outcome;
  outcome.labels = info.face_labels;
  outcome.shards = static_cast<int>(runs.size());
  JsonReport json_report(out / "report.json", info);
  CsvReport csv(out / "report.csv");
  for (const Entry& e : entries) {
    FileResult r = file_from_json(*e.file);
    r.resumed = true;  // a video's frame rows are read back from its frames file
    json_report.add(r);
    csv.add(r);
    outcome.summary.add(r);
  }
  // The shards' run times added: the time the whole job took, machines together.
  for (const ShardRun& s : runs)
    outcome.summary.seconds += s.report.at("summary").value("seconds", 0.0);
  json_report.write(outcome.summary);
  csv.finish();
  outcome.html_why = write_html(runs, entries, info, outcome.summary, out);
  outcome.html = outcome.html_why.empty();
  return outcome;
}

}  // namespace maskdetect
