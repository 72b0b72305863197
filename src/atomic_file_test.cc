#include "maskdetect/atomic_file.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "test_support.hpp"

using namespace maskdetect;
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
