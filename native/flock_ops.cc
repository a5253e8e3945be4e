#include "flock_ops.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/magic.h>
#include <sys/vfs.h>
#endif

#include <cerrno>

namespace lockwright {
namespace {

// Replacing the file faster than we can lock it for this long is an attack or a bug.
constexpr int kMaxReopen = 64;

std::atomic<uint64_t> path_checks{0};

// The wall clock the kernel stamps ctime with (Linux: the coarse realtime clock, read
// without a syscall); zero where the fast check is off.
struct timespec CoarseNow() {
  struct timespec now {};
#ifdef __linux__
  if (clock_gettime(CLOCK_REALTIME_COARSE, &now) != 0) now = {};
#endif
  return now;
}

// Filesystems known to update an inode's ctime on rename, unlink and link.
bool FastCheckFilesystem(int fd) {
#ifdef __linux__
  struct statfs fs;
  if (fstatfs(fd, &fs) != 0) return false;
  switch (static_cast<unsigned long>(fs.f_type)) {
    case EXT4_SUPER_MAGIC:  // also ext2 and ext3
    case TMPFS_MAGIC:
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
      return true;
    default:
      return false;
  }
#else
  (void)fd;
  return false;
#endif
}

// `st` describes the inode the path named no earlier than `now` (read before `st`).
void Confirm(InodeStamp* stamp, const struct stat& st, const struct timespec& now) {
  stamp->dev = st.st_dev;
  stamp->ino = st.st_ino;
#ifdef __linux__
  stamp->ctime_sec = st.st_ctim.tv_sec;
  stamp->ctime_nsec = st.st_ctim.tv_nsec;
  // A change after `now` gets a ctime of `now` or later (the same clock; a fine-grained
  // ctime is later still); a change before it is in this stamp. So a ctime before `now`
  // can never be matched by a later change, as long as the filesystem keeps timestamps
  // finely enough to tell them apart: a ctime with nanoseconds says it keeps them to the
  // nanosecond (ext4 with large inodes, tmpfs, xfs, btrfs); one without may be whole
  // seconds (ext4 with 128-byte inodes), and must then be from an earlier second.
  const bool earlier = stamp->ctime_nsec != 0
                           ? (stamp->ctime_sec < now.tv_sec ||
                              (stamp->ctime_sec == now.tv_sec && stamp->ctime_nsec < now.tv_nsec))
                           : stamp->ctime_sec < now.tv_sec;
  stamp->trusted = stamp->fast && earlier;
#else
  (void)now;
  stamp->trusted = false;
#endif
}

bool Unchanged(const InodeStamp& stamp, const struct stat& st) {
#ifdef __linux__
  return stamp.trusted && st.st_dev == stamp.dev && st.st_ino == stamp.ino &&
         st.st_ctim.tv_sec == stamp.ctime_sec && st.st_ctim.tv_nsec == stamp.ctime_nsec;
#else
  (void)stamp;
  (void)st;
  return false;
#endif
}

// 1: path still names fd's inode; 0: deleted or replaced; -1: error in *err.
int StillNamesInode(int fd, const std::string& path, InodeStamp* stamp, SysError* err) {
  const struct timespec now = CoarseNow();  // before the fstat: see Confirm()
  struct stat held;
  if (fstat(fd, &held) != 0) {
    err->Set(errno, "fstat", &path);
    return -1;
  }
  if (held.st_nlink == 0) return 0;
  if (Unchanged(*stamp, held)) return 1;
  path_checks.fetch_add(1, std::memory_order_relaxed);
  struct stat named;
  if (lstat(path.c_str(), &named) != 0) {
    if (errno == ENOENT) return 0;
    err->Set(errno, "lstat", &path);
    return -1;
  }
  if (held.st_dev != named.st_dev || held.st_ino != named.st_ino) return 0;
  Confirm(stamp, held, now);
  return 1;
}

}  // namespace

uint64_t PathChecks() { return path_checks.load(std::memory_order_relaxed); }

int OpenLockFile(const std::string& path, int mode, SysError* err, InodeStamp* stamp) {
  const struct timespec now = CoarseNow();  // before the lookup: see Confirm()
  constexpr int kFlags = O_RDWR | O_NOFOLLOW | O_CLOEXEC;
  int fd = -1;
  bool created = false;
  // Open an existing file first, else create it exclusively, so that we know whether
  // this call created it: only then do we set its mode (below).
  for (int attempt = 0; fd < 0; ++attempt) {
    fd = open(path.c_str(), kFlags);
    if (fd >= 0 || errno == EINTR) continue;
    if (errno != ENOENT || attempt >= kMaxReopen) {
      err->Set(errno, "open", &path);
      return -1;
    }
    fd = open(path.c_str(), kFlags | O_CREAT | O_EXCL, static_cast<mode_t>(mode));
    if (fd >= 0) {
      created = true;
    } else if (errno != EEXIST && errno != EINTR) {
      err->Set(errno, "open", &path);
      return -1;
    }
    // EEXIST: another process created it between our two opens; open that one.
  }
  // open() applies the umask: `mode: 0o660` under umask 022 would give 0640 and lock
  // the group out. fchmod sets exactly the mode asked for, on the file we created (by
  // descriptor: no path race). A file someone else created keeps its mode: they chose
  // it (or an admin did), and changing another user's file would fail anyway.
  if (created && fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    err->Set(errno, "fchmod", &path);
    close(fd);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    err->Set(errno, "fstat", &path);
    close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    err->Set(EINVAL, "open", &path, "not a regular file, open '" + path + "'");
    close(fd);
    return -1;
  }
  stamp->fast = FastCheckFilesystem(fd);
  Confirm(stamp, st, now);
  return fd;
}

void UnlockAndClose(int fd) {
  if (fd < 0) return;
  flock(fd, LOCK_UN);
  close(fd);
}

TryResult TryFlock(int* fd, const std::string& path, int mode, bool shared, InodeStamp* stamp,
                   SysError* err) {
  const int op = (shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
  for (int attempt = 0; attempt < kMaxReopen; ++attempt) {
    int r;
    do {
      r = flock(*fd, op);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
      if (errno == EWOULDBLOCK || errno == EAGAIN) return TryResult::kBusy;
      err->Set(errno, "flock", &path);
      return TryResult::kError;
    }
    const int same = StillNamesInode(*fd, path, stamp, err);
    if (same == 1) return TryResult::kGranted;
    // A lock on an inode nobody can reach by name excludes no one: drop it.
    flock(*fd, LOCK_UN);
    if (same < 0) return TryResult::kError;
    const int fresh = OpenLockFile(path, mode, err, stamp);
    if (fresh < 0) return TryResult::kError;
    close(*fd);
    *fd = fresh;
  }
  err->Set(EAGAIN, "flock", &path,
           "lock file keeps being replaced while locking, flock '" + path + "'");
  return TryResult::kError;
}

FlockWait::FlockWait(uint64_t id, double timeout_ms, std::shared_ptr<Sink> sink,
                     std::string path, int mode, bool shared, int fd, const InodeStamp& stamp)
    : Wait(id, timeout_ms, std::move(sink)), path_(std::move(path)), mode_(mode),
      shared_(shared), stamp_(stamp), start_fd_(fd) {}

FlockWait::~FlockWait() {
  ReleaseGrant();
  UnlockAndClose(TakeStartFd());
  UnlockAndClose(TakeReturnedFd());
}

void FlockWait::ReleaseGrant() { UnlockAndClose(TakeFd()); }

Outcome FlockWait::Block() {
  const int op = shared_ ? LOCK_SH : LOCK_EX;
  // Only this thread touches `fd` until it holds a grant: a timeout delivered early
  // (abandon mode) or a teardown may call ReleaseGrant() meanwhile, and must never
  // close a descriptor this thread is still blocked on.
  int fd = TakeStartFd();
  int reopened = 0;
  for (;;) {
    if (state() != kPending) {
      // Here fd never holds a lock (fresh, or back from an interrupted flock): the
      // handle may use it again.
      returned_fd_.store(fd, std::memory_order_release);
      return Outcome::kStopped;
    }
    if (fd < 0) {
      fd = OpenLockFile(path_, mode_, &error, &stamp_);
      if (fd < 0) return Outcome::kFailed;
    }
    if (flock(fd, op) != 0) {
      if (errno == EINTR) continue;  // the loop head decides: cancelled, timed out, or retry
      error.Set(errno, "flock", &path_);
      UnlockAndClose(fd);
      return Outcome::kFailed;
    }
    // The descriptor may have waited long: the stamp from its open tells whether the
    // file was renamed or unlinked meanwhile.
    const int same = StillNamesInode(fd, path_, &stamp_, &error);
    if (same == 1) {
      fd_.store(fd, std::memory_order_release);
      return Outcome::kGranted;
    }
    UnlockAndClose(fd);
    fd = -1;
    if (same < 0) return Outcome::kFailed;
    if (++reopened > kMaxReopen) {
      error.Set(EAGAIN, "flock", &path_,
                "lock file keeps being replaced while locking, flock '" + path_ + "'");
      return Outcome::kFailed;
    }
  }
}

}  // namespace lockwright
