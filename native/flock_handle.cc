#include "flock_handle.h"

#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "args.h"
#include "errors.h"
#include "flock_ops.h"

namespace lockwright {
namespace {

bool Absolute(const std::string& path, std::string* out, SysError* err) {
  if (!path.empty() && path[0] == '/') {
    *out = path;
    return true;
  }
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof(buf)) == nullptr) {
    err->Set(errno, "getcwd", &path);
    return false;
  }
  *out = std::string(buf) + "/" + path;
  return true;
}

}  // namespace

Napi::Function FlockHandle::Define(Napi::Env env) {
  return DefineClass(env, "FlockHandle",
                     {
                         InstanceAccessor("path", &FlockHandle::GetPath, nullptr),
                         InstanceAccessor("state", &FlockHandle::GetState, nullptr),
                         InstanceMethod("tryLock", &FlockHandle::TryLock),
                         InstanceMethod("wait", &FlockHandle::StartWait),
                         InstanceMethod("unlock", &FlockHandle::Unlock),
                         InstanceMethod("close", &FlockHandle::Close),
                     });
}

Napi::Value FlockHandle::Open(const Napi::CallbackInfo& info, Instance* instance) {
  Napi::Env env = info.Env();
  std::string path;
  int mode = 0;
  if (!ArgString(info, 0, "path", &path) || !ArgMode(info, 1, &mode)) return Napi::Value();
  SysError err;
  std::string abs_path;
  if (!Absolute(path, &abs_path, &err)) {
    ThrowSysError(env, err);
    return Napi::Value();
  }
  InodeStamp stamp;
  const int fd = OpenLockFile(abs_path, mode, &err, &stamp);
  if (fd < 0) {
    ThrowSysError(env, err);
    return Napi::Value();
  }
  Napi::Object obj = instance->flock_ctor.New({ConstructToken(env)});
  if (env.IsExceptionPending()) {
    close(fd);
    return Napi::Value();
  }
  FlockHandle* handle = Unwrap(obj);
  handle->instance_ = instance;
  handle->path_ = std::move(path);
  handle->abs_path_ = std::move(abs_path);
  handle->mode_ = mode;
  handle->fd_ = fd;
  handle->stamp_ = stamp;
  handle->closed_ = false;
  instance->AddHandle(handle);
  return obj;
}

FlockHandle::FlockHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FlockHandle>(info) {
  HasConstructToken(info);
}

FlockHandle::~FlockHandle() {
  if (closed_ || instance_ == nullptr) return;
  instance_->RemoveHandle(this);
  // Garbage collection never releases a lock: a held descriptor stays open (and
  // locked) until the env goes away.
  if (held_ != Held::kNone && !instance_->torn_down()) {
    instance_->KeepOrphanFd(fd_);
  } else {
    UnlockAndClose(fd_);
  }
}

void FlockHandle::Teardown() {
  if (closed_) return;
  UnlockAndClose(fd_);
  fd_ = -1;
  held_ = Held::kNone;
  closed_ = true;
}

bool FlockHandle::CheckOpen(Napi::Env env, const char* syscall) {
  if (!closed_) return true;
  ThrowSysError(env, EBADF, syscall, &abs_path_);
  return false;
}

bool FlockHandle::EnsureFd(Napi::Env env) {
  if (fd_ >= 0) return true;
  SysError err;
  fd_ = OpenLockFile(abs_path_, mode_, &err, &stamp_);
  if (fd_ >= 0) return true;
  ThrowSysError(env, err);
  return false;
}

Napi::Value FlockHandle::GetPath(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), path_);
}

Napi::Value FlockHandle::GetState(const Napi::CallbackInfo& info) {
  switch (held_) {
    case Held::kShared:
      return Napi::String::New(info.Env(), "shared");
    case Held::kExclusive:
      return Napi::String::New(info.Env(), "exclusive");
    default:
      return Napi::String::New(info.Env(), "none");
  }
}

