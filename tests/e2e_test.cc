// End-to-end tests: run the real binary on ../shared/fixtures and assert on what it wrote.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <set>

#include "test_support.hpp"

namespace fs = std::filesystem;
using maskdetect::testing::binary;
using maskdetect::testing::fixture;
using maskdetect::testing::q;
using maskdetect::testing::read_text;
using maskdetect::testing::run_command;
using maskdetect::testing::shell_quote;
using maskdetect::testing::TempDir;
using nlohmann::json;

namespace {

auto maskdetect_run(const std::string& args) { return maskdetect::testing::run_maskdetect(args); }

json report(const fs::path& out) { return maskdetect::testing::read_report(out); }

const json& entry(const json& rep, const std::string& file_name) {
  return maskdetect::testing::report_entry(rep, file_name);
}

std::vector<std::string> labels_of(const json& file) {
  std::vector<std::string> out;
  for (const auto& f : file.value("faces", json::array())) out.push_back(f.at("label"));
  return out;
}

}  // namespace

TEST_CASE("every unmasked portrait gets a no_mask face", "[e2e]") {
  TempDir out;
  const auto r = maskdetect_run("--input " + q(fixture("faces")) + " --out " + q(out.path()));
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json rep = report(out.path());
  CHECK(rep.at("schema") == "maskdetect.report/2");
  CHECK(rep.at("files").size() == 8);
  for (const auto& e : fs::directory_iterator(fixture("faces"))) {
    const std::string name = e.path().filename().string();
    if (name == "obama_partial_face.jpg") continue;
    INFO(name);
    const json& f = entry(rep, name);
    CHECK(f.at("status") == "ok");
    const auto labels = labels_of(f);
    CHECK(std::count(labels.begin(), labels.end(), "no_mask") >= 1);
    // The annotated copy sits at the mirrored path.
    CHECK(fs::exists(f.at("output").get<std::string>()));
  }
  CHECK(fs::exists(out.path() / "report.csv"));
}

namespace {

json run_on(const fs::path& input, const TempDir& out, const std::string& options = "") {
  const auto r = maskdetect_run("--input " + q(input) + " --out " + q(out.path()) + " " + options);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return report(out.path());
}

std::string yunet_options() {
  return "--detector yunet --detector-model " +
         q(maskdetect::testing::shared_file("models/face_detection_yunet_2022mar.onnx"));
}

// Photos of masked people with at least one face, after checking every face found is "mask".
int photos_with_mask_faces(const json& rep) {
  int photos = 0;
  for (const auto& f : rep.at("files")) {
    const auto labels = labels_of(f);
    INFO(f.at("path"));
    CHECK(std::count(labels.begin(), labels.end(), "mask") == static_cast<long>(labels.size()));
    if (!labels.empty()) ++photos;
  }
  return photos;
}

// How many photos have at least one face labelled `label`, and how many have any face.
struct PhotoCounts {
  int with_label = 0, with_face = 0, faces = 0;
};
PhotoCounts count_photos(const json& rep, const std::string& label) {
  PhotoCounts c;
  for (const auto& f : rep.at("files")) {
    const auto labels = labels_of(f);
    c.faces += static_cast<int>(labels.size());
    if (!labels.empty()) ++c.with_face;
    if (std::count(labels.begin(), labels.end(), label) > 0) ++c.with_label;
  }
  return c;
}

}  // namespace

TEST_CASE("the default detector finds faces in at least 3 masked photos, all labelled mask",
          "[e2e][masked]") {
  TempDir out;
  const json rep = run_on(fixture("masked"), out);
  CHECK(photos_with_mask_faces(rep) >= 3);
}

// Where the default detector stands today, measured exactly, so that a regression (or a gain)
// turns this red and the numbers get looked at. Issue 4's goal is 6 of 10 photos; when a change
// improves them, update the numbers here.
TEST_CASE("the default detector: today's counts on the masked photos", "[e2e][masked]") {
  TempDir out;
  const json rep = run_on(fixture("masked"), out);
  const auto c = count_photos(rep, "mask");
  WARN("default detector on masked/: " << c.with_label << " photos with a mask face, "
                                       << c.with_face << " with any face, " << c.faces << " faces");
  CHECK(rep.at("files").size() == 10);
  // 3, 3 and 3 before the cascade's boxes were confirmed by YuNet-n (--haar-confirm).
  CHECK(c.with_label == 5);
  CHECK(c.with_face == 5);
  CHECK(c.faces == 6);
}

