#include "maskdetect/voc.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <locale>
#include <pugixml.hpp>
#include <sstream>
#include <stdexcept>

namespace maskdetect {
namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// All character data directly inside `node` (text and CDATA, around comments), entities
// expanded: what the element says, whichever way the labelling tool wrote it.
std::string text_of(const pugi::xml_node& node) {
  std::string out;
  for (const pugi::xml_node& c : node.children())
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  return trim(out);
}

// int(float(text)) as training/prepare_data.py reads coordinates; locale-independent.
int voc_coordinate(const pugi::xml_node& box, const char* tag) {
  const pugi::xml_node n = box.child(tag);
  if (!n) throw std::runtime_error(std::string("<bndbox> without <") + tag + ">");
  const std::string t = text_of(n);
  std::istringstream in(t);
  in.imbue(std::locale::classic());
  double v = 0;
  if (!(in >> v) || !std::isfinite(v))
    throw std::runtime_error(std::string("<") + tag + "> is not a number: \"" + t + "\"");
  // Far beyond any photo; refusing it keeps xmax - xmin and every area computed later in range.
  if (std::abs(v) > 1e9)
    throw std::runtime_error(std::string("<") + tag + "> is out of range: \"" + t + "\"");
  return static_cast<int>(std::trunc(v));
}

GtFace parse_object(const pugi::xml_node& obj, int index) {
  const pugi::xml_node box = obj.child("bndbox");
  if (!box) throw std::runtime_error("<object> " + std::to_string(index) + " has no <bndbox>");
  GtFace g;
  if (const pugi::xml_node name = obj.child("name")) g.label = text_of(name);
  g.cls = canonical_gt_class(g.label);
  const int x0 = voc_coordinate(box, "xmin"), y0 = voc_coordinate(box, "ymin");
  const int x1 = voc_coordinate(box, "xmax"), y1 = voc_coordinate(box, "ymax");
  g.box = cv::Rect(x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0));
  return g;
}

}  // namespace

std::string canonical_gt_class(std::string_view voc_name) {
  const std::string n = trim(voc_name);
  if (n == kWithMask || n == kWithoutMask || n == kIncorrect) return n;
  if (n == "mask_weared_incorrect") return kIncorrect;
  return kOtherClass;
}

VocAnnotation parse_voc(std::string_view xml) {
  pugi::xml_document doc;
  // parse_default expands entities and keeps CDATA; a DOCTYPE is skipped, never expanded, so
  // entity bombs cannot grow. pugixml's parser is not recursive: deep nesting cannot overflow.
  const pugi::xml_parse_result ok =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!ok)
    throw std::runtime_error("malformed XML at byte " + std::to_string(ok.offset) + ": " +
                             ok.description());
  const pugi::xml_node root = doc.document_element();
  if (!root) throw std::runtime_error("malformed XML: no root element");
  VocAnnotation a;
  if (const pugi::xml_node f = root.child("filename")) a.filename = text_of(f);
  int index = 0;
  for (const pugi::xml_node& obj : root.children("object"))
    a.faces.push_back(parse_object(obj, index++));
  return a;
}

}  // namespace maskdetect
