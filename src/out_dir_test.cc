#include "maskdetect/out_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "maskdetect/errors.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::OutDir;
using maskdetect::Reuse;
using maskdetect::SetupError;
using maskdetect::testing::TempDir;
using maskdetect::testing::write_file;

TEST_CASE("one OutDir at a time holds a folder", "[out_dir][pipelines]") {
  TempDir t;
  const fs::path out = t.path() / "new" / "out";
  {
    const OutDir first(out, Reuse::Refuse);  // creates it
    CHECK(fs::is_directory(out));
    CHECK_THROWS_WITH(OutDir(out, Reuse::Refuse),
                      Catch::Contains("another maskdetect run (pid " + std::to_string(::getpid())));
  }
  CHECK_NOTHROW(OutDir(out, Reuse::Refuse));  // released with the first
}

TEST_CASE("an earlier run is refused, resumed, or overwritten down to what it wrote",
          "[out_dir][pipelines]") {
  TempDir t;
  const fs::path out = t.path() / "out";
  const fs::path outside = t.path() / "outside.jpg";
  write_file(outside, "not the run's");
  write_file(out / "photos" / "a.jpg", "annotated");
  write_file(out / "crops" / "photos" / "a.face0.no_mask.jpg", "crop");
  write_file(out / "photos" / "mine.txt", "a user's file");
  write_file(out / "report.csv", "path\n");
  write_file(out / ".maskdetect.journal", R"({"schema":"maskdetect.journal/1"})"
                                          "\n"
                                          R"({"path":"a.jpg","output":")" +
                                              (out / "photos" / "a.jpg").string() +
                                              "\"}\n"
                                              R"({"path":"b.jpg","output":")" +
                                              outside.string() + "\"}\n");
  write_file(out / ".report.json.tmp-123-0", "");
  CHECK_THROWS_WITH(OutDir(out, Reuse::Refuse), Catch::Contains("use --resume"));
  CHECK_FALSE(fs::exists(out / ".report.json.tmp-123-0"));  // cleaned under the lock anyway
  {
    const OutDir resumed(out, Reuse::Resume);
    CHECK(resumed.had_earlier_run());
    CHECK(fs::exists(out / ".maskdetect.journal"));
  }
  const OutDir replaced(out, Reuse::Overwrite);
  CHECK(replaced.had_earlier_run());
  CHECK_FALSE(fs::exists(out / "photos" / "a.jpg"));
  CHECK_FALSE(fs::exists(out / "crops"));  // emptied folders go too
  CHECK_FALSE(fs::exists(out / "report.csv"));
  CHECK_FALSE(fs::exists(out / ".maskdetect.journal"));
  CHECK(fs::exists(out / "photos" / "mine.txt"));
  CHECK(fs::exists(outside));  // listed, but outside --out
}

TEST_CASE("a folder is a run's output by its journal, lock or our report.json",
          "[out_dir][pipelines]") {
  TempDir t;
  CHECK_FALSE(maskdetect::holds_run_output(t.path()));
  write_file(t.path() / "report.json", R"({"name": "someone else's"})");
  CHECK_FALSE(maskdetect::holds_run_output(t.path()));
  write_file(t.path() / "report.json", R"({"schema": "maskdetect.report/2"})");
  CHECK(maskdetect::holds_run_output(t.path()));
}
