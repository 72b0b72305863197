#include "video_writer_audio.hpp"

#include <unistd.h>

#include <algorithm>

extern "C" {
#include <libavcodec/avcodec.h>
}

#include "maskdetect/image_decode.hpp"

namespace fs = std::filesystem;

namespace maskdetect::video_writing {
namespace {

// Consecutive failed reads after which a damaged source's audio is taken to have ended.
constexpr int kMaxFailedReads = 64;

std::string av_error(int rc) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(rc, buf, sizeof buf);
  return buf;
}

// Where the source's video starts on the file's clock: OpenCV counts frame times from there.
std::int64_t video_start_us(const AVFormatContext* in) {
  for (unsigned i = 0; i < in->nb_streams; ++i) {
    const AVStream* st = in->streams[i];
    if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO ||
        (st->disposition & AV_DISPOSITION_ATTACHED_PIC))
      continue;
    return st->start_time == AV_NOPTS_VALUE
               ? 0
               : av_rescale_q(st->start_time, st->time_base, AV_TIME_BASE_Q);
  }
  return 0;
}

}  // namespace

void check(int rc, const std::string& what) {
  if (rc < 0) throw std::runtime_error(what + ": " + av_error(rc));
}

// Opens a regular file for demuxing. Like VideoSource, FFmpeg gets the descriptor checked by
// open_regular_file: a path swapped for a FIFO would block avformat_open_input for ever.
InputPtr open_source(const fs::path& path) {
  const int fd = open_regular_file(path);
  AVFormatContext* ctx = nullptr;
  const int rc =
      avformat_open_input(&ctx, ("/proc/self/fd/" + std::to_string(fd)).c_str(), nullptr, nullptr);
  ::close(fd);  // FFmpeg opened a descriptor of its own
  check(rc, "cannot open it");
  InputPtr in(ctx);
  check(avformat_find_stream_info(ctx, nullptr), "cannot read its streams");
  return in;
}

AudioCopy::AudioCopy(InputPtr in, const VideoWriterOptions& o, AVFormatContext* out,
                     std::vector<std::string>& warnings)
    : in_(std::move(in)), out_(out) {
  if (!next_) throw std::bad_alloc();
  const std::int64_t video = video_start_us(in_.get());
  const double start = std::max(0.0, o.start_s);
  lo_ = start > 0 ? video + to_us(start) : std::numeric_limits<std::int64_t>::min();
  hi_ = o.end_s >= 0 ? video + to_us(o.end_s) : kForever;
  std::int64_t earliest = video;
  for (unsigned i = 0; i < in_->nb_streams; ++i) {
    AVStream* st = in_->streams[i];
    map_.push_back(-1);
    st->discard = AVDISCARD_ALL;  // the demuxer then skips the video's bytes
    if (st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO) continue;
    if (avformat_query_codec(out->oformat, st->codecpar->codec_id, FF_COMPLIANCE_NORMAL) != 1) {
      warnings.push_back("audio stream " + std::to_string(i) + " (" +
                         avcodec_get_name(st->codecpar->codec_id) +
                         ") not copied: MP4 cannot hold it");
      continue;
    }
    AVStream* os = avformat_new_stream(out, nullptr);
    if (!os) throw std::bad_alloc();
    check(avcodec_parameters_copy(os->codecpar, st->codecpar), "cannot copy audio parameters");
    os->codecpar->codec_tag = 0;  // the source container's tag may mean nothing to MP4
    os->time_base = st->time_base;
    av_dict_copy(&os->metadata, st->metadata, 0);  // keeps the language
    st->discard = AVDISCARD_DEFAULT;
    map_.back() = os->index;
    if (st->start_time != AV_NOPTS_VALUE)
      earliest = std::min(earliest, av_rescale_q(st->start_time, st->time_base, AV_TIME_BASE_Q));
    if (kept_++ == 0 && start > 0)  // near the start, not through everything before it
      avformat_seek_file(in_.get(), static_cast<int>(i), std::numeric_limits<std::int64_t>::min(),
                         av_rescale_q(lo_, AV_TIME_BASE_Q, st->time_base),
                         av_rescale_q(lo_, AV_TIME_BASE_Q, st->time_base), 0);
  }
  done_.assign(map_.size(), false);
  open_ = kept_;
  // Output time 0 is the range's start, or without one whatever starts first: audio that leads
  // the first frame keeps its lead.
  origin_ = start > 0 ? lo_ : earliest;
  video_offset_ = video - origin_;
}

// Reads the next packet in the range into next_; false when there is none.
bool AudioCopy::fill() {
  for (int failed = 0; !ended_ && open_ > 0 && failed < kMaxFailedReads;) {
    const int rc = av_read_frame(in_.get(), next_.get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) {
      ++failed;  // damage: FFmpeg resynchronises within a few reads
      continue;
    }
    failed = 0;
    const int s = next_->stream_index;
    const std::int64_t ts = next_->pts != AV_NOPTS_VALUE ? next_->pts : next_->dts;
    if (s < 0 || s >= static_cast<int>(map_.size()) || map_[s] < 0 || done_[s] ||
        ts == AV_NOPTS_VALUE) {
      av_packet_unref(next_.get());
      continue;
    }
    const std::int64_t t = av_rescale_q(ts, in_->streams[s]->time_base, AV_TIME_BASE_Q);
    if (t >= hi_) {
      done_[s] = true;
      --open_;
    }
    if (t < lo_ || t >= hi_) {
      av_packet_unref(next_.get());
      continue;
    }
    next_time_ = t - origin_;
    return true;
  }
  ended_ = true;
  return false;
}

void AudioCopy::copy_until(std::int64_t until) {
  while ((has_next_ || (has_next_ = fill())) && next_time_ < until) {
    const AVStream* is = in_->streams[next_->stream_index];
    const AVStream* os = out_->streams[map_[next_->stream_index]];
    const std::int64_t shift = av_rescale_q(origin_, AV_TIME_BASE_Q, is->time_base);
    if (next_->pts != AV_NOPTS_VALUE) next_->pts -= shift;
    if (next_->dts != AV_NOPTS_VALUE) next_->dts -= shift;
    av_packet_rescale_ts(next_.get(), is->time_base, os->time_base);
    next_->stream_index = os->index;
    next_->pos = -1;
    has_next_ = false;
    check(av_interleaved_write_frame(out_, next_.get()), "cannot write audio");
  }
}

}  // namespace maskdetect::video_writing
