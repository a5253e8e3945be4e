#pragma once

#include <napi.h>

#include <string>

namespace lockwright {

// Argument checks shared by the handle factories and methods. Each one throws a
// TypeError naming the argument and returns false when the value does not fit.
bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name, bool* out);
bool ArgMode(const Napi::CallbackInfo& info, size_t i, int* out);
bool ArgInteger(const Napi::CallbackInfo& info, size_t i, double min, double max,
                const char* message, int64_t* out);
// Milliseconds; negative (or +Infinity) means "no timeout".
bool ArgTimeout(const Napi::CallbackInfo& info, size_t i, double* out);
bool ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* name,
                 Napi::Function* out);
// A System V set's identity, arguments 0 and 1: the IPC key (1 to 0x7fffffff) and the
// 30-bit fingerprint kept in two semaphores of 15 bits each, neither half zero (a zero
// half is what a fresh set holds, so it could not tell ours from a stranger's).
bool ArgSemaphoreSet(const Napi::CallbackInfo& info, int64_t* key, int64_t* fingerprint);

}  // namespace lockwright
