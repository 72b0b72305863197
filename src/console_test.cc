#include "maskdetect/console.hpp"

#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

using namespace maskdetect;

namespace {

FileResult result(const std::string& path, FileStatus status, const std::string& error = "") {
  FileResult r;
  r.path = path;
  r.kind = FileKind::Image;
  r.status = status;
  r.error = error;
  return r;
}

}  // namespace

TEST_CASE("the console names each failed file and ends with the summary", "[console]") {
  std::ostringstream log;
  ConsoleSink c(log, ConsoleOptions{false, false, false, {"mask", "no_mask"}});
  InputFile in;
  FileResult ok = result("a.jpg", FileStatus::Ok),
             bad = result("b.jpg", FileStatus::Error, "empty file");
  c.file(in, ok);
  c.file(in, bad);
  RunSummary s;
  s.add(ok);
  s.add(bad);
  c.finish(s);
  const std::string text = log.str();
  CHECK(text.find("a.jpg") == std::string::npos);  // fine files are quiet without --verbose
  CHECK(text.find("maskdetect: b.jpg: empty file\n") != std::string::npos);
  CHECK(text.find("2 files (1 ok, 1 failed)") != std::string::npos);
  CHECK(text.find("\033[K") == std::string::npos);  // no progress line: no escape codes
}

TEST_CASE("the console in verbose mode prints every file with its warnings, in quiet mode nothing",
          "[console]") {
  std::ostringstream verbose_log, quiet_log;
  ConsoleSink verbose(verbose_log, ConsoleOptions{false, true, false, {}});
  ConsoleSink quiet(quiet_log, ConsoleOptions{true, false, false, {}});
  InputFile in;
  FileResult r = result("c.png", FileStatus::Ok);
  r.faces.resize(2);
  r.warnings = {"truncated png file"};
  verbose.file(in, r);
  quiet.file(in, r);
  quiet.finish(RunSummary{});
  CHECK(verbose_log.str() == "maskdetect: c.png: 2 faces; warning: truncated png file\n");
  CHECK(quiet_log.str().empty());
}

TEST_CASE("the progress line redraws itself and is cleared at the end", "[console]") {
  std::ostringstream log;
  ConsoleSink c(log, ConsoleOptions{false, false, true, {}});
  InputFile in;
  FileResult r = result("d.jpg", FileStatus::Error, "not an image");
  c.file(in, r);
  c.finish(RunSummary{});
  const std::string text = log.str();
  CHECK(text.rfind("\r\033[Kmaskdetect: d.jpg: not an image\n", 0) == 0);
  CHECK(text.find("\r\033[K1 files") != std::string::npos);
  CHECK(text.find("\r\033[K0 files (0 ok, 0 failed)") != std::string::npos);
}

TEST_CASE("the console under --quiet still names failed files, skipped ones show with --verbose",
          "[console][pipelines]") {
  std::ostringstream quiet_log, normal_log, verbose_log;
  ConsoleSink quiet(quiet_log, ConsoleOptions{true, false, false, {}});
  ConsoleSink normal(normal_log, ConsoleOptions{false, false, false, {}});
  ConsoleSink verbose(verbose_log, ConsoleOptions{false, true, false, {}});
  InputFile in;
  FileResult bad = result("b.jpg", FileStatus::Error, "empty file");
  FileResult readme = result("README", FileStatus::Skipped, "not an image or video");
  for (ConsoleSink* c : {&quiet, &normal, &verbose}) {
    c->file(in, bad);
    c->file(in, readme);
  }
  quiet.finish(RunSummary{});
  CHECK(quiet_log.str() == "maskdetect: b.jpg: empty file\n");
  CHECK(normal_log.str() == "maskdetect: b.jpg: empty file\n");
  CHECK(verbose_log.str() ==
        "maskdetect: b.jpg: empty file\nmaskdetect: README: skipped: not an image or video\n");
}

TEST_CASE("with a known total the progress line shows done/total, a percentage and time left",
          "[console][pipelines]") {
  std::ostringstream log;
  ConsoleOptions o{false, false, true, {}};
  o.total = [] { return std::int64_t{4}; };
  ConsoleSink c(log, o);
  InputFile in;
  FileResult r = result("d.jpg", FileStatus::Ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a rate above zero
  c.file(in, r);
  const std::string text = log.str();
  INFO(text);
  CHECK(text.find("\r\033[K1/4 files (25%), ") != std::string::npos);
  CHECK(text.find(" files/s, ") != std::string::npos);
  CHECK(text.find(" s left") != std::string::npos);
}
