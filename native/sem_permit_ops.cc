#include "sem_permit_ops.h"

#include <cerrno>
#include <string>

#include "sem_ops.h"

#if defined(__linux__)
#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>
#endif

namespace lockwright {

#if defined(__linux__)

namespace {

constexpr int kFpHigh = 2;
constexpr int kFpLow = 3;

// 1: initialised by this call or found initialised; 0: the set vanished (retry);
// -1: *err set.
int InitOrRead(int semid, int key, int hi, int lo, int limit, int* kernel_limit,
               SysError* err) {
  // All or nothing: the wait-for-zero on the limit makes exactly one opener succeed.
  struct sembuf init[5] = {
      {kPermitLimit, 0, IPC_NOWAIT},
      {kPermitLimit, static_cast<short>(limit), 0},
      {kPermitFree, static_cast<short>(limit), 0},
      {kFpHigh, static_cast<short>(hi), 0},
      {kFpLow, static_cast<short>(lo), 0},
  };
  int r;
  do {
    r = semop(semid, init, 5);
  } while (r != 0 && errno == EINTR);
  if (r == 0) {
    *kernel_limit = limit;
    return 1;
  }
  if (errno == EIDRM || errno == EINVAL) return 0;
  if (errno != EAGAIN) {
    SetSemError(err, errno, "semop", key);
    return -1;
  }
  unsigned short values[kPermitSems];
  SemUn arg;
  arg.array = values;
  if (semctl(semid, 0, GETALL, arg) != 0) {
    if (errno == EIDRM || errno == EINVAL) return 0;
    SetSemError(err, errno, "semctl", key);
    return -1;
  }
  if (values[kFpHigh] != hi || values[kFpLow] != lo) {
    err->Set(EEXIST, "semget", nullptr,
             "System V semaphore key " + SemKeyHex(key) +
                 " is used by another set (fingerprint mismatch)");
    return -1;
  }
  *kernel_limit = values[kPermitLimit];
  return 1;
}

}  // namespace

int OpenPermitSet(int key, uint32_t fingerprint, int limit, int mode, int* kernel_limit,
                  SysError* err) {
  const int hi = static_cast<int>((fingerprint >> 15) & 0x7fff);
  const int lo = static_cast<int>(fingerprint & 0x7fff);
  for (int attempt = 0; attempt < 8; ++attempt) {
    // No IPC_EXCL: creating and opening are the same from here on (the init is atomic).
    const int semid = semget(key, kPermitSems, IPC_CREAT | mode);
    if (semid < 0) {
      if (errno == EINVAL) {
        // An existing set of another size (semget checks nsems <= the set's size).
        err->Set(EEXIST, "semget", nullptr,
                 "System V semaphore key " + SemKeyHex(key) +
                     " is used by another set (fewer than " + std::to_string(kPermitSems) +
                     " semaphores)");
      } else {
        err->Set(errno, "semget");
      }
      return -1;
    }
    int r = CheckSetOwnership(semid, key, kPermitSems, mode, err);
    if (r == 1) r = InitOrRead(semid, key, hi, lo, limit, kernel_limit, err);
    if (r == 1) return semid;
    if (r < 0) return -1;
  }
  err->Set(EAGAIN, "semget", nullptr,
           "System V semaphore key " + SemKeyHex(key) + " keeps being removed and recreated");
  return -1;
}

TryResult PermitTryTake(int semid, int key, int n, SysError* err) {
  struct sembuf op = {kPermitFree, static_cast<short>(-n), SEM_UNDO | IPC_NOWAIT};
  int r;
  do {
    r = semop(semid, &op, 1);
  } while (r != 0 && errno == EINTR);
  if (r == 0) return TryResult::kGranted;
  if (errno == EAGAIN) return TryResult::kBusy;
  SetSemError(err, errno, "semop", key);
  return TryResult::kError;
}

bool PermitGive(int semid, int key, int n, SysError* err) {
  struct sembuf op = {kPermitFree, static_cast<short>(n), SEM_UNDO | IPC_NOWAIT};
  int r;
  do {
    r = semop(semid, &op, 1);
  } while (r != 0 && errno == EINTR);
  if (r == 0) return true;
  SetSemError(err, errno, "semop", key);
  return false;
}

int PermitSetIntact(int semid, int key, int limit, SysError* err) {
  const int value = semctl(semid, kPermitLimit, GETVAL);
  if (value < 0) {
    if (errno == EIDRM || errno == EINVAL) return 0;
    SetSemError(err, errno, "semctl", key);
    return -1;
  }
  return value == limit ? 1 : 0;
}

Outcome PermitWait::Block() {
  struct sembuf op = {kPermitFree, static_cast<short>(-n_), SEM_UNDO};
  for (;;) {
    if (state() != kPending) return Outcome::kStopped;
    int r;
    const char* call = "semop";
    if (deadline_ns() < 0) {
      r = semop(semid_, &op, 1);
    } else {
      call = "semtimedop";
      const int64_t left = deadline_ns() - MonotonicNs();
      if (left <= 0) {
        struct sembuf last = {kPermitFree, static_cast<short>(-n_), SEM_UNDO | IPC_NOWAIT};
        r = semop(semid_, &last, 1);
      } else {
        struct timespec ts;
        ts.tv_sec = static_cast<time_t>(left / 1000000000);
        ts.tv_nsec = static_cast<long>(left % 1000000000);
        r = semtimedop(semid_, &op, 1, &ts);
      }
    }
    if (r == 0) {
      held_.store(true, std::memory_order_release);
      return Outcome::kGranted;
    }
    if (errno == EINTR) continue;  // re-checks the state, recomputes the remaining time
    if (errno == EAGAIN) return Outcome::kTimedOut;
    SetSemError(&error, errno, call, key_);
    return Outcome::kFailed;
  }
}

void PermitWait::ReleaseGrant() {
  if (!TakeGrant()) return;
  SysError ignored;
  PermitGive(semid_, key_, n_, &ignored);
}

#else  // !__linux__

int OpenPermitSet(int key, uint32_t, int, int, int*, SysError* err) {
  err->Set(ENOTSUP, "semget", nullptr,
           "System V semaphores are only supported on Linux (key " + SemKeyHex(key) + ")");
  return -1;
}

TryResult PermitTryTake(int, int, int, SysError* err) {
  err->Set(ENOTSUP, "semop");
  return TryResult::kError;
}

bool PermitGive(int, int, int, SysError* err) {
  err->Set(ENOTSUP, "semop");
  return false;
}

int PermitSetIntact(int, int, int, SysError* err) {
  err->Set(ENOTSUP, "semctl");
  return -1;
}

Outcome PermitWait::Block() {
  error.Set(ENOTSUP, "semop");
  return Outcome::kFailed;
}

void PermitWait::ReleaseGrant() { TakeGrant(); }

#endif

PermitWait::PermitWait(uint64_t id, double timeout_ms, std::shared_ptr<Sink> sink, int semid,
                       int key, int n)
    : Wait(id, timeout_ms, std::move(sink)), semid_(semid), key_(key), n_(n) {}

PermitWait::~PermitWait() { ReleaseGrant(); }

}  // namespace lockwright
