#include "sem_ops.h"

#include <cerrno>
#include <cstdio>
#include <string>

#if defined(__linux__)
#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>
#endif

namespace lockwright {

std::string SemKeyHex(int key) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", static_cast<unsigned>(key));
  return buf;
}

std::string SemModeOctal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0%03o", mode & 0777u);
  return buf;
}

void SetSemError(SysError* err, int e, const char* call, int key) {
  if (e == EIDRM || e == EINVAL) {
    err->Set(e, call, nullptr,
             "System V semaphore set of key " + SemKeyHex(key) + " was removed (what it held is lost), " +
                 call);
  } else {
    err->Set(e, call);
  }
}

#if defined(__linux__)

const bool kHaveSemaphores = true;

namespace {

constexpr int kInitPollUs = 200;
constexpr int64_t kInitWaitNs = 50 * 1000000LL;

}  // namespace

int CheckSetOwnership(int semid, int key, int nsems, int mode, SysError* err) {
  const std::string k = SemKeyHex(key);
  struct semid_ds ds;
  SemUn arg;
  arg.buf = &ds;
  if (semctl(semid, 0, IPC_STAT, arg) != 0) {
    if (errno == EIDRM || errno == EINVAL) return 0;
    if (errno == EACCES) {
      err->Set(EACCES, "semctl", nullptr,
               "System V semaphore key " + k + " belongs to another user (IPC_STAT denied)");
    } else {
      err->Set(errno, "semctl");
    }
    return -1;
  }
  if (ds.sem_nsems != static_cast<unsigned long>(nsems)) {
    err->Set(EEXIST, "semget", nullptr,
             "System V semaphore key " + k + " is used by another set (" +
                 std::to_string(ds.sem_nsems) + " semaphores, expected " +
                 std::to_string(nsems) + ")");
    return -1;
  }
  const uid_t me = geteuid();
  const unsigned actual = ds.sem_perm.mode & 0777u;
  if (ds.sem_perm.uid != me || ds.sem_perm.cuid != me || actual != static_cast<unsigned>(mode)) {
    err->Set(EACCES, "semget", nullptr,
             "System V semaphore key " + k + " is owned by uid " +
                 std::to_string(ds.sem_perm.uid) + " (creator uid " +
                 std::to_string(ds.sem_perm.cuid) + ") with mode " + SemModeOctal(actual) +
                 ", expected uid " + std::to_string(me) + " with mode " + SemModeOctal(mode));
    return -1;
  }
  return 1;
}

namespace {

// 1: ours and usable; 0: the set vanished meanwhile (caller retries); -1: *err set.
int CheckExisting(int semid, int key, int hi, int lo, int mode, SysError* err) {
  const std::string k = SemKeyHex(key);
  const int owned = CheckSetOwnership(semid, key, 3, mode, err);
  if (owned != 1) return owned;
  const int64_t give_up = MonotonicNs() + kInitWaitNs;
  bool wrote = false;
  for (;;) {
    const int a = semctl(semid, 1, GETVAL);
    const int b = a < 0 ? -1 : semctl(semid, 2, GETVAL);
    if (a < 0 || b < 0) {
      if (errno == EIDRM || errno == EINVAL) return 0;
      err->Set(errno, "semctl");
      return -1;
    }
    if (a != 0 && b != 0) {
      if (a == hi && b == lo) return 1;
      err->Set(EEXIST, "semget", nullptr,
               "System V semaphore key " + k +
                   " is used by another set (fingerprint mismatch)");
      return -1;
    }
    if (!wrote && MonotonicNs() >= give_up) {
      // The creator died between semget and its SETVALs. Writing sems 1 and 2 is safe:
      // nobody holds undo entries on them (sem 0 is never touched).
      SemUn v;
      v.val = hi;
      if (a == 0 && semctl(semid, 1, SETVAL, v) != 0 && errno != EIDRM && errno != EINVAL) {
        err->Set(errno, "semctl");
        return -1;
      }
      v.val = lo;
      if (b == 0 && semctl(semid, 2, SETVAL, v) != 0 && errno != EIDRM && errno != EINVAL) {
        err->Set(errno, "semctl");
        return -1;
      }
      wrote = true;
      continue;
    }
    usleep(kInitPollUs);
  }
}

}  // namespace

int OpenSemaphoreSet(int key, uint32_t fingerprint, int mode, SysError* err) {
  const int hi = static_cast<int>((fingerprint >> 15) & 0x7fff);
  const int lo = static_cast<int>(fingerprint & 0x7fff);
  for (int attempt = 0; attempt < 8; ++attempt) {
    int semid = semget(key, 3, IPC_CREAT | IPC_EXCL | mode);
    if (semid >= 0) {
      // Linux zero-fills a new set, which is exactly the unlocked mutex.
      SemUn v;
      v.val = hi;
      if (semctl(semid, 1, SETVAL, v) != 0) {
        err->Set(errno, "semctl");
        return -1;
      }
      v.val = lo;
      if (semctl(semid, 2, SETVAL, v) != 0) {
        err->Set(errno, "semctl");
        return -1;
      }
      return semid;
    }
    if (errno != EEXIST) {
      err->Set(errno, "semget");
      return -1;
    }
    semid = semget(key, 0, 0);
    if (semid < 0) {
      if (errno == ENOENT) continue;  // removed between the two semget calls
      err->Set(errno, "semget");
      return -1;
    }
    const int r = CheckExisting(semid, key, hi, lo, mode, err);
    if (r == 1) return semid;
    if (r < 0) return -1;
  }
  err->Set(EAGAIN, "semget", nullptr,
           "System V semaphore key " + SemKeyHex(key) + " keeps being removed and recreated");
  return -1;
}

