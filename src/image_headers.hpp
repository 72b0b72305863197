// Image sizes (and JPEG truncation) read from format headers, for media sniffing.
#pragma once

#include "sniff_source.hpp"

namespace maskdetect::sniffing {

std::string tail(Source& src);
bool jpeg_truncated(Source& src, const MediaInfo& info);
void jpeg_size(Source& src, MediaInfo& info);
void tiff_size(Source& src, MediaInfo& info, bool little, bool big);
void webp_size(std::string_view b, MediaInfo& info);
void pnm_size(std::string_view b, MediaInfo& info);
void pam_size(std::string_view b, MediaInfo& info);
void jp2_size(Source& src, MediaInfo& info);
void exr_size(Source& src, MediaInfo& info);
void hdr_size(std::string_view b, MediaInfo& info);

}  // namespace maskdetect::sniffing
