#include <napi.h>

#include "flock_handle.h"
#include "flock_ops.h"
#include "instance.h"
#include "permit_handle.h"
#include "sem_ops.h"
#include "semaphore_handle.h"
#include "wake_signal.h"
#include "waiter.h"

namespace lockwright {

// One instance per env (main thread, each worker): context-aware by construction.
class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) : instance_(env) {
    instance_.flock_ctor = Napi::Persistent(FlockHandle::Define(env));
    instance_.sem_ctor = Napi::Persistent(SemaphoreHandle::Define(env));
    instance_.permit_ctor = Napi::Persistent(PermitHandle::Define(env));
    instance_.wait_ctor = Napi::Persistent(NativeWait::Define(env));
    const auto attrs = static_cast<napi_property_attributes>(napi_enumerable);
    DefineAddon(exports, {
                             InstanceMethod("openFlock", &Addon::OpenFlock, attrs),
                             InstanceMethod("openSemaphore", &Addon::OpenSemaphore, attrs),
                             InstanceMethod("openPermits", &Addon::OpenPermits, attrs),
                             InstanceMethod("stats", &Addon::Stats, attrs),
                             InstanceMethod("wakeSignal", &Addon::GetWakeSignal, attrs),
                             InstanceMethod("buildInfo", &Addon::BuildInfo, attrs),
                         });
  }

 private:
  Napi::Value OpenFlock(const Napi::CallbackInfo& info) {
    return FlockHandle::Open(info, &instance_);
  }

  Napi::Value OpenSemaphore(const Napi::CallbackInfo& info) {
    return SemaphoreHandle::Open(info, &instance_);
  }

  Napi::Value OpenPermits(const Napi::CallbackInfo& info) {
    return PermitHandle::Open(info, &instance_);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const PoolStats pool = GetPoolStats();
    Napi::Object out = Napi::Object::New(env);
    out.Set("waiterThreads", Napi::Number::New(env, pool.threads));
    out.Set("idleWaiterThreads", Napi::Number::New(env, pool.idle));
    out.Set("pendingWaits", Napi::Number::New(env, static_cast<double>(instance_.pending_waits())));
    out.Set("openHandles", Napi::Number::New(env, static_cast<double>(instance_.open_handles())));
    out.Set("pathChecks", Napi::Number::New(env, static_cast<double>(PathChecks())));
    return out;
  }

  Napi::Value GetWakeSignal(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), WakeSignal());
  }

  Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
    out.Set("semaphores", Napi::Boolean::New(env, kHaveSemaphores));
    return out;
  }

  Instance instance_;
};

}  // namespace lockwright

using LockwrightAddon = lockwright::Addon;
NODE_API_ADDON(LockwrightAddon)
