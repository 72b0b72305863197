#include "maskdetect/input_walk.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::InputFile;
using maskdetect::InputWalker;
using maskdetect::testing::TempDir;

namespace {

void touch(const fs::path& p) {
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

std::vector<InputFile> walk(std::vector<std::string> inputs, const fs::path& out,
                            std::istream* in = nullptr) {
  InputWalker w(std::move(inputs), out, in);
  std::vector<InputFile> files;
  while (auto f = w.next()) {
    files.push_back(*f);
    REQUIRE(files.size() < 1000);  // a loop would never end
  }
  return files;
}

std::vector<std::string> displays(const std::vector<InputFile>& files) {
  std::vector<std::string> d;
  for (const auto& f : files) d.push_back(f.display);
  return d;
}

std::vector<std::string> out_rels(const std::vector<InputFile>& files) {
  std::vector<std::string> d;
  for (const auto& f : files) d.push_back(f.out_rel.string());
  return d;
}

// Relative inputs are resolved against the current directory; tests run inside their TempDir.
class InDir {
 public:
  explicit InDir(const fs::path& dir) : old_(fs::current_path()) { fs::current_path(dir); }
  ~InDir() { fs::current_path(old_); }

 private:
  fs::path old_;
};

}  // namespace

TEST_CASE("walk: directories stream sorted, depth first, like find | sort", "[walk]") {
  TempDir tmp;
  InDir cd(tmp.path());
  touch("photos/b.jpg");
  touch("photos/a.jpg");
  touch("photos/sub/z.png");
  touch("photos/sub-1.jpg");  // '-' sorts before '/', as in `find | sort`
  touch("photos/.hidden.jpg");
  touch("photos/Zed.jpg");
  const auto files = walk({"photos/"}, "results");
  CHECK(displays(files) == std::vector<std::string>{"photos/.hidden.jpg", "photos/Zed.jpg",
                                                    "photos/a.jpg", "photos/b.jpg",
                                                    "photos/sub-1.jpg", "photos/sub/z.png"});
  CHECK(out_rels(files) == std::vector<std::string>{"photos/.hidden.jpg", "photos/Zed.jpg",
                                                    "photos/a.jpg", "photos/b.jpg",
                                                    "photos/sub-1.jpg", "photos/sub/z.png"});
  for (const auto& f : files) {
    CHECK(f.error.empty());
    CHECK(fs::exists(f.path));
  }
}

TEST_CASE("walk: inputs keep their order - files are yielded as named", "[walk]") {
  TempDir tmp;
  InDir cd(tmp.path());
  touch("b/1.jpg");
  touch("a/1.jpg");
  touch("notes.txt");
  const auto files = walk({"b", "notes.txt", "./a"}, "out");
  CHECK(displays(files) == std::vector<std::string>{"b/1.jpg", "notes.txt", "./a/1.jpg"});
  CHECK(out_rels(files) == std::vector<std::string>{"b/1.jpg", "notes.txt", "a/1.jpg"});
}

TEST_CASE("walk: absolute, '.' and '..' roots map to their own name", "[walk]") {
  TempDir tmp;
  touch(tmp.path() / "x/photos/a.jpg");
  touch(tmp.path() / "y/photos/a.jpg");
  touch(tmp.path() / "y/photos.jpg");
  touch(tmp.path() / "z/photos.jpg");
  SECTION("absolute, with collisions suffixed") {
    const auto files =
        walk({(tmp.path() / "x/photos").string(), (tmp.path() / "y/photos").string(),
              (tmp.path() / "y/photos.jpg").string(), (tmp.path() / "z/photos.jpg").string()},
             tmp.path() / "out");
    CHECK(out_rels(files) ==
          std::vector<std::string>{"photos/a.jpg", "photos-2/a.jpg", "photos.jpg", "photos-2.jpg"});
    CHECK(files[0].display == (tmp.path() / "x/photos/a.jpg").string());
  }
  SECTION("'.' is named after the folder") {
    InDir cd(tmp.path() / "x/photos");
    const auto files = walk({"."}, "../out");
    REQUIRE(files.size() == 1);
    CHECK(files[0].display == "./a.jpg");
    CHECK(files[0].out_rel == "photos/a.jpg");
  }
  SECTION("'..' paths and a relative root colliding with an earlier one") {
    InDir cd(tmp.path() / "x");
    touch("photos/sub/b.jpg");
    touch("photos/c.jpg");
    const auto files = walk({"../y/photos", "photos/sub", "photos/c.jpg"}, "out");
    CHECK(displays(files) ==
          std::vector<std::string>{"../y/photos/a.jpg", "photos/sub/b.jpg", "photos/c.jpg"});
    CHECK(out_rels(files) ==
          std::vector<std::string>{"photos/a.jpg", "photos-2/sub/b.jpg", "photos-2/c.jpg"});
  }
}

TEST_CASE("walk: names the tool writes at the top of --out are not taken", "[walk]") {
  TempDir tmp;
  InDir cd(tmp.path());
  touch("report.json");
  touch("crops/a.jpg");
  const auto files = walk({"report.json", "crops"}, "out");
  CHECK(out_rels(files) == std::vector<std::string>{"report-2.json", "crops-2/a.jpg"});
}

TEST_CASE("walk: link loops end, links are followed, broken links are reported", "[walk]") {
  TempDir tmp;
  InDir cd(tmp.path());
  touch("tree/a/1.jpg");
  touch("elsewhere/2.jpg");
  fs::create_directory_symlink("..", "tree/a/up");         // a loop back to tree
  fs::create_directory_symlink("../elsewhere", "tree/b");  // a real folder, elsewhere
  fs::create_symlink("missing.jpg", "tree/c.jpg");         // dangling
  fs::create_symlink("self", "tree/self");                 // a link to itself
  const auto files = walk({"tree"}, "out");
  CHECK(displays(files) ==
        std::vector<std::string>{"tree/a/1.jpg", "tree/b/2.jpg", "tree/c.jpg", "tree/self"});
  CHECK(files[0].error.empty());
  CHECK(files[1].error.empty());
  CHECK(files[1].out_rel == "tree/b/2.jpg");
  CHECK(files[2].error == "broken symbolic link");
  CHECK_FALSE(files[3].error.empty());
}

TEST_CASE("walk: the output folder is never walked into", "[walk]") {
  TempDir tmp;
  InDir cd(tmp.path());
  touch("photos/a.jpg");
  touch("photos/results/a.jpg");  // an earlier run's output
  touch("photos/z/later.jpg");
  SECTION("existing") {
    CHECK(displays(walk({"photos"}, "photos/results")) ==
          std::vector<std::string>{"photos/a.jpg", "photos/z/later.jpg"});
  }
  SECTION("spelled differently") {
    CHECK(displays(walk({"photos"}, tmp.path() / "photos/./results/")) ==
          std::vector<std::string>{"photos/a.jpg", "photos/z/later.jpg"});
  }
  SECTION("created while the walk runs") {
    InputWalker w({"photos"}, "photos/z/out", nullptr);
    auto first = w.next();
    REQUIRE(first);
    CHECK(first->display == "photos/a.jpg");
    touch("photos/z/out/a.jpg");
    std::vector<std::string> rest;
    while (auto f = w.next()) rest.push_back(f->display);
    CHECK(rest == std::vector<std::string>{"photos/results/a.jpg", "photos/z/later.jpg"});
  }
  SECTION("reached through a link") {
    touch("photos/results/sub/c.jpg");
    fs::create_directory_symlink("results/sub", "photos/peek");
    CHECK(displays(walk({"photos"}, "photos/results")) ==
          std::vector<std::string>{"photos/a.jpg", "photos/z/later.jpg"});
  }
  SECTION("named as an input") {
    const auto files = walk({"photos/results"}, "photos/results");
    REQUIRE(files.size() == 1);
    CHECK(files[0].error.find("inside the output directory") != std::string::npos);
  }
}

TEST_CASE("walk: missing and unreadable inputs become errors, not exceptions", "[walk]") {
  TempDir tmp;
  InDir cd(tmp.path());
  touch("ok/a.jpg");
  touch("ok/locked/b.jpg");
  fs::permissions("ok/locked", fs::perms::none);
  const bool root = ::geteuid() == 0;  // root reads anything
  const auto files = walk({"nope.jpg", "ok"}, "out");
  fs::permissions("ok/locked", fs::perms::owner_all);
  REQUIRE(files.size() >= 2);
  CHECK(files[0].display == "nope.jpg");
  CHECK(files[0].error == "no such file or directory");
  CHECK(files[1].display == "ok/a.jpg");
  if (!root) {
    REQUIRE(files.size() == 3);
    CHECK(files[2].display == "ok/locked");
    CHECK(files[2].error == "permission denied");
  }
}

TEST_CASE("walk: '-' reads a list of paths from stdin", "[walk]") {
  TempDir tmp;
  InDir cd(tmp.path());
  touch("d/1.jpg");
  touch("e.jpg");
  touch("f.jpg");
  std::istringstream list("e.jpg\n\n  \nd\r\nmissing.jpg\n");
  const auto files = walk({"f.jpg", "-", "e.jpg"}, "out", &list);
  CHECK(displays(files) ==
        std::vector<std::string>{"f.jpg", "e.jpg", "d/1.jpg", "missing.jpg", "e.jpg"});
  CHECK(files[3].error == "no such file or directory");
  CHECK(walk({"-"}, "out", nullptr).at(0).error.find("standard input") != std::string::npos);
}

TEST_CASE("a glob pattern expands sorted, one that matches nothing is an error entry",
          "[walk][pipelines]") {
  TempDir t;
  for (const char* n : {"b.jpg", "a.jpg", "c.png", "sub/d.jpg"}) touch(t.path() / n);
  const auto files = walk({(t.path() / "*.jpg").string(), (t.path() / "*.gif").string()}, {});
  REQUIRE(files.size() == 3);
  CHECK(files[0].path == t.path() / "a.jpg");
  CHECK(files[1].path == t.path() / "b.jpg");
  CHECK(files[2].error == "no file matches the pattern");
  // A file whose name has a pattern character is the file, not a pattern.
  touch(t.path() / "[1].jpg");
  const auto literal = walk({(t.path() / "[1].jpg").string()}, {});
  REQUIRE(literal.size() == 1);
  CHECK(literal[0].error.empty());
}

TEST_CASE("@FILE and NUL-separated lists name inputs, listed paths keep their folders",
          "[walk][pipelines]") {
  TempDir t;
  touch(t.path() / "x" / "a.jpg");
  touch(t.path() / "y" / "b.jpg");
  std::ofstream(t.path() / "list.txt") << (t.path() / "y/b.jpg").string() << "\n\n"
                                       << (t.path() / "x/a.jpg").string() << "\r\n";
  const auto listed = walk({"@" + (t.path() / "list.txt").string()}, {});
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].path == t.path() / "y/b.jpg");
  CHECK(listed[0].out_rel == t.path().relative_path() / "y/b.jpg");
  CHECK(listed[1].out_rel == t.path().relative_path() / "x/a.jpg");
  // Named directly, an absolute path still gets only its own name.
  CHECK(walk({(t.path() / "x/a.jpg").string()}, {})[0].out_rel == "a.jpg");

  {
    const InDir in(t.path() / "x");
    std::istringstream nul(std::string("../y/b.jpg") + '\0' + "a.jpg" + '\0');
    InputWalker w({"-"}, {}, &nul, '\0');
    CHECK(w.next()->out_rel == "y/b.jpg");  // the leading .. cannot be kept under --out
    CHECK(w.next()->out_rel == "a.jpg");
    CHECK_FALSE(w.next().has_value());
  }

  const auto missing = walk({"@" + (t.path() / "nope.txt").string()}, {});
  REQUIRE(missing.size() == 1);
  CHECK_THAT(missing[0].error, Catch::StartsWith("cannot read the list"));
}

TEST_CASE("a folder holding an earlier run's output is one skipped entry", "[walk][pipelines]") {
  TempDir t;
  touch(t.path() / "a.jpg");
  touch(t.path() / "old" / "a.jpg");
  std::ofstream(t.path() / "old" / "report.json") << R"({"schema": "maskdetect.report/2"})";
  touch(t.path() / "notes" / "report.json");  // someone else's report.json: walked
  const auto files = walk({t.path().string()}, {});
  REQUIRE(files.size() == 3);
  CHECK(files[0].display == (t.path() / "a.jpg").string());
  CHECK(files[1].display == (t.path() / "notes/report.json").string());
  CHECK(files[1].skipped.empty());
  CHECK(files[2].display == (t.path() / "old").string());
  CHECK_THAT(files[2].skipped, Catch::Contains("earlier maskdetect run"));
}
