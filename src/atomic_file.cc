#include "maskdetect/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace fs = std::filesystem;

namespace maskdetect {
namespace {

[[noreturn]] void fail(const fs::path& path, int err) {
  throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(err));
}

// Large enough that a CSV of a million rows costs few system calls, small enough to stay flat.
constexpr std::size_t kBufferSize = 1 << 16;

}  // namespace

fs::path temp_sibling(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  return dir / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                std::to_string(counter++));
}

AtomicFile::AtomicFile(fs::path path) : path_(std::move(path)), tmp_(temp_sibling(path_)) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) fail(path_, errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicFile::write(std::string_view text) {
  if (fd_ < 0) return;
  buffer_.append(text);
  if (buffer_.size() >= kBufferSize) flush();
}

void AtomicFile::flush() {
  std::string_view rest(buffer_);
  while (err_ == 0 && !rest.empty()) {
    const ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0) {
      if (errno != EINTR) err_ = errno;
      continue;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  buffer_.clear();
}

void AtomicFile::commit() {
  if (fd_ < 0) fail(path_, EBADF);
  flush();
  // Without fsync a crash soon after the rename can leave an empty file under the final name,
  // which is exactly what the temporary is meant to prevent.
  if (err_ == 0 && ::fsync(fd_) != 0) err_ = errno;
  if (::close(fd_) != 0 && err_ == 0) err_ = errno;
  fd_ = -1;
  if (err_ == 0 && std::rename(tmp_.c_str(), path_.c_str()) != 0) err_ = errno;
  if (err_ != 0) {
    ::unlink(tmp_.c_str());
    fail(path_, err_);
  }
}

void write_file_atomically(const fs::path& path, std::string_view content) {
  AtomicFile f(path);
  f.write(content);
  f.commit();
}

}  // namespace maskdetect
