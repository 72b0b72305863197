// What the targets that score boxes (voc, report) pass as the model's label roles.
#pragma once

#include "maskdetect/eval.hpp"
#include "maskdetect/model_card.hpp"

namespace maskdetect::fuzz {

// The shipped card's roles: "mask" and "no_mask", ground truth with_mask / without_mask.
inline const LabelRoles& roles() {
  static const LabelRoles r = LabelRoles::of(ModelCard{});
  return r;
}

}  // namespace maskdetect::fuzz
