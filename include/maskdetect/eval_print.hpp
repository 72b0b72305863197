// The tables `maskdetect eval` prints, one per dataset, from the dataset's eval.json entry.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>

namespace maskdetect {

// `dataset` is one entry of eval.json's "datasets" (path, kind, split and the metrics).
void print_dataset(std::ostream& out, const nlohmann::json& dataset);

}  // namespace maskdetect
