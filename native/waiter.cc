#include "waiter.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "wake_signal.h"

#ifndef PTHREAD_STACK_MIN
#define PTHREAD_STACK_MIN 16384
#endif

namespace lockwright {

struct Slot {
  std::mutex mu;
  std::condition_variable cv;
  pthread_t thread{};
  // The wait this thread works on. Cleared (under mu) only after the thread is done
  // with it, so "current == w" under mu proves the thread is alive and still on w.
  std::shared_ptr<Wait> current;
};

struct WaitAccess {
  static std::shared_ptr<Slot>& slot(Wait& w) { return w.slot_; }
  static bool ClaimDelivery(Wait& w) {
    return !w.delivered_.exchange(true, std::memory_order_acq_rel);
  }
  static Sink& sink(Wait& w) { return *w.sink_; }
};

int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Wait::Wait(uint64_t id, double timeout_ms, std::shared_ptr<Sink> sink)
    : id_(id), deadline_ns_(-1), sink_(std::move(sink)) {
  // Beyond ~30 years a deadline is indistinguishable from none (and would overflow).
  if (timeout_ms >= 0 && timeout_ms < 1e12) {
    deadline_ns_ = MonotonicNs() + static_cast<int64_t>(std::ceil(timeout_ms * 1e6));
  }
}

namespace {

constexpr int kMaxThreads = 1024;
constexpr size_t kStackSize = 64 * 1024;
constexpr int64_t kMaxBackoffMs = 64;

int64_t IdleTimeoutMs() {
  static const int64_t value = [] {
    const char* env = std::getenv("LOCKWRIGHT_WAITER_IDLE_MS");
    if (env != nullptr) {
      char* end = nullptr;
      long long n = std::strtoll(env, &end, 10);
      if (end != env && *end == '\0' && n >= 0) return static_cast<int64_t>(n);
    }
    return static_cast<int64_t>(30000);
  }();
  return value;
}

void DeliverOnce(const std::shared_ptr<Wait>& w) {
  if (WaitAccess::ClaimDelivery(*w)) WaitAccess::sink(*w).Deliver(w);
}

enum class Kick { kSent, kDone, kUnusable };

Kick SignalWaiter(const std::shared_ptr<Wait>& w) {
  const std::shared_ptr<Slot>& slot = WaitAccess::slot(*w);
  if (!slot) return Kick::kDone;
  std::lock_guard<std::mutex> lock(slot->mu);
  if (slot->current.get() != w.get()) return Kick::kDone;
  // Someone may have replaced our handler: sending then could kill the process, so
  // degrade to "abandon" (the thread releases the lock when the kernel grants it).
  const int sig = WakeSignal();
  if (sig == 0 || !WakeSignalIntact()) return Kick::kUnusable;
  return pthread_kill(slot->thread, sig) == 0 ? Kick::kSent : Kick::kUnusable;
}

// Spawned threads start with every signal blocked; a waiter then unblocks only the wake
// signal, so process-directed signals (SIGINT, SIGCHLD, SIGPROF...) never land on it.
int SpawnDetached(pthread_t* thread, void* (*main)(void*), void* arg) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  size_t stack = std::max<size_t>(kStackSize, static_cast<size_t>(PTHREAD_STACK_MIN));
  pthread_attr_setstacksize(&attr, stack);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int r = pthread_create(thread, &attr, main, arg);
  if (r == EINVAL) {
    // Large static TLS can make a small stack unusable; retry with a roomier one.
    pthread_attr_setstacksize(&attr, 512 * 1024);
    r = pthread_create(thread, &attr, main, arg);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  return r;
}

class Kicker {
 public:
  // Leaked on purpose: a static destructor would race the detached kicker thread.
  static Kicker& Get() {
    static Kicker* kicker = new Kicker();
    return *kicker;
  }

  bool Start(SysError* err) {
    std::lock_guard<std::mutex> lock(mu_);
    return EnsureStartedLocked(err);
  }

  void AddDeadline(const std::shared_ptr<Wait>& w) {
    std::lock_guard<std::mutex> lock(mu_);
    // The waiter may already have decided and called RemoveDeadline (it does so after
    // its CAS, under mu_): adding the entry now would pin w until the deadline.
    if (w->state() != kPending) return;
    auto it = deadlines_.emplace(w->deadline_ns(), w);
    if (it == deadlines_.begin()) cv_.notify_one();
  }

