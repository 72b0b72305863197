#include "maskdetect/input_walk.hpp"

#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>

#include "maskdetect/live_source.hpp"
#include "maskdetect/out_dir.hpp"

namespace fs = std::filesystem;

namespace maskdetect {
namespace {

using Identity = std::pair<dev_t, ino_t>;

// Names the tool itself writes at the top of --out; an input mapped there would collide.
const std::set<std::string> kReserved = {"report.json", "report.csv", "report.jsonl", "crops"};

std::string errno_message(int err) {
  switch (err) {
    case ENOENT:
      return "no such file or directory";
    case EACCES:
    case EPERM:
      return "permission denied";
    case ELOOP:
      return "too many levels of symbolic links (a link loop?)";
    case ENOTDIR:
      return "not a directory";
    default: {
      std::string s = std::strerror(err);
      if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
      return s;
    }
  }
}

// Why `path` cannot be followed, telling a dangling link apart from a missing name.
std::string stat_error(const fs::path& path, int err) {
  struct stat lst {};
  if (err == ENOENT && ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode))
    return "broken symbolic link";
  return errno_message(err);
}

enum class EntryType { File, Dir, Error };

struct Entry {
  std::string name;
  // Directories sort as "name/" so the order is that of `find -L | LC_ALL=C sort` on the full
  // paths: the report reads sorted, whatever the mix of files and folders.
  std::string key;
  EntryType type = EntryType::File;
  std::string error;
};

struct Frame {
  fs::path path;     // to open
  fs::path display;  // the user's spelling joined with the walk
  fs::path out_rel;
  std::vector<Entry> entries;
  std::size_t next = 0;
};

bool is_within(const fs::path& p, const fs::path& dir) {
  auto pi = p.begin();
  for (auto di = dir.begin(); di != dir.end(); ++di, ++pi) {
    if (di->empty()) continue;  // a trailing separator
    if (pi == p.end() || *pi != *di) return false;
  }
  return true;
}

// "a.jpg" -> "a-2.jpg" keeps the extension writers and viewers go by; folders get it at the end.
std::string with_suffix(const fs::path& name, int n, bool before_extension) {
  const std::string suffix = "-" + std::to_string(n);
  if (!before_extension) return name.string() + suffix;
  return name.stem().string() + suffix + name.extension().string();
}

// A listed path's folders, made relative so they can be kept under --out: "/data/x/a.jpg" ->
// "data/x/a.jpg", "../x/a.jpg" -> "x/a.jpg".
fs::path without_root(const fs::path& p) {
  fs::path rel;
  for (const auto& part : p.relative_path())
    if (!(rel.empty() && part == "..")) rel /= part;
  return rel.empty() ? p : rel;
}

}  // namespace

struct InputWalker::State {
  std::vector<std::string> inputs;
  std::size_t next_input = 0;
  fs::path out_dir;
  fs::path out_canonical;  // may not exist yet
  std::optional<Identity> out_id;
  std::istream* stdin_list = nullptr;
  char separator = '\n';
  std::istream* reading = nullptr;           // the list being read ("-" or "@FILE"), if any
  std::unique_ptr<std::ifstream> list_file;  // owns `reading` for "@FILE"
  std::deque<std::string> pending;           // a glob's matches, not yet walked
  bool listed = false;                       // the current root came from a list or a glob
  std::set<Identity> visited;
  std::vector<Frame> stack;
  // Top-level names under --out already taken. Relative roots with the same first component
  // mirror the same tree, so they share one name (remembered by that component).
  std::set<std::string> top_names;
  std::map<std::string, std::string> relative_tops;

  bool is_out_dir(const struct stat& st, const fs::path& path, bool via_link) {
    if (out_dir.empty()) return false;
    // Resolved lazily: the pipeline creates --out while the walk is already streaming.
    if (!out_id) {
      struct stat o {};
      if (::stat(out_dir.c_str(), &o) == 0) out_id = Identity{o.st_dev, o.st_ino};
    }
    if (out_id && *out_id == Identity{st.st_dev, st.st_ino}) return true;
    if (!via_link) return false;
    // A link can lead into a folder below --out, which identity alone would not catch.
    std::error_code ec;
    const fs::path target = fs::canonical(path, ec);
    return !ec && is_within(target, out_canonical);
  }