TryResult SemTryLock(int semid, int key, SysError* err) {
  struct sembuf ops[2] = {{0, 0, IPC_NOWAIT}, {0, 1, SEM_UNDO | IPC_NOWAIT}};
  int r;
  do {
    r = semop(semid, ops, 2);
  } while (r != 0 && errno == EINTR);
  if (r == 0) return TryResult::kGranted;
  if (errno == EAGAIN) return TryResult::kBusy;
  SetSemError(err, errno, "semop", key);
  return TryResult::kError;
}

bool SemRelease(int semid, int key, SysError* err) {
  // IPC_NOWAIT: a value already at 0 (reset behind our back) must not block the caller.
  struct sembuf op = {0, -1, SEM_UNDO | IPC_NOWAIT};
  int r;
  do {
    r = semop(semid, &op, 1);
  } while (r != 0 && errno == EINTR);
  if (r == 0) return true;
  if (errno == EAGAIN) {
    err->Set(EAGAIN, "semop", nullptr,
             "System V semaphore key " + SemKeyHex(key) + " was not held (its value was reset)");
  } else {
    SetSemError(err, errno, "semop", key);
  }
  return false;
}

int SemHoldIntact(int semid, int key, SysError* err) {
  const int value = semctl(semid, 0, GETVAL);
  const int pid = value < 0 ? -1 : semctl(semid, 0, GETPID);
  if (value < 0 || pid < 0) {
    if (errno == EIDRM || errno == EINVAL) return 0;
    SetSemError(err, errno, "semctl", key);
    return -1;
  }
  return value == 1 && pid == getpid() ? 1 : 0;
}

Outcome SemWait::Block() {
  struct sembuf ops[2] = {{0, 0, 0}, {0, 1, SEM_UNDO}};
  for (;;) {
    if (state() != kPending) return Outcome::kStopped;
    int r;
    const char* call = "semop";
    if (deadline_ns() < 0) {
      r = semop(semid_, ops, 2);
    } else {
      call = "semtimedop";
      const int64_t left = deadline_ns() - MonotonicNs();
      if (left <= 0) {
        struct sembuf last[2] = {{0, 0, IPC_NOWAIT}, {0, 1, SEM_UNDO | IPC_NOWAIT}};
        r = semop(semid_, last, 2);
      } else {
        struct timespec ts;
        ts.tv_sec = static_cast<time_t>(left / 1000000000);
        ts.tv_nsec = static_cast<long>(left % 1000000000);
        r = semtimedop(semid_, ops, 2, &ts);
      }
    }
    if (r == 0) {
      held_.store(true, std::memory_order_release);
      return Outcome::kGranted;
    }
    if (errno == EINTR) continue;  // recomputes the remaining time
    if (errno == EAGAIN) return Outcome::kTimedOut;
    SetSemError(&error, errno, call, key_);
    return Outcome::kFailed;
  }
}

void SemWait::ReleaseGrant() {
  if (!TakeGrant()) return;
  struct sembuf op = {0, -1, SEM_UNDO | IPC_NOWAIT};
  while (semop(semid_, &op, 1) != 0 && errno == EINTR) {
  }
}

#else  // !__linux__

const bool kHaveSemaphores = false;

int OpenSemaphoreSet(int key, uint32_t, int, SysError* err) {
  err->Set(ENOTSUP, "semget", nullptr,
           "System V semaphore locks are only supported on Linux (key " + SemKeyHex(key) + ")");
  return -1;
}

TryResult SemTryLock(int, int, SysError* err) {
  err->Set(ENOTSUP, "semop");
  return TryResult::kError;
}

bool SemRelease(int, int, SysError* err) {
  err->Set(ENOTSUP, "semop");
  return false;
}

int SemHoldIntact(int, int, SysError* err) {
  err->Set(ENOTSUP, "semctl");
  return -1;
}

Outcome SemWait::Block() {
  error.Set(ENOTSUP, "semop");
  return Outcome::kFailed;
}

void SemWait::ReleaseGrant() { TakeGrant(); }

#endif

SemWait::SemWait(uint64_t id, double timeout_ms, std::shared_ptr<Sink> sink, int semid, int key)
    : Wait(id, timeout_ms, std::move(sink)), semid_(semid), key_(key) {}

SemWait::~SemWait() { ReleaseGrant(); }

}  // namespace lockwright
