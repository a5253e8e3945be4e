#pragma once

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "sys_error.h"
#include "waiter.h"

namespace lockwright {

// What was last confirmed about the inode a descriptor locks: that its path named it,
// and the inode's status-change time (ctime) then. Unlinking, renaming or linking the
// file changes its ctime (and unlinking its link count), so while the ctime and link
// count stay as stamped, the path still names the inode and the grant needs no path
// lookup (measured: the lstat was about half of a try+unlock pair; the fstat that
// replaces it costs a third of that). Only where this is known to hold: Linux, on
// filesystems that update ctime on rename (ext2/3/4, tmpfs, xfs, btrfs), and only for a
// ctime older than the confirmation by more than the filesystem's timestamp granularity,
// so that no later change can carry the same ctime (flock_ops.cc, Confirm()). Elsewhere
// (`fast` false) every grant looks the path up, as it always did.
struct InodeStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t ctime_sec = 0;
  int64_t ctime_nsec = 0;
  bool fast = false;     // the filesystem qualifies (decided at open)
  bool trusted = false;  // the ctime above may stand in for a path lookup
};

// open(O_RDWR|O_NOFOLLOW|O_CLOEXEC), creating the file (O_EXCL) when missing with exactly
// `mode` (fchmod after create: the umask does not apply); must be a regular file.
// Fills *stamp (the open's own lookup is the confirmation).
int OpenLockFile(const std::string& path, int mode, SysError* err, InodeStamp* stamp);

// Path lookups made to confirm a grant since the addon loaded (for tests and benchmarks:
// the fast check should make them rare).
uint64_t PathChecks();

// LOCK_UN before close, so that releasing never depends on who else shares the
// open file description (a child forked without exec, for instance).
void UnlockAndClose(int fd);

// flock(LOCK_NB). After a grant, checks that `path` still names the locked inode (by
// *stamp when it can, else by a path lookup); if the file was deleted or replaced,
// reopens *fd (and restamps) and tries again (bounded).
TryResult TryFlock(int* fd, const std::string& path, int mode, bool shared, InodeStamp* stamp,
                   SysError* err);

// A blocking flock on an open file description that belongs to the wait alone: the
// handle's idle descriptor, handed over at the start (or one the waiter thread opens),
// so a late grant can only ever lock this wait's own descriptor. Handing it over spares
// every contended wait an open + fstat + fstatfs, and the close of the replaced one.
class FlockWait : public Wait {
 public:
  // `fd` (-1 for none) holds nothing and becomes the wait's; `stamp` describes it.
  FlockWait(uint64_t id, double timeout_ms, std::shared_ptr<Sink> sink, std::string path,
            int mode, bool shared, int fd, const InodeStamp& stamp);
  ~FlockWait() override;

  // The descriptor handed over at the start, back to the handle when the wait never
  // started (-1 once the waiter thread has it).
  int TakeStartFd() { return start_fd_.exchange(-1, std::memory_order_acq_rel); }
  // Ended without a grant: the descriptor the thread let go of, unlocked (it came back
  // from the kernel without a lock), -1 when it closed it. JS thread, after delivery.
  int TakeReturnedFd() { return returned_fd_.exchange(-1, std::memory_order_acq_rel); }

  Outcome Block() override;
  void ReleaseGrant() override;
  bool NeedsKickerDeadline() const override { return true; }

  // The JS thread adopts the granted descriptor; -1 when there is none.
  int TakeFd() { return fd_.exchange(-1, std::memory_order_acq_rel); }
  // What was confirmed about the granted descriptor's inode (read after TakeFd()).
  const InodeStamp& stamp() const { return stamp_; }
  bool shared() const { return shared_; }

 private:
  const std::string path_;
  const int mode_;
  const bool shared_;
  // Written by the waiter thread before it publishes fd_.
  InodeStamp stamp_;
  // The granted descriptor, owned by the wait until the handle adopts it.
  std::atomic<int> fd_{-1};
  std::atomic<int> start_fd_{-1};
  std::atomic<int> returned_fd_{-1};
};

}  // namespace lockwright
