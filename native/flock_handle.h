#pragma once

#include <napi.h>

#include <string>

#include "flock_ops.h"
#include "instance.h"

namespace lockwright {

// One open file description of a lock file (flock locks belong to the description, so
// two handles exclude each other even in one process).
class FlockHandle : public Napi::ObjectWrap<FlockHandle>, public HandleBase {
 public:
  static Napi::Function Define(Napi::Env env);
  // openFlock(path, mode)
  static Napi::Value Open(const Napi::CallbackInfo& info, Instance* instance);

  explicit FlockHandle(const Napi::CallbackInfo& info);
  ~FlockHandle() override;

  void Settle(Napi::Env env, Wait& wait, Napi::Value* error, bool* granted) override;
  void Teardown() override;

 private:
  enum class Held { kNone, kShared, kExclusive };

  Napi::Value GetPath(const Napi::CallbackInfo& info);
  Napi::Value GetState(const Napi::CallbackInfo& info);
  Napi::Value TryLock(const Napi::CallbackInfo& info);
  Napi::Value StartWait(const Napi::CallbackInfo& info);
  Napi::Value Unlock(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  bool CheckOpen(Napi::Env env, const char* syscall);
  // fd_ is -1 while a wait has it, and after a wait that closed it: reopened on demand.
  bool EnsureFd(Napi::Env env);

  Instance* instance_ = nullptr;
  std::string path_;      // as given, for the `path` getter
  std::string abs_path_;  // resolved at open: a later chdir must not change the file
  int mode_ = 0600;
  int fd_ = -1;
  InodeStamp stamp_;  // what was last confirmed about fd_'s inode
  Held held_ = Held::kNone;
  bool closed_ = true;
  bool waiting_ = false;
};

}  // namespace lockwright
