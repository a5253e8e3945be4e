#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "sys_error.h"
#include "waiter.h"

namespace lockwright {

// open(O_RDWR|O_NOFOLLOW|O_CLOEXEC), creating the file (O_EXCL) when missing with exactly
// `mode` (fchmod after create: the umask does not apply); must be a regular file.
int OpenLockFile(const std::string& path, int mode, SysError* err);

// LOCK_UN before close, so that releasing never depends on who else shares the
// open file description (a child forked without exec, for instance).
void UnlockAndClose(int fd);

// flock(LOCK_NB). After a grant, checks that `path` still names the locked inode; if
// the file was deleted or replaced, reopens *fd and tries again (bounded).
TryResult TryFlock(int* fd, const std::string& path, int mode, bool shared, SysError* err);

// A blocking flock on a private open file description, opened by the waiter thread:
// a late grant can only ever lock this wait's own descriptor.
class FlockWait : public Wait {
 public:
  FlockWait(uint64_t id, double timeout_ms, std::shared_ptr<Sink> sink, std::string path,
            int mode, bool shared);
  ~FlockWait() override;

  Outcome Block() override;
  void ReleaseGrant() override;
  bool NeedsKickerDeadline() const override { return true; }

  // The JS thread adopts the granted descriptor; -1 when there is none.
  int TakeFd() { return fd_.exchange(-1, std::memory_order_acq_rel); }
  bool shared() const { return shared_; }

 private:
  const std::string path_;
  const int mode_;
  const bool shared_;
  // The granted descriptor, owned by the wait until the handle adopts it.
  std::atomic<int> fd_{-1};
};

}  // namespace lockwright