// The same for YuNet (issue 4's goal: a mask face in all 10 photos).
TEST_CASE("YuNet: today's counts on the masked photos", "[e2e][masked][yunet]") {
  const std::string yunet = yunet_options();
  TempDir out;
  const json rep = run_on(fixture("masked"), out, yunet);
  const auto c = count_photos(rep, "mask");
  WARN("YuNet on masked/: " << c.with_label << " photos with a mask face, " << c.with_face
                            << " with any face, " << c.faces << " faces");
  CHECK(rep.at("files").size() == 10);
  CHECK(c.with_label == 9);
  CHECK(c.with_face == 10);
  CHECK(c.faces == 11);
}

// The same for the shipped YuNet-n at its defaults (issue 11: a mask face in at least 9 of the 10,
// the face shield included). 00551f5945fe's face scores 0.71 and the face shield 0.56, under
// --detector-score 0.8: they are kept because the classifier sees a mask on them.
TEST_CASE("YuNet-n: today's counts on the masked photos", "[e2e][masked][yunet]") {
  TempDir out;
  const json rep = run_on(fixture("masked"), out, "--detector yunet");
  const auto c = count_photos(rep, "mask");
  WARN("YuNet-n on masked/: " << c.with_label << " photos with a mask face, " << c.with_face
                              << " with any face, " << c.faces << " faces");
  CHECK(c.with_label == 10);
  CHECK(c.with_face == 10);
  CHECK(c.faces == 11);
  TempDir strict;
  const auto s = count_photos(
      run_on(fixture("masked"), strict, "--detector yunet --detector-score-masked 0.8"), "mask");
  CHECK(s.with_label == 8);
}

// Where YuNet 2022mar stands: every photo gets a face, and its box on the face shield in
// 00865e34fb82 (score 0.9, taller than YuNet-n's) reads no_mask (0.53); the other 9 are masks.
TEST_CASE("YuNet finds a mask face in at least 8 masked photos, only the face shield reads no_mask",
          "[e2e][masked][yunet]") {
  const std::string yunet = yunet_options();
  TempDir out;
  const json rep = run_on(fixture("masked"), out, yunet);
  int with_mask = 0;
  for (const auto& f : rep.at("files")) {
    const auto labels = labels_of(f);
    const bool shield = f.at("path").get<std::string>().find("00865e34fb82") != std::string::npos;
    INFO(f.at("path"));
    if (!shield)
      CHECK(std::count(labels.begin(), labels.end(), "mask") == static_cast<long>(labels.size()));
    if (std::count(labels.begin(), labels.end(), "mask") > 0) ++with_mask;
  }
  CHECK(with_mask >= 8);
}

TEST_CASE("the shipped YuNet-n runs for --detector yunet with no --detector-model",
          "[e2e][yunet]") {
  TempDir out;
  const auto r = run_command("env -u MASKDETECT_YUNET_MODEL " + q(binary()) +
                             " --no-progress --detector yunet --input " +
                             q(fixture("faces/two_people.jpg")) + " --out " + q(out.path()));
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json rep = report(out.path());
  CHECK(rep.at("params").at("detector_model") ==
        (maskdetect::testing::source_dir() / "models/yunet_n_640_640.onnx").string());
  CHECK(labels_of(rep.at("files").at(0)) == std::vector<std::string>{"no_mask", "no_mask"});
}

TEST_CASE("a classifier ONNX given as --detector-model is a setup error", "[e2e][yunet]") {
  TempDir out;
  const auto r =
      maskdetect_run("--detector yunet --detector-model " +
                     q(maskdetect::testing::source_dir() / "models/mask_mobilenetv2.onnx") +
                     " --input " + q(fixture("faces/obama.jpg")) + " --out " + q(out.path()));
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("not a YuNet face detector"));
}

TEST_CASE("a photo of dogs yields no face with the default detector", "[e2e][masked]") {
  TempDir out;
  const json rep = run_on(fixture("groups/dogs.jpg"), out);
  CHECK(labels_of(rep.at("files").at(0)).empty());
}