  // The next root to walk; an error entry when a list cannot be read or a pattern matches
  // nothing.
  std::optional<std::string> next_root(std::optional<InputFile>& problem) {
    for (;;) {
      listed = true;
      if (!pending.empty()) {
        std::string next = std::move(pending.front());
        pending.pop_front();
        return next;
      }
      if (reading) {
        std::string line;
        if (std::getline(*reading, line, separator)) {
          if (!line.empty() && line.back() == '\r' && separator == '\n') line.pop_back();
          const bool blank = std::all_of(line.begin(), line.end(),
                                         [](unsigned char c) { return std::isspace(c); });
          if (!blank) return line;
          continue;
        }
        reading = nullptr;
        list_file.reset();
      }
      listed = false;
      if (next_input >= inputs.size()) return std::nullopt;
      std::string in = inputs[next_input++];
      if (in == "-") {
        if (!stdin_list) return std::string("-");  // reported as an error by the caller
        reading = stdin_list;
      } else if (in.size() > 1 && in[0] == '@' && !exists(in)) {
        list_file = std::make_unique<std::ifstream>(in.substr(1));
        if (!*list_file) {
          problem = InputFile{
              in, in, {}, "cannot read the list " + in.substr(1) + ": " + errno_message(errno)};
          list_file.reset();
          return std::nullopt;
        }
        reading = list_file.get();
      } else if (!exists(in) && is_pattern(in)) {
        if (!expand(in, problem)) return std::nullopt;
      } else {
        return in;
      }
    }
  }

