#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "sys_error.h"

namespace lockwright {

// native.md §2.5: every terminal state is reached by one CAS from kPending.
enum WaitState : int { kPending = 0, kGranted, kFailed, kTimedOut, kCancelled };

// What the blocking part of a wait ended with, before the CAS decides the outcome.
enum class Outcome { kGranted, kTimedOut, kFailed, kStopped };

class Wait;
struct Slot;

// Where finished waits go (the env's hub). Every wait is delivered exactly once, also a
// cancelled one. Deliver must either hand the wait over to the JS thread or, when it
// cannot, call ReleaseGrant() itself.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void Deliver(const std::shared_ptr<Wait>& wait) = 0;
};

class Wait {
 public:
  Wait(uint64_t id, double timeout_ms, std::shared_ptr<Sink> sink);
  virtual ~Wait() = default;
  Wait(const Wait&) = delete;
  Wait& operator=(const Wait&) = delete;

  uint64_t id() const { return id_; }
  int state() const { return state_.load(std::memory_order_acquire); }
  bool Transition(int to) {
    int expected = kPending;
    return state_.compare_exchange_strong(expected, to, std::memory_order_acq_rel);
  }
  // Absolute CLOCK_MONOTONIC deadline in ns, -1 for none.
  int64_t deadline_ns() const { return deadline_ns_; }

  // Waiter thread: block until the kernel grants, fails, times out (semtimedop) or the
  // state leaves kPending (then return kStopped holding nothing). Must re-check the
  // state after every EINTR.
  virtual Outcome Block() = 0;
  // Gives back a grant this wait still owns. Idempotent, any thread.
  virtual void ReleaseGrant() = 0;
  // flock has no timed variant: its deadline is enforced by the kicker thread.
  virtual bool NeedsKickerDeadline() const = 0;

  // Set by the waiter before the kFailed CAS; read by the JS thread after delivery.
  SysError error;

 private:
  friend struct WaitAccess;
  const uint64_t id_;
  int64_t deadline_ns_;
  std::atomic<int> state_{kPending};
  std::atomic<bool> delivered_{false};
  std::shared_ptr<Sink> sink_;
  // Set once before the wait becomes visible to any other thread.
  std::shared_ptr<Slot> slot_;
};

// Hands the wait to a waiter thread (creating one if none is idle) and registers its
// deadline. False with *err set when no thread could be started.
bool StartWait(const std::shared_ptr<Wait>& wait, SysError* err);

// CAS kPending -> kCancelled. On success, interrupts the waiter (signal now, then
// retries with backoff until the thread lets go of the wait) and returns true. The
// cancelled wait is still delivered to its sink, by its thread, once that thread has
// returned from the kernel and given back any grant that raced the cancellation.
bool CancelWait(const std::shared_ptr<Wait>& wait);

struct PoolStats {
  int threads;
  int idle;
};
PoolStats GetPoolStats();

int64_t MonotonicNs();

}  // namespace lockwright
