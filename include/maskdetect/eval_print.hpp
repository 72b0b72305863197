// The tables `maskdetect eval` prints, one per dataset, from the dataset's eval.json entry.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>

namespace maskdetect {

// `dataset` is one entry of eval.json's "datasets" (path, kind, split and the metrics).
void print_dataset(std::ostream& out, const nlohmann::json& dataset);

// `summary` is one entry of eval.json's "over_scales": means over the scales a VOC set ran at.
void print_over_scales(std::ostream& out, const nlohmann::json& summary);

}  // namespace maskdetect