Napi::Value FlockHandle::TryLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool shared = false;
  if (!ArgBool(info, 0, "shared", &shared) || !CheckOpen(env, "flock")) return Napi::Value();
  if (waiting_) {
    // The wait has this handle's descriptor: a lock taken beside it would be lost.
    ThrowMisuse(env, "flock", &abs_path_, "a wait is in progress on this handle");
    return Napi::Value();
  }
  if (!EnsureFd(env)) return Napi::Value();
  SysError err;
  switch (TryFlock(&fd_, abs_path_, mode_, shared, &stamp_, &err)) {
    case TryResult::kGranted:
      held_ = shared ? Held::kShared : Held::kExclusive;
      return Napi::Boolean::New(env, true);
    case TryResult::kBusy:
      // A refused conversion has already dropped the old lock (flock(2) removes it
      // before trying the new mode).
      held_ = Held::kNone;
      return Napi::Boolean::New(env, false);
    case TryResult::kError:
    default:
      // Unknown kernel state after a failed call: make it a known "none".
      flock(fd_, LOCK_UN);
      held_ = Held::kNone;
      ThrowSysError(env, err);
      return Napi::Value();
  }
}

Napi::Value FlockHandle::StartWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool shared = false;
  double timeout_ms = -1;
  Napi::Function callback;
  if (!ArgBool(info, 0, "shared", &shared) || !ArgTimeout(info, 1, &timeout_ms) ||
      !ArgFunction(info, 2, "callback", &callback) || !CheckOpen(env, "flock")) {
    return Napi::Value();
  }
  if (held_ != Held::kNone || waiting_) {
    ThrowMisuse(env, "flock", &abs_path_,
                waiting_ ? "a wait is already in progress on this handle"
                         : std::string("wait() needs a handle that holds nothing (it holds a ") +
                               (held_ == Held::kShared ? "shared" : "exclusive") + " lock)");
    return Napi::Value();
  }
  // The wait takes this handle's idle descriptor (it holds nothing) for its own.
  auto wait = std::make_shared<FlockWait>(instance_->NextWaitId(), timeout_ms, instance_->hub(),
                                          abs_path_, mode_, shared, fd_, stamp_);
  Napi::Value result = instance_->BeginWait(env, wait, callback, Value(), this);
  if (result.IsEmpty()) {
    wait->TakeStartFd();  // never started: the descriptor stays this handle's
    return result;
  }
  fd_ = -1;
  waiting_ = true;
  return result;
}

void FlockHandle::Settle(Napi::Env env, Wait& wait, Napi::Value* error, bool* granted) {
  waiting_ = false;
  auto& flock_wait = static_cast<FlockWait&>(wait);
  switch (wait.state()) {
    case kGranted: {
      const int fd = flock_wait.TakeFd();
      if (closed_ || fd < 0) {
        UnlockAndClose(fd);
        *error = MakeSysError(env, EBADF, "flock", &abs_path_).Value();
        return;
      }
      // The wait had this handle's descriptor (fd_ is -1 meanwhile, and tryLock refused).
      UnlockAndClose(fd_);
      fd_ = fd;
      stamp_ = flock_wait.stamp();
      held_ = flock_wait.shared() ? Held::kShared : Held::kExclusive;
      *granted = true;
      return;
    }
    case kFailed:
      *error = MakeSysError(env, wait.error).Value();
      return;
    case kTimedOut:
    case kCancelled:
    default: {
      // The thread let go of the descriptor without a lock: this handle's again (else it
      // reopens on its next call).
      const int fd = flock_wait.TakeReturnedFd();
      if (closed_ || fd_ >= 0) {
        UnlockAndClose(fd);
      } else {
        fd_ = fd;
      }
      // The waiter thread has returned from the kernel and given back a grant that raced
      // the timeout or cancellation before delivering; this is only a safety net.
      wait.ReleaseGrant();
      return;
    }
  }
}

Napi::Value FlockHandle::Unlock(const Napi::CallbackInfo& info) {
  if (!CheckOpen(info.Env(), "flock")) return Napi::Value();
  if (held_ != Held::kNone) {
    flock(fd_, LOCK_UN);
    held_ = Held::kNone;
  }
  return info.Env().Undefined();
}

Napi::Value FlockHandle::Close(const Napi::CallbackInfo& info) {
  if (!closed_) {
    UnlockAndClose(fd_);
    fd_ = -1;
    held_ = Held::kNone;
    closed_ = true;
    instance_->RemoveHandle(this);
  }
  return info.Env().Undefined();
}

}  // namespace lockwright
