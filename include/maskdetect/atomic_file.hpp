// The one way maskdetect writes a final file (report.json, report.csv, eval.json): under a
// temporary name beside it, fsync'ed and renamed into place, so a reader never sees half a file
// and a crash after the rename never leaves an empty one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace maskdetect {

class AtomicFile {
 public:
  // Creates the temporary. Throws std::runtime_error naming `path` when it cannot.
  explicit AtomicFile(std::filesystem::path path);
  // Without commit() the temporary is removed and `path` is left as it was.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Buffered; a write error is remembered and reported by commit().
  void write(std::string_view text);
  // Flushes, fsyncs and renames into place. Throws std::runtime_error naming the file.
  void commit();

  const std::filesystem::path& path() const { return path_; }

 private:
  void flush();

  std::filesystem::path path_, tmp_;
  std::string buffer_;
  int fd_ = -1, err_ = 0;
};

// A hidden name beside `path` that no other writer in this or another process uses.
std::filesystem::path temp_sibling(const std::filesystem::path& path);

// Writes `content` to `path` through an AtomicFile.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace maskdetect
