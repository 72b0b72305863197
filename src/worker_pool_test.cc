#include "maskdetect/worker_pool.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>

using namespace maskdetect;

namespace {

class CountingEngine : public Engine {
 public:
  Analysis analyze(const cv::Mat&, int) override { return {}; }
};

EngineFactory counting(std::atomic<int>& made) {
  return [&made] {
    ++made;
    return std::make_unique<CountingEngine>();
  };
}

}  // namespace

TEST_CASE("the pool makes one engine per worker up front", "[worker_pool]") {
  std::atomic<int> made{0};
  WorkerPool pool(counting(made), 3);
  CHECK(pool.threads() == 3);
  CHECK(made == 3);
}

TEST_CASE("items are consumed in production order, each worker on its own engine",
          "[worker_pool]") {
  std::atomic<int> made{0};
  WorkerPool pool(counting(made), 3);
  int next = 0;
  std::vector<int> consumed;
  std::atomic<int> in_work{0}, most_in_work{0};
  std::mutex mu;
  std::set<Engine*> busy;
  bool shared_engine = false;
  pool.run<int>(
      8,
      [&]() -> std::optional<int> {
        return next < 200 ? std::optional<int>(next++) : std::nullopt;
      },
      [&](Engine& e, int& item) {
        {
          std::lock_guard<std::mutex> lock(mu);
          shared_engine = shared_engine || !busy.insert(&e).second;
        }
        const int now = ++in_work;
        for (int seen = most_in_work;
             now > seen && !most_in_work.compare_exchange_weak(seen, now);) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds((item * 37) % 500));
        item *= 2;
        --in_work;
        std::lock_guard<std::mutex> lock(mu);
        busy.erase(&e);
      },
      [&](int& item) { consumed.push_back(item); });
  REQUIRE(consumed.size() == 200);
  for (int i = 0; i < 200; ++i) CHECK(consumed[static_cast<std::size_t>(i)] == 2 * i);
  CHECK_FALSE(shared_engine);
  CHECK(most_in_work <= 3);
}

TEST_CASE("an exception in a stage stops the run and reaches the caller", "[worker_pool]") {
  std::atomic<int> made{0};
  WorkerPool pool(counting(made), 2);
  int next = 0;
  CHECK_THROWS_WITH(pool.run<int>(
                        4, [&]() -> std::optional<int> { return next++; },
                        [&](Engine&, int& item) {
                          if (item == 50) throw std::runtime_error("sink full");
                        },
                        [&](int&) {}),
                    "sink full");
  CHECK(next < 1000);  // production stopped soon after
}

TEST_CASE("a factory that fails fails the pool's construction", "[worker_pool]") {
  CHECK_THROWS_WITH(
      WorkerPool([]() -> std::unique_ptr<Engine> { throw std::runtime_error("no cascade"); }, 2),
      "no cascade");
}
