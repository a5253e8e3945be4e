#pragma once

#include <napi.h>

#include "instance.h"

namespace lockwright {

// A System V semaphore set used as a mutex. Kernel holds are per process; the handle
// tracks whether *it* holds one, so a worker's teardown releases exactly its own.
class SemaphoreHandle : public Napi::ObjectWrap<SemaphoreHandle>, public HandleBase {
 public:
  static Napi::Function Define(Napi::Env env);
  // openSemaphore(key, fingerprint, mode)
  static Napi::Value Open(const Napi::CallbackInfo& info, Instance* instance);

  explicit SemaphoreHandle(const Napi::CallbackInfo& info);
  ~SemaphoreHandle() override;

  void Settle(Napi::Env env, Wait& wait, Napi::Value* error, bool* granted) override;
  void Teardown() override;

 private:
  Napi::Value GetKey(const Napi::CallbackInfo& info);
  Napi::Value GetLocked(const Napi::CallbackInfo& info);
  Napi::Value Verify(const Napi::CallbackInfo& info);
  Napi::Value TryLock(const Napi::CallbackInfo& info);
  Napi::Value StartWait(const Napi::CallbackInfo& info);
  Napi::Value Unlock(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  bool CheckOpen(Napi::Env env);

  Instance* instance_ = nullptr;
  int key_ = 0;
  int semid_ = -1;
  bool locked_ = false;
  bool closed_ = true;
  bool waiting_ = false;
};

}  // namespace lockwright
