#include "semaphore_handle.h"

#include <cerrno>

#include "args.h"
#include "errors.h"
#include "sem_ops.h"

namespace lockwright {

Napi::Function SemaphoreHandle::Define(Napi::Env env) {
  return DefineClass(env, "SemaphoreHandle",
                     {
                         InstanceAccessor("key", &SemaphoreHandle::GetKey, nullptr),
                         InstanceAccessor("locked", &SemaphoreHandle::GetLocked, nullptr),
                         InstanceMethod("tryLock", &SemaphoreHandle::TryLock),
                         InstanceMethod("verify", &SemaphoreHandle::Verify),
                         InstanceMethod("wait", &SemaphoreHandle::StartWait),
                         InstanceMethod("unlock", &SemaphoreHandle::Unlock),
                         InstanceMethod("close", &SemaphoreHandle::Close),
                     });
}

Napi::Value SemaphoreHandle::Open(const Napi::CallbackInfo& info, Instance* instance) {
  Napi::Env env = info.Env();
  int64_t key = 0;
  int64_t fingerprint = 0;
  int mode = 0;
  if (!ArgSemaphoreSet(info, &key, &fingerprint) || !ArgMode(info, 2, &mode)) {
    return Napi::Value();
  }
  SysError err;
  const int semid = OpenSemaphoreSet(static_cast<int>(key), static_cast<uint32_t>(fingerprint),
                                     mode, &err);
  if (semid < 0) {
    ThrowSysError(env, err);
    return Napi::Value();
  }
  Napi::Object obj = instance->sem_ctor.New({ConstructToken(env)});
  if (env.IsExceptionPending()) return Napi::Value();
  SemaphoreHandle* handle = Unwrap(obj);
  handle->instance_ = instance;
  handle->key_ = static_cast<int>(key);
  handle->semid_ = semid;
  handle->closed_ = false;
  instance->AddHandle(handle);
  return obj;
}

SemaphoreHandle::SemaphoreHandle(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<SemaphoreHandle>(info) {
  HasConstructToken(info);
}

SemaphoreHandle::~SemaphoreHandle() {
  if (closed_ || instance_ == nullptr) return;
  instance_->RemoveHandle(this);
  // Garbage collection never releases a lock: the hold is given back at env teardown.
  if (locked_ && !instance_->torn_down()) instance_->KeepOrphanSem(semid_, key_);
}

void SemaphoreHandle::Teardown() {
  if (closed_) return;
  closed_ = true;
  if (locked_) {
    locked_ = false;
    SysError ignored;
    SemRelease(semid_, key_, &ignored);
  }
}

bool SemaphoreHandle::CheckOpen(Napi::Env env) {
  if (!closed_) return true;
  ThrowSysError(env, EBADF, "semop");
  return false;
}

Napi::Value SemaphoreHandle::GetKey(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), key_);
}

Napi::Value SemaphoreHandle::GetLocked(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), locked_);
}

Napi::Value SemaphoreHandle::Verify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return Napi::Value();
  if (!locked_) return Napi::Boolean::New(env, false);
  SysError err;
  const int intact = SemHoldIntact(semid_, key_, &err);
  if (intact < 0) {
    ThrowSysError(env, err);
    return Napi::Value();
  }
  // A lost hold is forgotten: unlock()/close() must not decrement a set that is gone or
  // a value someone else now owns.
  if (intact == 0) locked_ = false;
  return Napi::Boolean::New(env, intact == 1);
}

Napi::Value SemaphoreHandle::TryLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return Napi::Value();
  if (locked_) return Napi::Boolean::New(env, true);  // one hold per handle
  SysError err;
  switch (SemTryLock(semid_, key_, &err)) {
    case TryResult::kGranted:
      locked_ = true;
      return Napi::Boolean::New(env, true);
    case TryResult::kBusy:
      return Napi::Boolean::New(env, false);
    case TryResult::kError:
    default:
      ThrowSysError(env, err);
      return Napi::Value();
  }
}

Napi::Value SemaphoreHandle::StartWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double timeout_ms = -1;
  Napi::Function callback;
  if (!ArgTimeout(info, 0, &timeout_ms) || !ArgFunction(info, 1, "callback", &callback) ||
      !CheckOpen(env)) {
    return Napi::Value();
  }
  if (locked_ || waiting_) {
    ThrowMisuse(env, "semop", nullptr,
                locked_ ? "wait() needs a handle that holds nothing (it is locked)"
                        : "a wait is already in progress on this handle");
    return Napi::Value();
  }
  auto wait = std::make_shared<SemWait>(instance_->NextWaitId(), timeout_ms, instance_->hub(),
                                        semid_, key_);
  Napi::Value result = instance_->BeginWait(env, wait, callback, Value(), this);
  if (!result.IsEmpty()) waiting_ = true;
  return result;
}

void SemaphoreHandle::Settle(Napi::Env env, Wait& wait, Napi::Value* error, bool* granted) {
  waiting_ = false;
  auto& sem_wait = static_cast<SemWait&>(wait);
  switch (wait.state()) {
    case kGranted:
      if (closed_) {
        sem_wait.ReleaseGrant();
        *error = MakeSysError(env, EBADF, "semop").Value();
        return;
      }
      // Already locked cannot happen (the mutex admits one holder), but never count
      // one handle's hold twice.
      if (locked_) {
        sem_wait.ReleaseGrant();
      } else {
        locked_ = sem_wait.TakeGrant();
      }
      *granted = locked_;
      return;
    case kFailed:
      *error = MakeSysError(env, wait.error).Value();
      return;
    case kTimedOut:
    case kCancelled:
    default:
      // The waiter thread has returned from the kernel and given back a grant that raced
      // the timeout or cancellation before delivering; this is only a safety net.
      wait.ReleaseGrant();
      return;
  }
}

Napi::Value SemaphoreHandle::Unlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return Napi::Value();
  if (locked_) {
    locked_ = false;
    SysError err;
    if (!SemRelease(semid_, key_, &err)) {
      ThrowSysError(env, err);  // EIDRM/EINVAL: the lock was already lost
      return Napi::Value();
    }
  }
  return env.Undefined();
}

Napi::Value SemaphoreHandle::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return env.Undefined();
  closed_ = true;
  instance_->RemoveHandle(this);
  if (locked_) {
    locked_ = false;
    SysError err;
    if (!SemRelease(semid_, key_, &err)) {
      ThrowSysError(env, err);
      return Napi::Value();
    }
  }
  return env.Undefined();
}

}  // namespace lockwright