  void RemoveDeadline(const Wait* w) {
    std::shared_ptr<Wait> dropped;  // destroyed after the lock is released
    std::lock_guard<std::mutex> lock(mu_);
    auto range = deadlines_.equal_range(w->deadline_ns());
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second.get() == w) {
        dropped = std::move(it->second);
        deadlines_.erase(it);
        break;
      }
    }
  }

  // Signals now and keeps re-signalling (1, 2, 4 ... 64 ms) until the thread lets go
  // of w: a signal that lands just before the thread enters the syscall is lost.
  void Interrupt(const std::shared_ptr<Wait>& w) {
    const Kick k = SignalWaiter(w);
    if (k == Kick::kUnusable) {
      // Abandon mode (no usable wake signal): the thread stays in the kernel until it is
      // granted, which may be never, so settle now; the thread gives a late grant back.
      // The only case where a settled wait can still briefly hold the lock.
      DeliverOnce(w);
      return;
    }
    if (k != Kick::kSent) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (!EnsureStartedLocked(nullptr)) return;
    retries_.push_back(Retry{w, MonotonicNs() + 1000000, 1});
    cv_.notify_one();
  }

 private:
  struct Retry {
    std::shared_ptr<Wait> wait;
    int64_t next_ns;
    int64_t backoff_ms;
  };

  bool EnsureStartedLocked(SysError* err) {
    if (started_) return true;
    pthread_t thread;
    int r = SpawnDetached(&thread, &Kicker::Main, this);
    if (r != 0) {
      if (err != nullptr) err->Set(r, "pthread_create");
      return false;
    }
    started_ = true;
    return true;
  }

  static void* Main(void* arg) {
    static_cast<Kicker*>(arg)->Loop();
    return nullptr;
  }

  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      const int64_t now = MonotonicNs();
      std::vector<std::shared_ptr<Wait>> expired;
      std::vector<std::shared_ptr<Wait>> due;
      while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        expired.push_back(std::move(deadlines_.begin()->second));
        deadlines_.erase(deadlines_.begin());
      }
      for (Retry& r : retries_) {
        if (r.next_ns > now) continue;
        due.push_back(r.wait);
        r.backoff_ms = std::min(r.backoff_ms * 2, kMaxBackoffMs);
        r.next_ns = now + r.backoff_ms * 1000000;
      }
      lock.unlock();
      for (const auto& w : expired) {
        if (w->Transition(kTimedOut)) Interrupt(w);
      }
      std::vector<const Wait*> finished;
      for (const auto& w : due) {
        const Kick k = SignalWaiter(w);
        if (k == Kick::kUnusable) DeliverOnce(w);  // handler replaced meanwhile: abandon
        if (k != Kick::kSent) finished.push_back(w.get());
      }
      expired.clear();
      lock.lock();
      if (!finished.empty()) {
        retries_.erase(std::remove_if(retries_.begin(), retries_.end(),
                                      [&](const Retry& r) {
                                        return std::find(finished.begin(), finished.end(),
                                                         r.wait.get()) != finished.end();
                                      }),
                       retries_.end());
      }
      // Keep `due` alive until the entries it points into are gone.
      due.clear();
      int64_t next = INT64_MAX;
      if (!deadlines_.empty()) next = deadlines_.begin()->first;
      for (const Retry& r : retries_) next = std::min(next, r.next_ns);
      if (next == INT64_MAX) {
        cv_.wait(lock);
      } else {
        const int64_t delay = next - MonotonicNs();
        if (delay > 0) cv_.wait_for(lock, std::chrono::nanoseconds(delay));
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  std::multimap<int64_t, std::shared_ptr<Wait>> deadlines_;
  std::vector<Retry> retries_;
};

struct Pool {
  std::mutex mu;
  std::vector<std::shared_ptr<Slot>> idle;
  int threads = 0;
  // Mirrors for stats(), readable without contending for mu with the waiters.
  std::atomic<int> threads_seen{0};
  std::atomic<int> idle_seen{0};

  void Publish() {
    threads_seen.store(threads, std::memory_order_relaxed);
    idle_seen.store(static_cast<int>(idle.size()), std::memory_order_relaxed);
  }
};

Pool& GetPool() {
  static Pool* pool = new Pool();  // leaked: detached threads may outlive static destructors
  return *pool;
}

