#include "maskdetect/atomic_file.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "test_support.hpp"

using namespace maskdetect;
using maskdetect::testing::read_text;
using maskdetect::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::size_t entries(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("an atomic file appears whole at commit and not before", "[atomic_file]") {
  testing::TempDir dir;
  const fs::path p = dir.path() / "report.csv";
  write_file_atomically(p, "old\n");
  {
    AtomicFile f(p);
    // More than one buffer's worth, so part of it reaches the temporary before commit.
    const std::string row(1000, 'x');
    for (int i = 0; i < 200; ++i) f.write(row + "\n");
    CHECK(testing::read_text(p) == "old\n");
    CHECK(entries(dir.path()) == 2);  // the old file and the temporary
    f.commit();
  }
  CHECK(fs::file_size(p) == 200 * 1001);
  CHECK(entries(dir.path()) == 1);
}

TEST_CASE("an atomic file never committed leaves the old file and no temporary", "[atomic_file]") {
  testing::TempDir dir;
  const fs::path p = dir.path() / "report.json";
  write_file_atomically(p, "{}\n");
  {
    AtomicFile f(p);
    f.write("half a rep");
  }
  CHECK(testing::read_text(p) == "{}\n");
  CHECK(entries(dir.path()) == 1);
}

TEST_CASE("an atomic file names the file when it cannot be written", "[atomic_file]") {
  testing::TempDir dir;
  const fs::path p = dir.path() / "missing-folder" / "eval.json";
  try {
    AtomicFile f(p);
    FAIL("no error for a missing folder");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(p.string()) != std::string::npos);
  }
  // Two temporaries for the same file never collide.
  CHECK(temp_sibling(dir.path() / "a") != temp_sibling(dir.path() / "a"));
}

TEST_CASE("write_file_atomically leaves the content and no temporary", "[atomic_file]") {
  TempDir dir;
  const fs::path path = dir.path() / "out.txt";
  write_file_atomically(path, "first");
  write_file_atomically(path, "second\n");
  CHECK(read_text(path) == "second\n");
  std::vector<fs::path> entries(fs::directory_iterator(dir.path()), fs::directory_iterator{});
  CHECK(entries.size() == 1);
}

TEST_CASE("write_file_atomically names the file when it cannot write", "[atomic_file]") {
  TempDir dir;
  const fs::path path = dir.path() / "no-such-dir" / "report.json";
  try {
    write_file_atomically(path, "x");
    FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains(path.string()));
    CHECK_THAT(e.what(), Catch::Contains("No such file or directory"));
  }
  // A directory in the way of the rename: the temporary must not be left behind.
  fs::create_directories(dir.path() / "taken" / "inner");
  CHECK_THROWS_AS(write_file_atomically(dir.path() / "taken", "x"), std::runtime_error);
  std::vector<fs::path> entries(fs::directory_iterator(dir.path()), fs::directory_iterator{});
  CHECK(entries.size() == 1);
}
