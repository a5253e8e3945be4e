#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "sys_error.h"
#include "waiter.h"

#if defined(__linux__)
#include <sys/sem.h>
#endif

namespace lockwright {

// System V semaphores are used on Linux only (macOS: 10 undo entries per process, no
// semtimedop); elsewhere every entry point fails with ENOTSUP.
extern const bool kHaveSemaphores;

#if defined(__linux__)
// glibc leaves the definition of semun to the caller.
union SemUn {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

// Shared by the lock sets (here) and the permit sets (sem_permit_ops): IPC_STAT the set
// and require `nsems` semaphores, owner and creator this euid, and exactly `mode`.
// 1: ours; 0: the set vanished meanwhile (caller retries); -1: *err set (EACCES, EEXIST).
int CheckSetOwnership(int semid, int key, int nsems, int mode, SysError* err);
#endif

std::string SemKeyHex(int key);
std::string SemModeOctal(unsigned mode);
// EIDRM/EINVAL get a message saying the set was removed (the lock or permits are lost).
void SetSemError(SysError* err, int e, const char* call, int key);

// Set of 3: sem 0 is a zero-initialised mutex (acquire = wait-for-zero + increment, so
// it never needs SETVAL), sems 1 and 2 carry the fingerprint's 15-bit halves.
// Creates it, or opens an existing one after checking owner, mode and fingerprint.
int OpenSemaphoreSet(int key, uint32_t fingerprint, int mode, SysError* err);

TryResult SemTryLock(int semid, int key, SysError* err);

// semop -1 with SEM_UNDO. An EIDRM/EINVAL error means the lock was already lost.
bool SemRelease(int semid, int key, SysError* err);

// Whether a hold this process took is still in the kernel: 1 when the set exists, its
// mutex is at 1 and was last changed by this process (nobody else can change it while we
// hold it); 0 when the set was removed (ipcrm, logind RemoveIPC) or the value reset
// behind our back; -1 with *err set on any other error.
int SemHoldIntact(int semid, int key, SysError* err);

class SemWait : public Wait {
 public:
  SemWait(uint64_t id, double timeout_ms, std::shared_ptr<Sink> sink, int semid, int key);
  ~SemWait() override;

  Outcome Block() override;
  void ReleaseGrant() override;
  bool NeedsKickerDeadline() const override { return false; }

  // The JS thread adopts the hold (the handle becomes locked); false if there is none.
  bool TakeGrant() { return held_.exchange(false, std::memory_order_acq_rel); }

 private:
  const int semid_;
  const int key_;
  std::atomic<bool> held_{false};
};

}  // namespace lockwright
