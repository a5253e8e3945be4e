#include "permit_handle.h"

#include <cerrno>
#include <string>

#include "args.h"
#include "errors.h"
#include "sem_permit_ops.h"

namespace lockwright {

Napi::Function PermitHandle::Define(Napi::Env env) {
  return DefineClass(env, "PermitHandle",
                     {
                         InstanceAccessor("key", &PermitHandle::GetKey, nullptr),
                         InstanceAccessor("limit", &PermitHandle::GetLimit, nullptr),
                         InstanceAccessor("held", &PermitHandle::GetHeld, nullptr),
                         InstanceMethod("tryTake", &PermitHandle::TryTake),
                         InstanceMethod("wait", &PermitHandle::StartWait),
                         InstanceMethod("verify", &PermitHandle::Verify),
                         InstanceMethod("give", &PermitHandle::Give),
                         InstanceMethod("close", &PermitHandle::Close),
                     });
}

Napi::Value PermitHandle::Open(const Napi::CallbackInfo& info, Instance* instance) {
  Napi::Env env = info.Env();
  int64_t key = 0;
  int64_t fingerprint = 0;
  int64_t limit = 0;
  int mode = 0;
  if (!ArgSemaphoreSet(info, &key, &fingerprint) ||
      !ArgInteger(info, 2, 1, kMaxPermits, "limit must be an integer between 1 and 32767",
                  &limit) ||
      !ArgMode(info, 3, &mode)) {
    return Napi::Value();
  }
  SysError err;
  int kernel_limit = 0;
  const int semid = OpenPermitSet(static_cast<int>(key), static_cast<uint32_t>(fingerprint),
                                  static_cast<int>(limit), mode, &kernel_limit, &err);
  if (semid < 0) {
    ThrowSysError(env, err);
    return Napi::Value();
  }
  Napi::Object obj = instance->permit_ctor.New({ConstructToken(env)});
  if (env.IsExceptionPending()) return Napi::Value();
  PermitHandle* handle = Unwrap(obj);
  handle->instance_ = instance;
  handle->key_ = static_cast<int>(key);
  handle->semid_ = semid;
  handle->limit_ = kernel_limit;
  handle->closed_ = false;
  instance->AddHandle(handle);
  return obj;
}

PermitHandle::PermitHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PermitHandle>(info) {
  HasConstructToken(info);
}

PermitHandle::~PermitHandle() {
  if (closed_ || instance_ == nullptr) return;
  instance_->RemoveHandle(this);
  // Garbage collection never gives permits back: they are given back at env teardown.
  if (held_ > 0 && !instance_->torn_down()) instance_->KeepOrphanPermits(semid_, key_, held_);
}

void PermitHandle::Teardown() {
  if (closed_) return;
  closed_ = true;
  if (held_ > 0) {
    SysError ignored;
    PermitGive(semid_, key_, held_, &ignored);
    held_ = 0;
  }
}

bool PermitHandle::CheckOpen(Napi::Env env) {
  if (!closed_) return true;
  ThrowSysError(env, EBADF, "semop");
  return false;
}

bool PermitHandle::ArgCount(const Napi::CallbackInfo& info, int* out) {
  int64_t n = 0;
  if (!ArgInteger(info, 0, 1, limit_, "count must be an integer between 1 and the limit", &n)) {
    return false;
  }
  *out = static_cast<int>(n);
  return true;
}

Napi::Value PermitHandle::GetKey(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), key_);
}

Napi::Value PermitHandle::GetLimit(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), limit_);
}

Napi::Value PermitHandle::GetHeld(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), held_);
}

Napi::Value PermitHandle::TryTake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = 0;
  if (!CheckOpen(env) || !ArgCount(info, &n)) return Napi::Value();
  if (held_ > 0 || waiting_) {
    ThrowMisuse(env, "semop", nullptr,
                held_ > 0 ? "tryTake() needs a handle that holds nothing (one hold per handle)"
                          : "a wait is already in progress on this handle");
    return Napi::Value();
  }
  SysError err;
  switch (PermitTryTake(semid_, key_, n, &err)) {
    case TryResult::kGranted:
      held_ = n;
      return Napi::Boolean::New(env, true);
    case TryResult::kBusy:
      return Napi::Boolean::New(env, false);
    case TryResult::kError:
    default:
      ThrowSysError(env, err);
      return Napi::Value();
  }
}

Napi::Value PermitHandle::StartWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int n = 0;
  double timeout_ms = -1;
  Napi::Function callback;
  if (!CheckOpen(env) || !ArgCount(info, &n) || !ArgTimeout(info, 1, &timeout_ms) ||
      !ArgFunction(info, 2, "callback", &callback)) {
    return Napi::Value();
  }
  if (held_ > 0 || waiting_) {
    ThrowMisuse(env, "semop", nullptr,
                held_ > 0 ? "wait() needs a handle that holds nothing (one hold per handle)"
                          : "a wait is already in progress on this handle");
    return Napi::Value();
  }
  auto wait = std::make_shared<PermitWait>(instance_->NextWaitId(), timeout_ms,
                                           instance_->hub(), semid_, key_, n);
  Napi::Value result = instance_->BeginWait(env, wait, callback, Value(), this);
  if (!result.IsEmpty()) waiting_ = true;
  return result;
}

void PermitHandle::Settle(Napi::Env env, Wait& wait, Napi::Value* error, bool* granted) {
  waiting_ = false;
  auto& permit_wait = static_cast<PermitWait&>(wait);
  switch (wait.state()) {
    case kGranted:
      if (closed_) {
        permit_wait.ReleaseGrant();
        *error = MakeSysError(env, EBADF, "semop").Value();
        return;
      }
      if (held_ > 0) {
        permit_wait.ReleaseGrant();  // never count two holds on one handle
      } else if (permit_wait.TakeGrant()) {
        held_ = permit_wait.count();
      }
      *granted = held_ > 0;
      return;
    case kFailed:
      *error = MakeSysError(env, wait.error).Value();
      return;
    case kTimedOut:
    case kCancelled:
    default:
      // The waiter thread gave back a grant that raced the timeout or cancellation
      // before delivering; this is only a safety net.
      wait.ReleaseGrant();
      return;
  }
}

Napi::Value PermitHandle::Verify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return Napi::Value();
  if (held_ == 0) return Napi::Boolean::New(env, false);
  SysError err;
  const int intact = PermitSetIntact(semid_, key_, limit_, &err);
  if (intact < 0) {
    ThrowSysError(env, err);
    return Napi::Value();
  }
  // Lost permits are forgotten: give()/close() must not add to a set that is gone.
  if (intact == 0) held_ = 0;
  return Napi::Boolean::New(env, intact == 1);
}

Napi::Value PermitHandle::Give(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return Napi::Value();
  if (held_ > 0) {
    const int n = held_;
    held_ = 0;
    SysError err;
    if (!PermitGive(semid_, key_, n, &err)) {
      ThrowSysError(env, err);  // EIDRM/EINVAL: the permits were already lost
      return Napi::Value();
    }
  }
  return env.Undefined();
}

Napi::Value PermitHandle::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return env.Undefined();
  closed_ = true;
  instance_->RemoveHandle(this);
  if (held_ > 0) {
    const int n = held_;
    held_ = 0;
    SysError err;
    if (!PermitGive(semid_, key_, n, &err)) {
      ThrowSysError(env, err);
      return Napi::Value();
    }
  }
  return env.Undefined();
}

}  // namespace lockwright
