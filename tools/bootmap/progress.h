// A progress line on stderr for long work: shown only when stderr is a terminal and the
// work has run for more than a second: phase, elapsed time, and (when the work reports
// them, as table building does through the core's progress hook) entries and rate.
#pragma once
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace bootmap::cli {

class Progress {
 public:
  explicit Progress(bool enabled = ::isatty(2) != 0) : enabled_(enabled) {}
  ~Progress() { Stop(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Starts a phase ("building tables"); the line appears after one second.
  void Begin(std::string phase) {
    if (!enabled_) return;
    Stop();
    std::lock_guard<std::mutex> lock(mu_);
    phase_ = std::move(phase);
    done_.store(0);
    start_ = std::chrono::steady_clock::now();
    stop_ = false;
    thread_ = std::thread([this] { Loop(); });
  }
  // Entries done so far in this phase (for the rate).
  void Set(uint64_t done) { done_.store(done, std::memory_order_relaxed); }
  // Ends the phase; if the line was shown, it is finished with the entries and their rate.
  void End(uint64_t entries = 0) {
    if (!enabled_ || !thread_.joinable()) return;
    done_.store(entries);
    Stop();
    if (shown_) {
      std::fprintf(stderr, "\r\033[K%s: done, %s\n", phase_.c_str(), Line().c_str());
      shown_ = false;
    }
  }

 private:
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  std::string Line() const {
    char buf[128];
    const double s = Elapsed();
    const uint64_t n = done_.load(std::memory_order_relaxed);
    if (n == 0) std::snprintf(buf, sizeof buf, "%.1f s", s);
    else std::snprintf(buf, sizeof buf, "%llu entries in %.1f s (%.1f M/s)", (unsigned long long)n, s, n / s / 1e6);
    return buf;
  }
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) return;
    while (!stop_) {
      shown_ = true;
      std::fprintf(stderr, "\r\033[K%s... %s", phase_.c_str(), Line().c_str());
      std::fflush(stderr);
      cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; });
    }
  }

  const bool enabled_;
  std::string phase_;
  std::atomic<uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool shown_ = false;
  std::thread thread_;
};

}  // namespace bootmap::cli
