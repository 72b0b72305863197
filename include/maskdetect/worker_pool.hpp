// The ordered parallel hand-off that the pipeline and `maskdetect eval` share: items are made one
// at a time in order, analysed in parallel, each worker with an engine of its own, and consumed
// one at a time in the order they were made. oneTBB's parallel_pipeline does the scheduling.
#pragma once

#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "maskdetect/engine.hpp"

namespace maskdetect {

// Bumped (release) before every run and read (acquire) first thing in every stage; a global, so
// that reading it needs nothing a stage could race on. See WorkerPool::run.
inline std::atomic<unsigned> pipeline_generation{0};

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
  // Items live in a ring of slots, one per token TBB lets into the pipeline, and the tokens are
  // slot numbers. TBB hands them over inside its own (uninstrumented) library, so every hand-off
  // is also made visible to ThreadSanitizer: a release/acquire on the slot's stage between
  // stages, and a mutex around each serial stage, which TBB may run on different threads.
  struct Slot {
    std::optional<Item> item;
    std::atomic<int> stage{0};
  };
  const std::size_t n = in_flight < 1 ? 1 : in_flight;
  std::vector<Slot> slots(n);
  std::size_t next = 0;
  std::mutex producing, consuming;
  const auto produce_stage = [&](tbb::flow_control& fc) -> std::size_t {
    (void)pipeline_generation.load(std::memory_order_acquire);
    std::lock_guard<std::mutex> lock(producing);
    std::optional<Item> item = produce();
    if (!item) {
      fc.stop();
      return 0;
    }
    // TBB's token limit guarantees the slot's previous item has been consumed.
    const std::size_t i = next++ % n;
    (void)slots[i].stage.load(std::memory_order_acquire);
    slots[i].item = std::move(item);
    slots[i].stage.store(1, std::memory_order_release);
    return i;
  };
  const auto work_stage = [&](std::size_t i) {
    (void)pipeline_generation.load(std::memory_order_acquire);
    (void)slots[i].stage.load(std::memory_order_acquire);
    Lease lease(*this);
    work(lease.engine(), *slots[i].item);
    slots[i].stage.store(2, std::memory_order_release);
    return i;
  };
  const auto consume_stage = [&](std::size_t i) {
    (void)pipeline_generation.load(std::memory_order_acquire);
    std::lock_guard<std::mutex> lock(consuming);
    (void)slots[i].stage.load(std::memory_order_acquire);
    consume(*slots[i].item);
    slots[i].item.reset();
    slots[i].stage.store(0, std::memory_order_release);
  };
  const auto filters =
      tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order, produce_stage) &
      tbb::make_filter<std::size_t, std::size_t>(tbb::filter_mode::parallel, work_stage) &
      tbb::make_filter<std::size_t, void>(tbb::filter_mode::serial_in_order, consume_stage);
  // TBB's pooled threads outlive a run: this release, paired with the acquire that opens every
  // stage, orders the stages' state (built above, on this thread) before their first use there.
  pipeline_generation.fetch_add(1, std::memory_order_release);
  arena_.execute([&] { tbb::parallel_pipeline(n, filters); });
  // Whatever thread ran the last stage, the caller now sees its writes (and destroys the slots).
  std::scoped_lock done(producing, consuming);
  for (Slot& slot : slots) (void)slot.stage.load(std::memory_order_acquire);
}

}  // namespace maskdetect
