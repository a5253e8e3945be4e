#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "waiter.h"

namespace lockwright {

class Instance;
void CallJs(Napi::Env env, Napi::Function unused, Instance* instance,
            std::shared_ptr<Wait>* item);
using Tsfn = Napi::TypedThreadSafeFunction<Instance, std::shared_ptr<Wait>, CallJs>;

// native.md §1.4 "Teardown guard": shared by the env and every waiter thread. A thread
// may call the TSFN only under `mu` while `alive`; once the env is going away it
// releases a grant itself instead.
class Hub : public Sink {
 public:
  void Deliver(const std::shared_ptr<Wait>& wait) override;

  std::mutex mu;
  bool alive = true;
  Tsfn tsfn;
};

// What the env needs from a flock or semaphore handle object.
class HandleBase {
 public:
  virtual ~HandleBase() = default;
  // JS thread, at delivery (granted, failed, timed out or cancelled): adopt a grant (or
  // give it back) and fill in the callback's arguments.
  virtual void Settle(Napi::Env env, Wait& wait, Napi::Value* error, bool* granted) = 0;
  // Env teardown: release whatever is held and close, without touching JS.
  virtual void Teardown() = 0;
};

// Marks constructor calls made by the addon itself; `new handle.constructor()` from JS
// is refused.
Napi::Value ConstructToken(Napi::Env env);
bool HasConstructToken(const Napi::CallbackInfo& info);

// Per-env state (one per addon instance: main thread and each worker).
class Instance {
 public:
  explicit Instance(Napi::Env env);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  uint64_t NextWaitId() { return ++last_wait_id_; }
  const std::shared_ptr<Hub>& hub() const { return hub_; }

  // Registers the JS side of a wait (callback, and the handle object so it cannot be
  // collected meanwhile), starts it and returns its NativeWait object. Throws and
  // returns an empty value on failure.
  Napi::Value BeginWait(Napi::Env env, const std::shared_ptr<Wait>& wait,
                        Napi::Function callback, Napi::Object handle, HandleBase* owner);
  bool Cancel(const std::shared_ptr<Wait>& wait);
  // CallJs: the waiter thread's decided outcome reached the JS thread.
  void Settle(Napi::Env env, const std::shared_ptr<Wait>& wait);

  void AddHandle(HandleBase* handle) { handles_.insert(handle); }
  void RemoveHandle(HandleBase* handle) { handles_.erase(handle); }
  // A collected handle that still holds a lock keeps it until env teardown.
  void KeepOrphanFd(int fd) { orphan_fds_.push_back(fd); }
  void KeepOrphanSem(int semid, int key) { orphan_sems_.push_back({semid, key}); }
  void KeepOrphanPermits(int semid, int key, int count) {
    orphan_permits_.push_back({semid, key, count});
  }

  size_t pending_waits() const { return waits_.size(); }
  size_t open_handles() const { return handles_.size(); }
  bool torn_down() const { return torn_down_; }

  Napi::FunctionReference flock_ctor;
  Napi::FunctionReference sem_ctor;
  Napi::FunctionReference permit_ctor;
  Napi::FunctionReference wait_ctor;

 private:
  struct Record {
    Napi::FunctionReference callback;
    Napi::ObjectReference handle;
    HandleBase* owner = nullptr;
    std::shared_ptr<Wait> wait;
  };

  static void OnTeardown(void* arg);
  void Teardown();
  void UpdateRef();

  napi_env env_;
  std::shared_ptr<Hub> hub_;
  uint64_t last_wait_id_ = 0;
  bool reffed_ = false;
  bool torn_down_ = false;
  std::unordered_map<uint64_t, Record> waits_;
  std::unordered_set<HandleBase*> handles_;
  std::vector<int> orphan_fds_;
  std::vector<std::pair<int, int>> orphan_sems_;
  struct OrphanPermits {
    int semid;
    int key;
    int count;
  };
  std::vector<OrphanPermits> orphan_permits_;
};

// The JS object returned by wait(): { cancel(): boolean }.
class NativeWait : public Napi::ObjectWrap<NativeWait> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeWait(const Napi::CallbackInfo& info);

  Instance* instance = nullptr;
  std::shared_ptr<Wait> wait;

 private:
  bool cancelled_ = false;  // a won cancellation stays won
  Napi::Value Cancel(const Napi::CallbackInfo& info);
};

}  // namespace lockwright
