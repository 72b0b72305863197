#include "maskdetect/worker_pool.hpp"

#include <algorithm>
#include <opencv2/core/utility.hpp>
#include <thread>

namespace maskdetect {

namespace {

int resolve(int threads) {
  return threads > 0 ? threads
                     : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

}  // namespace

WorkerPool::WorkerPool(const EngineFactory& make, int threads)
    : parallelism_(tbb::global_control::max_allowed_parallelism,
                   static_cast<std::size_t>(resolve(threads))),
      arena_(resolve(threads)) {
  // Parallelism comes from analysing several images at once; OpenCV's own threads on top would
  // only oversubscribe the cores.
  cv::setNumThreads(1);
  engines_.resize(static_cast<std::size_t>(arena_.max_concurrency()));
  for (auto& e : engines_) {
    e = make();
    free_.push_back(e.get());
  }
}

WorkerPool::~WorkerPool() = default;

WorkerPool::Lease::Lease(WorkerPool& pool) : pool_(pool) {
  std::lock_guard<std::mutex> lock(pool_.mu_);
  engine_ = pool_.free_.back();
  pool_.free_.pop_back();
}

WorkerPool::Lease::~Lease() {
  std::lock_guard<std::mutex> lock(pool_.mu_);
  pool_.free_.push_back(engine_);
}

}  // namespace maskdetect
