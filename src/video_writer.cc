#include "maskdetect/video_writer.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
}

#include "video_writer_audio.hpp"

namespace fs = std::filesystem;

namespace maskdetect {

using video_writing::AudioCopy;
using video_writing::check;
using video_writing::InputPtr;
using video_writing::kForever;
using video_writing::to_us;

namespace {

struct FreeSws {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

}  // namespace

struct VideoWriter::Impl {
  struct Item {
    cv::Mat bgr;
    double time_ms;
  };

  Impl(const fs::path& out, const VideoWriterOptions& o);
  void open_output();
  void open_encoder(const VideoWriterOptions& o);
  void open_audio(const VideoWriterOptions& o);
  void run();
  void encode(const Item& item);
  void send(const AVFrame* frame);  // nullptr: flush
  void finish();

  std::string path;
  std::vector<std::string> warnings;
  std::unique_ptr<AVFormatContext, video_writing::CloseOutput> out;
  std::unique_ptr<AVCodecContext, video_writing::AvFree<avcodec_free_context>> enc;
  std::unique_ptr<AVFrame, video_writing::AvFree<av_frame_free>> frame{av_frame_alloc()};
  video_writing::PacketPtr packet{av_packet_alloc()};
  std::unique_ptr<SwsContext, FreeSws> sws;
  std::unique_ptr<AudioCopy> audio;
  AVStream* stream = nullptr;
  AVRational rate{25, 1};
  std::int64_t offset_us = 0, next_pts = 0;
  std::int64_t audio_end_us = kForever;  // source clock; set before the encoder thread finishes
  std::function<void()> before_encode;

  std::mutex mu;
  std::condition_variable changed;
  std::deque<Item> queue;
  std::size_t capacity = 1;
  bool closing = false, closed = false;
  std::exception_ptr error;
  std::thread thread;
};

VideoWriter::Impl::Impl(const fs::path& file, const VideoWriterOptions& o) : path(file.string()) {
  before_encode = o.before_encode;
  capacity = static_cast<std::size_t>(std::max(1, o.queue));
  if (!frame || !packet) throw std::bad_alloc();
  open_output();
  open_encoder(o);
  offset_us = -to_us(std::max(0.0, o.start_s));
  if (!o.audio_from.empty()) open_audio(o);
  AVDictionary* flags = nullptr;
  av_dict_set(&flags, "movflags", "+faststart", 0);
  const int rc = avformat_write_header(out.get(), &flags);
  av_dict_free(&flags);
  check(rc, "cannot write video " + path);
  thread = std::thread([this] { run(); });
}

void VideoWriter::Impl::open_output() {
  AVFormatContext* ctx = nullptr;
  check(avformat_alloc_output_context2(&ctx, nullptr, "mp4", path.c_str()),
        "cannot write video " + path);
  out.reset(ctx);
  check(avio_open(&ctx->pb, path.c_str(), AVIO_FLAG_WRITE), "cannot write video " + path);
}

void VideoWriter::Impl::open_encoder(const VideoWriterOptions& o) {
  const AVCodec* codec = avcodec_find_encoder_by_name(o.encoder.c_str());
  if (!codec) {
    codec = avcodec_find_encoder_by_name("mpeg4");
    warnings.push_back("H.264 encoder (" + o.encoder +
                       ") unavailable; wrote MPEG-4 Part 2 video instead");
  }
  if (!codec) throw std::runtime_error("no video encoder: FFmpeg has neither libx264 nor mpeg4");
  // 4:2:0 needs even sizes: an odd last row or column is dropped.
  const int width = o.size.width & ~1, height = o.size.height & ~1;
  if (width <= 0 || height <= 0)
    throw std::runtime_error("cannot encode " + std::to_string(o.size.width) + "x" +
                             std::to_string(o.size.height) + " video frames");
  enc.reset(avcodec_alloc_context3(codec));
  if (!enc) throw std::bad_alloc();
  rate = av_d2q(o.fps > 0 && std::isfinite(o.fps) ? o.fps : 25.0, 65535);  // MPEG-4's limit
  enc->width = width;
  enc->height = height;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->time_base = av_inv_q(rate);
  enc->framerate = rate;
  enc->thread_count = o.threads > 0 ? o.threads : width * height <= 1920 * 1088 ? 1 : 0;
  enc->log_level_offset = AV_LOG_DEBUG - AV_LOG_INFO;  // x264's banner and statistics: noise
  // What swscale produces by default; untagged HD video would be shown as BT.709.
  enc->colorspace = AVCOL_SPC_SMPTE170M;
  enc->color_range = AVCOL_RANGE_MPEG;
  if (out->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (codec->id == AV_CODEC_ID_MPEG4) {
    enc->flags |= AV_CODEC_FLAG_QSCALE;  // its default 200 kb/s is a blur
    enc->global_quality = FF_QP2LAMBDA * 4;
  }
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "preset", o.preset.c_str(), 0);
  av_dict_set(&opts, "crf", std::to_string(o.crf).c_str(), 0);
  const int rc = avcodec_open2(enc.get(), codec, &opts);
  av_dict_free(&opts);
  check(rc, std::string("cannot open the ") + codec->name + " encoder");
  frame->format = enc->pix_fmt;
  frame->width = width;
  frame->height = height;
  check(av_frame_get_buffer(frame.get(), 0), "cannot allocate a video frame");
  stream = avformat_new_stream(out.get(), nullptr);
  if (!stream) throw std::bad_alloc();
  stream->time_base = enc->time_base;
  stream->avg_frame_rate = rate;
  check(avcodec_parameters_from_context(stream->codecpar, enc.get()), "cannot set up the video");
}

void VideoWriter::Impl::open_audio(const VideoWriterOptions& o) {
  InputPtr in;
  try {
    in = video_writing::open_source(o.audio_from);
  } catch (const std::exception& e) {
    warnings.push_back("audio not copied from " + o.audio_from.string() + ": " + e.what());
    return;
  }
  audio = std::make_unique<AudioCopy>(std::move(in), o, out.get(), warnings);
  if (audio->empty()) {
    audio.reset();  // no audio: frame times as without a source
    return;
  }
  offset_us = audio->video_offset_us();
}

void VideoWriter::Impl::run() {
  try {
    for (;;) {
      Item item;
      {
        std::unique_lock<std::mutex> lock(mu);
        changed.wait(lock, [&] { return !queue.empty() || closing; });
        if (queue.empty()) break;
        item = std::move(queue.front());
        queue.pop_front();
      }
      changed.notify_all();
      if (before_encode) before_encode();
      encode(item);
    }
    finish();
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu);
    error = std::make_exception_ptr(std::runtime_error(e.what() + (" in " + path)));
    queue.clear();
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu);
    error = std::current_exception();
    queue.clear();
  }
  changed.notify_all();
}