// A known weakness. The four-label model's YuNet threshold (0.1, where the mean F1 over the
// three scales peaked) keeps the two dogs YuNet 2022mar scores above 0.9 (P(face) 0.25 and
// 0.50; dropped at 0.5). A shaggy dog it scores 0.87 at YuNet's default 800 px (0.78 at
// 896 px) reads as a mask worn wrong with P(face) 0.98: no threshold of the tool's removes it
// short of a detector score above 0.87.
TEST_CASE("a photo of dogs: YuNet's dog boxes pass the card's gate, shaggy ones as masks",
          "[e2e][masked][yunet]") {
  const std::string yunet = yunet_options();
  TempDir out;
  const json rep = run_on(fixture("groups/dogs.jpg"), out, yunet);
  CHECK(labels_of(rep.at("files").at(0)).size() == 3);
  TempDir strict;
  const json rep2 = run_on(fixture("groups/dogs.jpg"), strict,
                           yunet + " --face-threshold 0.5 --detector-score-masked 0.8");
  CHECK(labels_of(rep2.at("files").at(0)) == std::vector<std::string>{"mask_incorrect"});
  TempDir stricter;
  const json rep3 =
      run_on(fixture("groups/dogs.jpg"), stricter,
             yunet + " --face-threshold 0.5 --detector-score 0.9 --detector-score-masked 0.9");
  CHECK(labels_of(rep3.at("files").at(0)).empty());
}

TEST_CASE("a video gives an H.264 MP4 of every frame and a record per frame", "[e2e][video]") {
  TempDir out;
  const fs::path video = fixture("video/short_hamilton_clip.mp4");
  const auto r = maskdetect_run("--input " + q(video) + " --out " + q(out.path()) + " --jsonl " +
                                q(out.path() / "frames.jsonl"));
  INFO(r.err);
  REQUIRE(r.status == 0);

  cv::VideoCapture in(video.string());
  const double fps = in.get(cv::CAP_PROP_FPS);
  int frames = 0;
  for (cv::Mat f; in.read(f);) ++frames;

  const json rep = report(out.path());
  const json& e = entry(rep, "short_hamilton_clip.mp4");
  CHECK(e.at("kind") == "video");
  CHECK(e.at("frames") == frames);
  const fs::path written = e.at("output").get<std::string>();
  REQUIRE(fs::exists(written));
  cv::VideoCapture check(written.string());
  REQUIRE(check.isOpened());
  CHECK(check.get(cv::CAP_PROP_FPS) == Approx(fps).epsilon(0.01));
  CHECK(check.get(cv::CAP_PROP_FRAME_WIDTH) == 640);
  CHECK(check.get(cv::CAP_PROP_FRAME_HEIGHT) == 360);
  int written_frames = 0;
  for (cv::Mat f; check.read(f);) ++written_frames;
  CHECK(written_frames == frames);
  const auto codec = run_command(
      "ffprobe -v error -select_streams v:0 -show_entries "
      "stream=codec_name -of csv=p=0 " +
      q(written));
  CHECK(codec.out.find("h264") != std::string::npos);

  int frame_lines = 0;
  std::set<long> indices;
  for (const auto& line : maskdetect::testing::json_lines(read_text(out.path() / "frames.jsonl")))
    if (line.at("kind") == "frame") {
      ++frame_lines;
      indices.insert(line.at("frame").get<long>());
    }
  CHECK(frame_lines == frames);
  CHECK(static_cast<int>(indices.size()) == frames);
  // The per-video frame file holds the same records.
  CHECK(maskdetect::testing::json_lines(read_text(e.at("frames_file").get<std::string>())).size() ==
        static_cast<size_t>(frames));
}

TEST_CASE("bad files are each reported with a reason and the run goes on", "[e2e][bad]") {
  TempDir out;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = maskdetect_run("--input " + q(fixture("bad")) + " --out " + q(out.path()));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(r.err);
  CHECK(r.status == 1);
  const json rep = report(out.path());
  CHECK(rep.at("files").size() == 5);

  const json& png = entry(rep, "png-named.jpg");
  CHECK(png.at("status") == "ok");
  CHECK(png.at("format") == "png");

  const json& truncated = entry(rep, "truncated.jpg");
  CHECK(truncated.at("status") == "ok");
  REQUIRE_FALSE(truncated.at("warnings").empty());
  CHECK_THAT(truncated.at("warnings")[0].get<std::string>(), Catch::Contains("truncated"));

  for (const char* name : {"empty.jpg", "not-an-image.jpg", "pixel-bomb-30000x30000.png"}) {
    INFO(name);
    const json& f = entry(rep, name);
    CHECK(f.at("status") == "error");
    CHECK(f.at("error").get<std::string>().size() > 10);
  }
  CHECK_THAT(entry(rep, "pixel-bomb-30000x30000.png").at("error").get<std::string>(),
             Catch::Contains("30000x30000") && Catch::Contains("--max-pixels"));
  // Decoding the bomb takes ~20 s; refusing it from its header takes nothing.
  CHECK(seconds < 10);
  // Every failure is named on stderr too.
  CHECK_THAT(r.err, Catch::Contains("empty.jpg") && Catch::Contains("not-an-image.jpg"));
}