  static bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
  }

  static bool is_pattern(const std::string& s) { return s.find_first_of("*?[") != s.npos; }

  // Queues the matches of a glob pattern, in byte order; false (and `problem`) when none.
  bool expand(const std::string& pattern, std::optional<InputFile>& problem) {
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
    std::vector<std::string> matches(g.gl_pathv, g.gl_pathv + (rc == 0 ? g.gl_pathc : 0));
    ::globfree(&g);
    if (matches.empty()) {
      problem = InputFile{pattern, pattern, {}, "no file matches the pattern"};
      return false;
    }
    std::sort(matches.begin(), matches.end());
    pending.assign(matches.begin(), matches.end());
    return true;
  }

  // Where a root's outputs go. A plain relative path mirrors itself; anything else (absolute,
  // ".", "..") would escape --out or mean nothing there, so it gets its own final name.
  fs::path root_out_rel(const std::string& spelling, bool is_dir) {
    fs::path p = fs::path(spelling).lexically_normal();
    if (!p.empty() && p.filename().empty()) p = p.parent_path();  // "photos/" -> "photos"
    if (listed) p = without_root(p);
    const bool relative = p.is_relative() && !p.empty() && p != "." && *p.begin() != "..";
    fs::path rel;
    if (relative) {
      rel = p;
    } else {
      fs::path name = p.filename();
      if (name.empty() || name == "." || name == "..") {
        std::error_code ec;
        name = fs::canonical(spelling, ec).filename();
      }
      rel = name.empty() ? fs::path("root") : name;
    }
    const std::string top = rel.begin()->string();
    auto taken = [&](const std::string& name) {
      return kReserved.count(name) > 0 || top_names.count(name) > 0;
    };
    std::string chosen = top;
    const auto earlier = relative_tops.find(top);
    if (relative && earlier != relative_tops.end()) {
      chosen = earlier->second;  // "photos/sub" after "photos" shares its (suffixed) name
    } else {
      for (int n = 2; taken(chosen); ++n) chosen = with_suffix(top, n, !is_dir && rel == top);
      if (relative) relative_tops.emplace(top, chosen);
    }
    if (chosen != top) {
      fs::path rest;
      for (auto it = std::next(rel.begin()); it != rel.end(); ++it) rest /= *it;
      rel = fs::path(chosen) / rest;
      if (rest.empty()) rel = chosen;
    }
    top_names.insert(chosen);
    return rel;
  }

  // Lists one directory, sorted. Returns an error message when it cannot be read.
  std::optional<std::string> list(Frame& frame) {
    DIR* dir = ::opendir(frame.path.c_str());
    if (!dir) return errno_message(errno);
    for (;;) {
      errno = 0;
      const dirent* d = ::readdir(dir);
      if (!d) {
        const int err = errno;
        ::closedir(dir);
        if (err) return "error reading directory: " + errno_message(err);
        break;
      }
      const std::string name = d->d_name;
      if (name == "." || name == "..") continue;
      Entry e;
      e.name = name;
      e.type = d->d_type == DT_DIR ? EntryType::Dir : EntryType::File;
      if (d->d_type == DT_LNK || d->d_type == DT_UNKNOWN) {
        struct stat st {};
        const fs::path p = frame.path / name;
        if (::stat(p.c_str(), &st) != 0) {
          e.type = EntryType::Error;
          e.error = stat_error(p, errno);
        } else if (S_ISDIR(st.st_mode)) {
          e.type = EntryType::Dir;
        }
      }
      e.key = e.type == EntryType::Dir ? name + "/" : name;
      frame.entries.push_back(std::move(e));
    }
    std::sort(frame.entries.begin(), frame.entries.end(),
              [](const Entry& a, const Entry& b) { return a.key < b.key; });
    return std::nullopt;
  }

  // Enters a directory: nothing when it is --out or already walked, an error entry when it
  // cannot be listed.
  std::optional<InputFile> enter(Frame frame, bool via_link) {
    struct stat st {};
    if (::stat(frame.path.c_str(), &st) != 0)
      return InputFile{frame.path, frame.display.string(), frame.out_rel,
                       stat_error(frame.path, errno)};
    if (is_out_dir(st, frame.path, via_link)) return std::nullopt;
    if (!visited.insert(Identity{st.st_dev, st.st_ino}).second) return std::nullopt;
    if (holds_run_output(frame.path)) {
      InputFile skip{frame.path, frame.display.string(), frame.out_rel, {}};
      skip.skipped = "the output folder of an earlier maskdetect run: not walked";
      return skip;
    }
    if (auto err = list(frame))
      return InputFile{frame.path, frame.display.string(), frame.out_rel, *err};
    stack.push_back(std::move(frame));
    return std::nullopt;
  }

  std::optional<InputFile> start_root(const std::string& spelling) {
    if (spelling == "-")
      return InputFile{"-", "-", {}, "\"-\" names standard input, but no list was given there"};
    // Streams and cameras are not files to stat: the pipeline opens them (InputFile::display
    // keeps the spelling, by which it knows them).
    if (is_live_input(spelling))
      return InputFile{live_target(spelling), spelling, live_output_name(spelling), {}};
    struct stat st {};
    if (spelling.empty() || ::stat(spelling.c_str(), &st) != 0) {
      const int err = spelling.empty() ? ENOENT : errno;
      return InputFile{spelling, spelling, {}, stat_error(spelling, err)};
    }
    const fs::path out_rel = root_out_rel(spelling, S_ISDIR(st.st_mode));
    if (!S_ISDIR(st.st_mode)) return InputFile{spelling, spelling, out_rel, {}};
    // Walking --out itself (or a folder inside it) would feed the tool its own outputs.
    std::error_code ec;
    const fs::path canon = fs::canonical(spelling, ec);
    if (!out_dir.empty() && !ec && is_within(canon, out_canonical))
      return InputFile{spelling, spelling, out_rel,
                       "inside the output directory " + out_dir.string() + ": not walked"};
    Frame root;
    root.path = spelling;
    root.display = spelling;
    root.out_rel = out_rel;
    return enter(std::move(root), false);
  }

  std::optional<InputFile> next() {
    for (;;) {
      if (stack.empty()) {
        std::optional<InputFile> problem;
        const std::optional<std::string> root = next_root(problem);
        if (problem) return problem;
        if (!root) return std::nullopt;
        if (auto item = start_root(*root)) return item;
        continue;
      }
      Frame& top = stack.back();
      if (top.next >= top.entries.size()) {
        stack.pop_back();
        continue;
      }
      Entry e = std::move(top.entries[top.next++]);
      const fs::path path = top.path / e.name;
      const fs::path display = top.display / e.name;
      const fs::path out_rel = top.out_rel / e.name;
      if (e.type == EntryType::Error) return InputFile{path, display.string(), out_rel, e.error};
      if (e.type == EntryType::File) return InputFile{path, display.string(), out_rel, {}};
      struct stat lst {};
      const bool via_link = ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
      Frame child;
      child.path = path;
      child.display = display;
      child.out_rel = out_rel;
      if (auto item = enter(std::move(child), via_link)) return item;
    }
  }
};

InputWalker::InputWalker(std::vector<std::string> inputs, std::filesystem::path out_dir,
                         std::istream* stdin_list, char separator)
    : state_(std::make_unique<State>()) {
  state_->inputs = std::move(inputs);
  state_->stdin_list = stdin_list;
  state_->separator = separator;
  if (!out_dir.empty()) {
    std::error_code ec;
    state_->out_canonical = fs::weakly_canonical(fs::absolute(out_dir, ec), ec);
    if (ec) state_->out_canonical = fs::absolute(out_dir, ec).lexically_normal();
  }
  state_->out_dir = std::move(out_dir);
}

InputWalker::~InputWalker() = default;

std::optional<InputFile> InputWalker::next() { return state_->next(); }

}  // namespace maskdetect
