// The ordered parallel hand-off that the pipeline and `maskdetect eval` share: items are made one
// at a time in order, analysed in parallel, each worker with an engine of its own, and consumed
// one at a time in the order they were made. oneTBB's parallel_pipeline does the scheduling.
#pragma once

#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "maskdetect/engine.hpp"

namespace maskdetect {

class WorkerPool {
 public:
  // Builds `threads` engines now (0: one per core), so a setup error surfaces before any input
  // is read. Throws what the factory throws.
  WorkerPool(const EngineFactory& make, int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int threads() const { return static_cast<int>(engines_.size()); }

  // Runs `produce` (serially, in order) until it returns nothing, `work` on each item in
  // parallel, and `consume` on each item serially in production order. At most `in_flight`
  // items exist at once, so memory stays bounded whatever the input. An exception from any of
  // the three stops the run and is rethrown here once every thread has finished.
  template <class Item>
  void run(std::size_t in_flight, const std::function<std::optional<Item>()>& produce,
           const std::function<void(Engine&, Item&)>& work,
           const std::function<void(Item&)>& consume);

 private:
  // An engine no other worker is using; parallel_pipeline never runs more than threads() work
  // calls at once in our arena, so one is always free.
  class Lease {
   public:
    explicit Lease(WorkerPool& pool);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Engine& engine() { return *engine_; }

   private:
    WorkerPool& pool_;
    Engine* engine_;
  };

  std::vector<std::unique_ptr<Engine>> engines_;
  std::mutex mu_;
  std::vector<Engine*> free_;
  // TBB starts one thread per core; --threads may ask for more (or fewer), and it is what the
  // user asked for that runs.
  tbb::global_control parallelism_;
  tbb::task_arena arena_;
};

template <class Item>
void WorkerPool::run(std::size_t in_flight, const std::function<std::optional<Item>()>& produce,
                     const std::function<void(Engine&, Item&)>& work,
                     const std::function<void(Item&)>& consume) {
  using Ptr = std::shared_ptr<Item>;  // copyable, as every TBB release accepts
  arena_.execute([&] {
    tbb::parallel_pipeline(
        in_flight < 1 ? 1 : in_flight,
        tbb::make_filter<void, Ptr>(tbb::filter_mode::serial_in_order,
                                    [&](tbb::flow_control& fc) -> Ptr {
                                      std::optional<Item> item = produce();
                                      if (!item) {
                                        fc.stop();
                                        return nullptr;
                                      }
                                      return std::make_shared<Item>(std::move(*item));
                                    }) &
            tbb::make_filter<Ptr, Ptr>(tbb::filter_mode::parallel,
                                       [&](Ptr item) {
                                         Lease lease(*this);
                                         work(lease.engine(), *item);
                                         return item;
                                       }) &
            tbb::make_filter<Ptr, void>(tbb::filter_mode::serial_in_order,
                                        [&](Ptr item) { consume(*item); }));
  });
}

}  // namespace maskdetect