TEST_CASE("the --fail-on option returns 3 exactly when its condition holds", "[e2e][fail-on]") {
  TempDir out;
  const std::string faces = " --input " + q(fixture("faces/obama.jpg"));
  // A picture with no face at all (dogs.jpg fools the Haar cascade; see the detection issue).
  cv::imwrite((out.path() / "blank.png").string(),
              cv::Mat(240, 320, CV_8UC3, cv::Scalar(90, 140, 200)));
  const std::string blank = " --input " + q(out.path() / "blank.png");
  const std::string bad = " --input " + q(fixture("bad/empty.jpg"));
  // Each run replaces the one before it in the same --out.
  const std::string o = " --out " + q(out.path() / "out") + " --no-annotate --overwrite";
  CHECK(maskdetect_run(faces + o + " --fail-on no_mask").status == 3);
  CHECK(maskdetect_run(faces + o + " --fail-on any-face").status == 3);
  CHECK(maskdetect_run(faces + o + " --fail-on error").status == 0);
  CHECK(maskdetect_run(blank + o + " --fail-on any-face").status == 0);
  CHECK(maskdetect_run(blank + o + " --fail-on no_mask").status == 0);
  CHECK(maskdetect_run(blank + bad + o + " --fail-on error").status == 3);
  CHECK(maskdetect_run(blank + bad + o + " --fail-on no_mask").status == 1);
}

TEST_CASE("report.json validates against its documented schema", "[e2e][schema]") {
  // Every kind of entry (image, annotated video, error, warning), but a 15-frame clip rather than
  // the 10 s fixture video: encoding that took 30 s and proved nothing more about the schema.
  TempDir in, out;
  maskdetect::testing::write_test_video(in.path() / "clip.avi", {320, 240}, 15);
  const auto r = maskdetect_run("--input " + q(fixture("faces/obama-240p.jpg")) + " --input " +
                                q(fixture("bad")) + " --input " + q(in.path() / "clip.avi") +
                                " --out " + q(out.path()));
  INFO(r.err);
  REQUIRE(r.status == 1);
  const json rep = report(out.path());
  CHECK(entry(rep, "clip.avi").at("kind") == "video");
  CHECK(entry(rep, "clip.avi").at("frames") == 15);
  CHECK(maskdetect::testing::schema_errors(out.path() / "report.json").empty());
}

TEST_CASE("with --jsonl -, stdout carries only JSON lines and logs go to stderr", "[e2e][jsonl]") {
  TempDir out;
  const auto r =
      maskdetect_run("--input " + q(fixture("faces")) + " --input " + q(fixture("bad/empty.jpg")) +
                     " --out " + q(out.path()) + " --jsonl -");
  CHECK(r.status == 1);
  const auto lines = maskdetect::testing::json_lines(r.out);  // throws if any line is not JSON
  CHECK(lines.size() == 9);
  CHECK(r.err.find("files") != std::string::npos);  // the summary went to stderr
}

TEST_CASE("paths can come from stdin with --input -", "[e2e]") {
  TempDir out;
  const std::string list =
      fixture("faces/obama.jpg").string() + "\n\n" + fixture("groups/dogs.jpg").string() + "\n";
  const auto r = run_command("printf '%s' " + shell_quote(list) + " | " + q(binary()) +
                             " --no-progress --input - --out " + q(out.path()));
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(report(out.path()).at("files").size() == 2);
}

