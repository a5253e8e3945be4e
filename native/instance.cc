#include "instance.h"

#include "errors.h"
#include "flock_ops.h"
#include "sem_ops.h"
#include "sem_permit_ops.h"

namespace lockwright {
namespace {

int g_construct_token;

}  // namespace

Napi::Value ConstructToken(Napi::Env env) {
  return Napi::External<int>::New(env, &g_construct_token);
}

bool HasConstructToken(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    ThrowTypeError(info.Env(), "Illegal constructor: handles come from openFlock/openSemaphore");
    return false;
  }
  if (info[0].As<Napi::External<int>>().Data() != &g_construct_token) {
    ThrowTypeError(info.Env(), "Illegal constructor");
    return false;
  }
  return true;
}

void Hub::Deliver(const std::shared_ptr<Wait>& wait) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (alive) {
      auto* item = new std::shared_ptr<Wait>(wait);
      if (tsfn.NonBlockingCall(item) == napi_ok) return;
      delete item;  // napi_closing: the env is going away
    }
  }
  wait->ReleaseGrant();
}

void CallJs(Napi::Env env, Napi::Function, Instance* instance, std::shared_ptr<Wait>* item) {
  std::unique_ptr<std::shared_ptr<Wait>> holder(item);
  if (item == nullptr) return;
  // env == nullptr: the TSFN is being finalized with this item still queued.
  if (env == nullptr || instance == nullptr) {
    (*item)->ReleaseGrant();
    return;
  }
  instance->Settle(env, *item);
}

Instance::Instance(Napi::Env env) : env_(env), hub_(std::make_shared<Hub>()) {
  auto* keep = new std::shared_ptr<Hub>(hub_);
  hub_->tsfn = Tsfn::New(
      env, "lockwright:wait", 0, 1, this,
      [](Napi::Env, std::shared_ptr<Hub>* hub, Instance*) {
        {
          std::lock_guard<std::mutex> lock((*hub)->mu);
          (*hub)->alive = false;
        }
        delete hub;
      },
      keep);
  hub_->tsfn.Unref(env);
  // Registered after the TSFN's own hook, so (LIFO) it runs first: no thread can
  // touch the TSFN once it is being torn down (nodejs/node#55706).
  napi_add_env_cleanup_hook(env, &Instance::OnTeardown, this);
}

Instance::~Instance() {
  if (!torn_down_) napi_remove_env_cleanup_hook(env_, &Instance::OnTeardown, this);
}

void Instance::OnTeardown(void* arg) { static_cast<Instance*>(arg)->Teardown(); }

void Instance::Teardown() {
  {
    std::lock_guard<std::mutex> lock(hub_->mu);
    hub_->alive = false;
  }
  torn_down_ = true;
  // A wait whose outcome is already decided is released by its thread (hub dead) or
  // by CallJs with env == nullptr; the others are cancelled here.
  for (auto& entry : waits_) {
    CancelWait(entry.second.wait);
    entry.second.callback.Reset();
    entry.second.handle.Reset();
  }
  waits_.clear();
  // SysV holds are process-wide and flock fds opened here are not tracked by Node:
  // a terminated worker would otherwise leak its locks.
  for (HandleBase* handle : handles_) handle->Teardown();
  handles_.clear();
  for (int fd : orphan_fds_) UnlockAndClose(fd);
  orphan_fds_.clear();
  for (const auto& sem : orphan_sems_) {
    SysError ignored;
    SemRelease(sem.first, sem.second, &ignored);
  }
  orphan_sems_.clear();
  for (const auto& permits : orphan_permits_) {
    SysError ignored;
    PermitGive(permits.semid, permits.key, permits.count, &ignored);
  }
  orphan_permits_.clear();
}

void Instance::UpdateRef() {
  if (torn_down_) return;
  const bool want = !waits_.empty();
  if (want == reffed_) return;
  // A pending wait keeps the event loop alive, like any pending I/O.
  if (want) {
    hub_->tsfn.Ref(env_);
  } else {
    hub_->tsfn.Unref(env_);
  }
  reffed_ = want;
}

Napi::Value Instance::BeginWait(Napi::Env env, const std::shared_ptr<Wait>& wait,
                                Napi::Function callback, Napi::Object handle,
                                HandleBase* owner) {
  Napi::Object js_wait = wait_ctor.New({ConstructToken(env)});
  if (env.IsExceptionPending()) return Napi::Value();
  NativeWait* native_wait = NativeWait::Unwrap(js_wait);
  native_wait->instance = this;
  native_wait->wait = wait;

  Record& record = waits_[wait->id()];
  record.callback = Napi::Persistent(callback);
  record.handle = Napi::Persistent(handle);
  record.owner = owner;
  record.wait = wait;
  SysError err;
  if (!StartWait(wait, &err)) {
    waits_.erase(wait->id());
    native_wait->wait.reset();
    ThrowSysError(env, err);
    return Napi::Value();
  }
  UpdateRef();
  return js_wait;
}

// The record stays until the waiter thread delivers the cancelled wait: only then has it
// let go of the kernel, so only then may the callback tell JS the wait is over.
bool Instance::Cancel(const std::shared_ptr<Wait>& wait) { return CancelWait(wait); }

void Instance::Settle(Napi::Env env, const std::shared_ptr<Wait>& wait) {
  auto it = torn_down_ ? waits_.end() : waits_.find(wait->id());
  if (it == waits_.end()) {
    wait->ReleaseGrant();
    return;
  }
  Record record = std::move(it->second);
  waits_.erase(it);
  UpdateRef();

  Napi::HandleScope scope(env);
  Napi::Value error = env.Null();
  bool granted = false;
  record.owner->Settle(env, *wait, &error, &granted);
  Napi::Function callback = record.callback.Value();
  record.callback.Reset();
  record.handle.Reset();
  // An exception thrown by the callback is left pending: Node reports it as uncaught.
  callback.Call(env.Undefined(), {error, Napi::Boolean::New(env, granted)});
}

Napi::Function NativeWait::Define(Napi::Env env) {
  return DefineClass(env, "NativeWait", {InstanceMethod("cancel", &NativeWait::Cancel)});
}

NativeWait::NativeWait(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeWait>(info) {
  HasConstructToken(info);
}

Napi::Value NativeWait::Cancel(const Napi::CallbackInfo& info) {
  if (!cancelled_ && wait && instance != nullptr) cancelled_ = instance->Cancel(wait);
  return Napi::Boolean::New(info.Env(), cancelled_);
}

}  // namespace lockwright
