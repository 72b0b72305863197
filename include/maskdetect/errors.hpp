#pragma once

#include <stdexcept>

namespace maskdetect {

// Something the run cannot start without (model, cascade, output folder, a bad option). The
// message is one line naming the file and the fix; the CLI exits with status 2.
class SetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace maskdetect