TEST_CASE("outputs inside the input folder are neither walked nor overwrite inputs", "[e2e]") {
  TempDir work;
  fs::copy_file(fixture("faces/obama.jpg"), work.path() / "a.jpg");
  const fs::path out = work.path() / "results";
  for (int run = 0; run < 2; ++run) {
    const auto r = maskdetect_run("--input " + q(work.path()) + " --out " + q(out) +
                                  (run > 0 ? " --overwrite" : ""));
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(report(out).at("files").size() == 1);  // results/ itself is never an input
  }
  // Writing the outputs over the inputs is refused, and the input stays as it was.
  const auto before = read_text(work.path() / "a.jpg");
  const auto r = run_command("cd " + q(work.path()) + " && " + q(binary()) +
                             " --no-progress --input a.jpg --out .");
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Catch::Contains("overwrite"));
  CHECK(read_text(work.path() / "a.jpg") == before);
}

TEST_CASE("results do not depend on --threads", "[e2e][threads]") {
  TempDir one, two;
  const std::string in = "--input " + q(fixture("faces")) + " --input " + q(fixture("masked")) +
                         " --input " + q(fixture("groups/2008_002470.jpg")) +
                         " --no-annotate --out ";
  REQUIRE(maskdetect_run(in + q(one.path()) + " --threads 1").status == 0);
  REQUIRE(maskdetect_run(in + q(two.path()) + " --threads 2").status == 0);
  const json a = report(one.path()).at("files"), b = report(two.path()).at("files");
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].at("path"));
    CHECK(a[i].at("path") == b[i].at("path"));
    CHECK(a[i].at("faces").size() == b[i].at("faces").size());
    for (size_t k = 0; k < a[i].at("faces").size(); ++k) {
      CHECK(a[i]["faces"][k]["box"] == b[i]["faces"][k]["box"]);
      CHECK(a[i]["faces"][k]["label"] == b[i]["faces"][k]["label"]);
      CHECK(a[i]["faces"][k]["confidence"].get<double>() ==
            Approx(b[i]["faces"][k]["confidence"].get<double>()).margin(1e-5));
    }
  }
}

TEST_CASE("without annotation a large JPEG is decoded small, and boxes are in its own pixels",
          "[e2e][decode]") {
  // --no-annotate writes no pixels, so a 1920x1080 JPEG detected at 480 px is decoded at half
  // size; the report still speaks in the original's pixels, where the face is about 300 px.
  TempDir small, full;
  const std::string in = "--input " + q(fixture("faces/obama-1080p.jpg")) + " --detect-size 480 ";
  REQUIRE(maskdetect_run(in + "--no-annotate --out " + q(small.path())).status == 0);
  REQUIRE(maskdetect_run(in + "--out " + q(full.path())).status == 0);
  const json a = report(small.path()).at("files").at(0), b = report(full.path()).at("files").at(0);
  CHECK(a.at("width") == 1920);
  CHECK(a.at("height") == 1080);
  REQUIRE(a.at("faces").size() == 1);
  REQUIRE(b.at("faces").size() == 1);
  CHECK(a["faces"][0]["label"] == "no_mask");
  for (const char* k : {"x", "y", "w", "h"}) {
    INFO(k);
    CHECK(std::abs(a["faces"][0]["box"][k].get<int>() - b["faces"][0]["box"][k].get<int>()) <= 8);
  }
}

TEST_CASE("a missing or corrupt model or cascade is one line and exit 2", "[e2e][setup]") {
  TempDir out;
  const std::string in = "--input " + q(fixture("faces/obama.jpg")) + " --out " + q(out.path());
  auto r = maskdetect_run(in + " --model /nonexistent/m.onnx");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("/nonexistent/m.onnx") && Catch::Contains("--model"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  std::ofstream(out.path() / "broken.xml") << "<opencv_storage>nonsense";
  r = maskdetect_run(in + " --cascade " + q(out.path() / "broken.xml"));
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("broken.xml") && Catch::Contains("--cascade"));

  const fs::path card = maskdetect::testing::source_dir() / "models" / "mask_mobilenetv2.json";
  fs::copy_file(card, out.path() / "mask_mobilenetv2.json");
  std::ofstream(out.path() / "mask_mobilenetv2.onnx") << "corrupt";
  r = maskdetect_run(in + " --model " + q(out.path() / "mask_mobilenetv2.onnx"));
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("corrupt"));

  r = maskdetect_run("--out " + q(out.path()));  // no --input
  CHECK(r.status == 2);
  r = maskdetect_run(in + " --threshold 2");
  CHECK(r.status == 2);
}

