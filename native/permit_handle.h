#pragma once

#include <napi.h>

#include "instance.h"

namespace lockwright {

// One holder's permits of a counting System V semaphore (sem_permit_ops.h). Kernel
// adjustments (semadj) are per process and add up across holders; each handle counts
// the permits *it* took and gives back exactly those, so releasing one holder never
// gives back another's, and a worker's teardown gives back exactly its own.
class PermitHandle : public Napi::ObjectWrap<PermitHandle>, public HandleBase {
 public:
  static Napi::Function Define(Napi::Env env);
  // openPermits(key, fingerprint, limit, mode)
  static Napi::Value Open(const Napi::CallbackInfo& info, Instance* instance);

  explicit PermitHandle(const Napi::CallbackInfo& info);
  ~PermitHandle() override;

  void Settle(Napi::Env env, Wait& wait, Napi::Value* error, bool* granted) override;
  void Teardown() override;

 private:
  Napi::Value GetKey(const Napi::CallbackInfo& info);
  Napi::Value GetLimit(const Napi::CallbackInfo& info);
  Napi::Value GetHeld(const Napi::CallbackInfo& info);
  Napi::Value TryTake(const Napi::CallbackInfo& info);
  Napi::Value StartWait(const Napi::CallbackInfo& info);
  Napi::Value Verify(const Napi::CallbackInfo& info);
  Napi::Value Give(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  bool CheckOpen(Napi::Env env);
  bool ArgCount(const Napi::CallbackInfo& info, int* out);

  Instance* instance_ = nullptr;
  int key_ = 0;
  int semid_ = -1;
  int limit_ = 0;  // the set's limit, as read from the kernel
  int held_ = 0;   // permits this handle holds (0, or the count of its one hold)
  bool closed_ = true;
  bool waiting_ = false;
};

}  // namespace lockwright
