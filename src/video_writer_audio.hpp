// The audio half of VideoWriter (private to video_writer*.cc): the source's audio streams
// copied packet by packet into the MP4, and the FFmpeg helpers both halves use.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
#include <libavformat/avformat.h>
}

#include "maskdetect/video_writer.hpp"

namespace maskdetect::video_writing {

constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

// Throws "`what`: FFmpeg's reason" when `rc` is an FFmpeg error.
void check(int rc, const std::string& what);
inline std::int64_t to_us(double seconds) { return std::llround(seconds * 1e6); }

// unique_ptr deleters for FFmpeg's free functions, which take the pointer's address.
template <auto Free>
struct AvFree {
  template <class T>
  void operator()(T* p) const {
    Free(&p);
  }
};
struct CloseOutput {
  void operator()(AVFormatContext* c) const {
    if (c->pb) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};
using InputPtr = std::unique_ptr<AVFormatContext, AvFree<avformat_close_input>>;
using PacketPtr = std::unique_ptr<AVPacket, AvFree<av_packet_free>>;

// Opens a regular file for demuxing, or throws why it cannot.
InputPtr open_source(const std::filesystem::path& path);

// The source's audio streams, copied packet by packet into the output in step with the video.
// Times are microseconds on the source file's clock unless named "output".
class AudioCopy {
 public:
  AudioCopy(InputPtr in, const VideoWriterOptions& o, AVFormatContext* out,
            std::vector<std::string>& warnings);
  bool empty() const { return kept_ == 0; }
  // What to add to a frame's time on the source video's clock to get its output time.
  std::int64_t video_offset_us() const { return video_offset_; }
  // Writes the audio whose output time is before `until` (kForever: all that is left).
  void copy_until(std::int64_t until);

 private:
  bool fill();
  InputPtr in_;
  AVFormatContext* out_;
  std::vector<int> map_;     // source stream -> output stream, -1 when not copied
  std::vector<bool> done_;   // a stream has passed the range's end
  int kept_ = 0, open_ = 0;  // streams copied, and those not yet done
  std::int64_t lo_, hi_, origin_ = 0, video_offset_ = 0;
  PacketPtr next_{av_packet_alloc()};
  std::int64_t next_time_ = 0;  // output time of next_
  bool has_next_ = false, ended_ = false;
};

}  // namespace maskdetect::video_writing