TEST_CASE("without YuNet-n the default detector stops at once and names the way out",
          "[e2e][setup]") {
  TempDir out;
  const std::string in = "--input " + q(fixture("faces/obama.jpg")) + " --out " + q(out.path());
  // Haar's boxes are confirmed by YuNet-n: its model missing is a setup error, not a run that
  // silently finds nothing.
  auto r = maskdetect_run(in + " --detector-model /nonexistent/yunet.onnx");
  CHECK(r.status == 2);
  CHECK_THAT(r.err,
             Catch::Contains("/nonexistent/yunet.onnx") && Catch::Contains("--haar-confirm 0"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(fs::is_empty(out.path()));  // nothing written, so the same --out works once fixed
  // The cascade alone needs no YuNet model, and its faces carry no detector score.
  TempDir alone;
  r = maskdetect_run("--input " + q(fixture("faces/obama.jpg")) + " --out " + q(alone.path()) +
                     " --detector-model /nonexistent/yunet.onnx --haar-confirm 0");
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json rep = report(alone.path());
  CHECK(rep.at("params").at("haar_confirm") == 0);
  CHECK(rep.at("params").at("face_threshold") == 0.96);
  REQUIRE(rep.at("files").at(0).at("faces").size() == 1);
  CHECK(rep.at("files").at(0).at("faces").at(0).at("detector_score").is_null());
}

TEST_CASE("the --help text explains every option with its default, and --version", "[e2e][cli]") {
  const auto h = maskdetect_run("--help");
  CHECK(h.status == 0);
  for (const char* opt : {"--input",
                          "--out",
                          "--jsonl",
                          "--threshold",
                          "--scale-factor",
                          "--min-neighbors",
                          "--min-face",
                          "--model",
                          "--cascade",
                          "--threads",
                          "--save-crops",
                          "--no-annotate",
                          "--quiet",
                          "--verbose",
                          "--version",
                          "--fail-on",
                          "--max-pixels",
                          "--haar-upscale",
                          "--haar-confirm",
                          "--detector-model",
                          "yunet_n_640_640.onnx",
                          "--vid-stride",
                          "--video-detect-size",
                          "--start",
                          "--end",
                          "--duration",
                          "--max-frames",
                          "--no-audio",
                          "--show",
                          "camera:0",
                          "rtsp://",
                          "Exit status"}) {
    INFO(opt);
    CHECK_THAT(h.out, Catch::Contains(opt));
  }
  CHECK_THAT(h.out, Catch::Contains("1.1") && Catch::Contains("0.5"));
  const auto v = maskdetect_run("--version");
  CHECK(v.status == 0);
  CHECK_THAT(v.out, Catch::StartsWith("maskdetect "));
}

TEST_CASE("an installed maskdetect finds its model and cascade without flags", "[e2e][install]") {
  TempDir prefix, out;
  const fs::path build_dir = binary().parent_path();
  const auto install =
      run_command("cmake --install " + q(build_dir) + " --prefix " + q(prefix.path()));
  INFO(install.out << install.err);
  REQUIRE(install.status == 0);
  REQUIRE(fs::exists(prefix.path() / "share/maskdetect/models/mask_mobilenetv2.json"));
  const auto r = run_command("cd / && env -u MASKDETECT_MODEL " +
                             q(prefix.path() / "bin/maskdetect") + " --no-progress --input " +
                             q(fixture("faces/obama.jpg")) + " --out " + q(out.path()));
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(read_text(out.path() / "report.json"),
             Catch::Contains((prefix.path() / "share/maskdetect/models").string()));
  // The shipped YuNet-n, with its card and licence, is found the same way.
  const fs::path models = prefix.path() / "share/maskdetect/models";
  CHECK(fs::exists(models / "yunet_n_640_640.json"));
  CHECK(fs::exists(models / "LICENSE-libfacedetection.train.txt"));
  TempDir yunet_out;
  const auto y = run_command("cd / && env -u MASKDETECT_MODEL -u MASKDETECT_YUNET_MODEL " +
                             q(prefix.path() / "bin/maskdetect") + " --no-progress --input " +
                             q(fixture("faces/two_people.jpg")) + " --out " + q(yunet_out.path()) +
                             " --detector yunet");
  INFO(y.err);
  REQUIRE(y.status == 0);
  const json rep = report(yunet_out.path());
  CHECK(rep.at("params").at("detector_model") == (models / "yunet_n_640_640.onnx").string());
  CHECK(labels_of(rep.at("files").at(0)).size() == 2);
}