// Decides the outcome with the single CAS from kPending; a loser gives the grant back.
// Delivery comes last, whatever the outcome (cancelled included): by then this thread
// has returned from the kernel and holds nothing it was not granted for, so a settled
// wait can never leave a ghost holder behind (issue 9).
void Run(const std::shared_ptr<Wait>& w) {
  const Outcome outcome = w->Block();
  switch (outcome) {
    case Outcome::kGranted:
      if (!w->Transition(kGranted)) w->ReleaseGrant();
      break;
    case Outcome::kTimedOut:
      w->Transition(kTimedOut);
      break;
    case Outcome::kFailed:
      w->Transition(kFailed);
      break;
    case Outcome::kStopped:
      break;
  }
  if (w->NeedsKickerDeadline() && w->deadline_ns() >= 0) Kicker::Get().RemoveDeadline(w.get());
  DeliverOnce(w);
}

void* WaiterMain(void* arg) {
  auto* holder = static_cast<std::shared_ptr<Slot>*>(arg);
  std::shared_ptr<Slot> slot = std::move(*holder);
  delete holder;
  sigset_t mask;
  sigfillset(&mask);
  if (WakeSignal() != 0) sigdelset(&mask, WakeSignal());
  pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  Pool& pool = GetPool();
  for (;;) {
    std::shared_ptr<Wait> w;
    {
      std::unique_lock<std::mutex> lock(slot->mu);
      const auto until =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(IdleTimeoutMs());
      while (!slot->current) {
        if (slot->cv.wait_until(lock, until) == std::cv_status::timeout) break;
      }
      w = slot->current;
    }
    if (!w) {
      std::lock_guard<std::mutex> lock(pool.mu);
      auto it = std::find(pool.idle.begin(), pool.idle.end(), slot);
      if (it != pool.idle.end()) {
        pool.idle.erase(it);
        --pool.threads;
        pool.Publish();
        return nullptr;
      }
      // StartWait took this slot off the idle list: a job is assigned by now.
      continue;
    }
    Run(w);
    w.reset();
    {
      std::lock_guard<std::mutex> lock(slot->mu);
      slot->current.reset();
    }
    std::lock_guard<std::mutex> lock(pool.mu);
    pool.idle.push_back(slot);
    pool.Publish();
  }
}

}  // namespace

bool StartWait(const std::shared_ptr<Wait>& w, SysError* err) {
  WakeSignal();  // installed before any waiter computes its signal mask
  const bool kicked = w->NeedsKickerDeadline() && w->deadline_ns() >= 0;
  if (kicked && !Kicker::Get().Start(err)) return false;
  Pool& pool = GetPool();
  {
    std::lock_guard<std::mutex> pool_lock(pool.mu);
    if (!pool.idle.empty()) {
      std::shared_ptr<Slot> slot = std::move(pool.idle.back());
      pool.idle.pop_back();
      pool.Publish();
      WaitAccess::slot(*w) = slot;
      {
        std::lock_guard<std::mutex> lock(slot->mu);
        slot->current = w;
      }
      slot->cv.notify_one();
    } else {
      if (pool.threads >= kMaxThreads) {
        err->Set(EAGAIN, "pthread_create", nullptr,
                 "too many blocked waits (all " + std::to_string(kMaxThreads) +
                     " waiter threads are busy)");
        return false;
      }
      auto slot = std::make_shared<Slot>();
      std::lock_guard<std::mutex> lock(slot->mu);
      slot->current = w;
      WaitAccess::slot(*w) = slot;
      auto* arg = new std::shared_ptr<Slot>(slot);
      int r = SpawnDetached(&slot->thread, &WaiterMain, arg);
      if (r != 0) {
        delete arg;
        slot->current.reset();
        WaitAccess::slot(*w).reset();
        err->Set(r, "pthread_create");
        return false;
      }
      ++pool.threads;
      pool.Publish();
    }
  }
  if (kicked) Kicker::Get().AddDeadline(w);
  return true;
}

bool CancelWait(const std::shared_ptr<Wait>& w) {
  if (!w->Transition(kCancelled)) return false;
  Kicker::Get().Interrupt(w);
  return true;
}

PoolStats GetPoolStats() {
  Pool& pool = GetPool();
  return PoolStats{pool.threads_seen.load(std::memory_order_relaxed),
                   pool.idle_seen.load(std::memory_order_relaxed)};
}

}  // namespace lockwright
