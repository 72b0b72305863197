// Turns what the user named (files, directories, glob patterns, "-" for a list of paths on stdin,
// "@FILE" for a list in FILE) into a stream of input files in a stable order, with the path each
// one's outputs get under --out. Each is a root: a filter on the stream (--resume's, or one
// taking a shard of it) sees every file with its final display path and output path.
#pragma once

#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace maskdetect {

struct InputFile {
  std::filesystem::path path;     // to open
  std::string display;            // as reported (the user's spelling, joined with the walk)
  std::filesystem::path out_rel;  // relative path under --out mirroring the input tree
  std::string error;              // set when the named input cannot be used (missing, ...)
  std::string skipped = {};       // set when it is passed over on purpose, with the reason
};

// Walks lazily: directories are listed one at a time (sorted by name), so a folder of a
// million photos streams. Symbolic links are followed; a directory reached twice (a link
// loop) is skipped. The output directory is never walked into, nor is the output folder of an
// earlier run (it becomes one skipped entry): maskdetect never reads its own outputs.
class InputWalker {
 public:
  // `stdin_list` is read when an input is "-"; may be null. Paths in lists are separated by
  // `separator` ('\n', or '\0' for find -print0); a listed or globbed path keeps its folders
  // under --out ("/data/x/a.jpg" -> "data/x/a.jpg"). A glob pattern (an input that does not exist
  // as a path and has *, ? or [) expands with glob(3), sorted; "@FILE" is a list unless a file
  // of that very name exists.
  InputWalker(std::vector<std::string> inputs, std::filesystem::path out_dir,
              std::istream* stdin_list, char separator = '\n');
  ~InputWalker();
  InputWalker(const InputWalker&) = delete;
  InputWalker& operator=(const InputWalker&) = delete;

  std::optional<InputFile> next();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace maskdetect
