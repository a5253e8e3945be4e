#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "sys_error.h"
#include "waiter.h"

namespace lockwright {

// A counting semaphore of N permits (native.md §3.8): a System V set of 4,
//   sem 0  free permits (N when nobody holds any),
//   sem 1  the limit N,
//   sems 2, 3  the fingerprint's 15-bit halves (collision detection, as for lock sets).
// Initialisation is one atomic semop, "if sem 1 is 0, add N to sems 0 and 1 and the
// fingerprint to sems 2 and 3", without SEM_UNDO (it must outlive the process that did
// it). Linux zero-fills new sets, so every opener may attempt it: exactly one succeeds,
// the others find it done. No SETVAL ever (it would wipe every process's semadj).
// Taking and giving back permits is ±n on sem 0 with SEM_UNDO, so the kernel gives a
// dead process's permits back. A set of 4 never passes for a lock set of 3 (nor the
// other way round): the sizes are checked on open.
constexpr int kPermitSems = 4;
constexpr int kPermitFree = 0;
constexpr int kPermitLimit = 1;
// SEMVMX: no semaphore value (and no process's semadj) may exceed it.
constexpr int kMaxPermits = 32767;

// Creates and initialises the set with `limit` permits, or opens an existing one after
// checking owner, mode, size and fingerprint. *kernel_limit receives the limit the set
// actually has (another process may have created it with a different one).
int OpenPermitSet(int key, uint32_t fingerprint, int limit, int mode, int* kernel_limit,
                  SysError* err);

// semop(-n, SEM_UNDO|IPC_NOWAIT) on the calling thread.
TryResult PermitTryTake(int semid, int key, int n, SysError* err);

// semop(+n, SEM_UNDO|IPC_NOWAIT). EIDRM/EINVAL: the set was removed (the permits are lost).
bool PermitGive(int semid, int key, int n, SysError* err);

// 1 when the set still exists with `limit`; 0 when it was removed (or replaced, or its
// limit changed behind our back); -1 with *err set on any other error.
int PermitSetIntact(int semid, int key, int limit, SysError* err);

class PermitWait : public Wait {
 public:
  PermitWait(uint64_t id, double timeout_ms, std::shared_ptr<Sink> sink, int semid, int key,
             int n);
  ~PermitWait() override;

  Outcome Block() override;
  void ReleaseGrant() override;
  bool NeedsKickerDeadline() const override { return false; }

  // The JS thread adopts the permits (the handle holds them); false if there are none.
  bool TakeGrant() { return held_.exchange(false, std::memory_order_acq_rel); }
  int count() const { return n_; }

 private:
  const int semid_;
  const int key_;
  const int n_;
  std::atomic<bool> held_{false};
};

}  // namespace lockwright
