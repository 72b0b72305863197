// Turns what the user named (files, directories, "-" for a list of paths on stdin) into a
// stream of input files in a stable order, with the path each one's outputs get under --out.
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
};

// Walks lazily: directories are listed one at a time (sorted by name), so a folder of a
// million photos streams. Symbolic links are followed; a directory reached twice (a link
// loop) is skipped. The output directory is never walked into.
class InputWalker {
 public:
  // `stdin_list` is read line by line when an input is "-"; may be null.
  InputWalker(std::vector<std::string> inputs, std::filesystem::path out_dir,
              std::istream* stdin_list);
  ~InputWalker();
  InputWalker(const InputWalker&) = delete;
  InputWalker& operator=(const InputWalker&) = delete;

  std::optional<InputFile> next();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace maskdetect