void VideoWriter::Impl::encode(const Item& item) {
  const cv::Mat& bgr = item.bgr;
  const int width = bgr.cols & ~1, height = bgr.rows & ~1;
  sws.reset(sws_getCachedContext(sws.release(), width, height, AV_PIX_FMT_BGR24, enc->width,
                                 enc->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr,
                                 nullptr));
  if (!sws)
    throw std::runtime_error("cannot convert " + std::to_string(bgr.cols) + "x" +
                             std::to_string(bgr.rows) + " frames for the encoder");
  check(av_frame_make_writable(frame.get()), "cannot reuse the video frame");
  const std::uint8_t* const src[] = {bgr.data};
  const int stride[] = {static_cast<int>(bgr.step)};
  sws_scale(sws.get(), src, stride, 0, height, frame->data, frame->linesize);
  const double seconds = (item.time_ms * 1000 + static_cast<double>(offset_us)) / 1e6;
  // One frame per tick: times that round together (a variable-rate source) move up a tick.
  const double ticks = seconds * rate.num / rate.den;
  frame->pts =
      std::isfinite(ticks) ? std::max<std::int64_t>(next_pts, std::llround(ticks)) : next_pts;
  next_pts = frame->pts + 1;
  if (audio) audio->copy_until(av_rescale_q(frame->pts, enc->time_base, AV_TIME_BASE_Q));
  send(frame.get());
}

void VideoWriter::Impl::send(const AVFrame* f) {
  check(avcodec_send_frame(enc.get(), f), "cannot encode video");
  for (;;) {
    const int rc = avcodec_receive_packet(enc.get(), packet.get());
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
    check(rc, "cannot encode video");
    av_packet_rescale_ts(packet.get(), enc->time_base, stream->time_base);
    packet->stream_index = stream->index;
    check(av_interleaved_write_frame(out.get(), packet.get()), "cannot write video");
  }
}

void VideoWriter::Impl::finish() {
  send(nullptr);
  // Audio that outlasts the last frame is kept: the source's sound, not the video's length.
  if (audio) audio->copy_until(audio_end_us == kForever ? kForever : audio_end_us + offset_us);
  check(av_write_trailer(out.get()), "cannot finish the video");
}

VideoWriter::VideoWriter(const fs::path& out, const VideoWriterOptions& options)
    : impl_(std::make_unique<Impl>(out, options)) {}

VideoWriter::~VideoWriter() {
  try {
    close();
  } catch (...) {  // a destructor must not throw; close() reports to those who ask
  }
}

void VideoWriter::write(const cv::Mat& bgr, double time_ms) {
  if (bgr.type() != CV_8UC3 || bgr.empty())
    throw std::invalid_argument("VideoWriter::write takes 8-bit BGR frames");
  Impl& m = *impl_;
  if (m.closed) throw std::logic_error("VideoWriter::write after close");
  Impl::Item item{bgr.clone(), time_ms};  // copied outside the lock
  std::unique_lock<std::mutex> lock(m.mu);
  m.changed.wait(lock, [&] { return m.queue.size() < m.capacity || m.error; });
  if (m.error) std::rethrow_exception(m.error);
  m.queue.push_back(std::move(item));
  lock.unlock();
  m.changed.notify_all();
}

void VideoWriter::close() { close_with(kForever); }

void VideoWriter::close(double audio_end_ms) { close_with(to_us(audio_end_ms / 1000)); }

void VideoWriter::close_with(std::int64_t audio_end_us) {
  Impl& m = *impl_;
  if (m.closed) return;
  m.closed = true;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    m.audio_end_us = audio_end_us;  // read by the encoder thread after it sees `closing`
    m.closing = true;
  }
  m.changed.notify_all();
  if (m.thread.joinable()) m.thread.join();
  m.out.reset();  // the file is closed, finished or not
  if (m.error) std::rethrow_exception(m.error);
}

const std::vector<std::string>& VideoWriter::warnings() const { return impl_->warnings; }

}  // namespace maskdetect
