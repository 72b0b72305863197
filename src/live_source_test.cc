#include "maskdetect/live_source.hpp"

#include <catch2/catch.hpp>

#include "maskdetect/image_decode.hpp"

using namespace maskdetect;

TEST_CASE("stream URLs and cameras are live inputs, paths are not", "[live_source]") {
  for (const char* live : {"rtsp://cam.local:554/stream", "http://127.0.0.1:8080/live.ts",
                           "https://example.org/a.m3u8", "udp://127.0.0.1:1234", "srt://h:1",
                           "rtmp://h/app", "/dev/video0", "/dev/video12", "camera:0", "camera:3"})
    CHECK(is_live_input(live));
  for (const char* file : {"photos/", "clip.mp4", "http:/x", "camera:", "camera:a", "/dev/video",
                           "/dev/videox", "/dev/sda", "-", "", "rtsp:/x", "file:///tmp/a.mp4"})
    CHECK_FALSE(is_live_input(file));
}

TEST_CASE("camera:N opens /dev/videoN and URLs open as they are", "[live_source]") {
  CHECK(live_target("camera:2") == "/dev/video2");
  CHECK(live_target("/dev/video1") == "/dev/video1");
  CHECK(live_target("rtsp://h/s") == "rtsp://h/s");
}

TEST_CASE("a live source's outputs get one plain file name", "[live_source]") {
  CHECK(live_output_name("camera:0") == "camera0");
  CHECK(live_output_name("/dev/video3") == "camera3");
  CHECK(live_output_name("http://127.0.0.1:8080/live.ts") == "127.0.0.1_8080_live.ts");
  // No credentials, query or path separators in a file name.
  CHECK(live_output_name("rtsp://user:secret@cam.local:554/a/b?token=x#f") == "cam.local_554_a_b");
  CHECK(live_output_name("udp://:1234") == "stream_1234");
  CHECK(live_output_name("http://../../etc") == "stream.._.._etc");
  CHECK(live_output_name("http://" + std::string(500, 'a')).size() <= 120);
}

TEST_CASE("a camera that is not there is named with its device", "[live_source]") {
  CHECK(camera_problem("camera:97") ==
        "camera camera:97: /dev/video97 does not exist (no such camera on this machine)");
  CHECK(camera_problem("/dev/video97").find("/dev/video97 does not exist") != std::string::npos);
  CHECK(camera_problem("http://127.0.0.1:1/x").empty());  // not a camera: opened later
  CHECK(camera_problem("photos/").empty());
}

TEST_CASE("a stream that nothing serves fails to open with a reason", "[live_source]") {
  // Port 1 on the loopback interface: refused at once, no waiting for the timeout.
  CHECK_THROWS_AS(LiveSource("http://127.0.0.1:1/none.ts", 100'000'000, 2000), InputError);
  try {
    LiveSource("http://127.0.0.1:1/none.ts", 100'000'000, 2000);
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("cannot open stream") != std::string::npos);
  }
}
