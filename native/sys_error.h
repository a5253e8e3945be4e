#pragma once

#include <string>

namespace lockwright {

enum class TryResult { kGranted, kBusy, kError };

// Plain data, so that waiter threads can record a failure; only the JS thread turns
// it into a JS Error (errors.h).
struct SysError {
  int err = 0;
  std::string syscall;
  std::string path;
  bool has_path = false;
  // Replaces the errno description when the condition is ours (ownership, fingerprint).
  std::string message;

  void Set(int e, const char* call, const std::string* p = nullptr,
           std::string custom = std::string()) {
    err = e;
    syscall = call;
    has_path = p != nullptr;
    path = p != nullptr ? *p : std::string();
    message = std::move(custom);
  }
};

}  // namespace lockwright
