#pragma once

#include <napi.h>

#include <string>

#include "sys_error.h"

namespace lockwright {

// "EACCES" for EACCES; "UNKNOWN" for an errno outside the table.
const char* ErrnoName(int err);
// libuv-style lower-case description ("permission denied").
std::string ErrnoDescription(int err);

// An Error shaped like Node's fs errors: message "CODE: description, syscall 'path'",
// code, errno (negated, as Node reports it), syscall and path.
Napi::Error MakeSysError(Napi::Env env, const SysError& e);
Napi::Error MakeSysError(Napi::Env env, int err, const char* syscall,
                         const std::string* path = nullptr);

void ThrowSysError(Napi::Env env, const SysError& e);
void ThrowSysError(Napi::Env env, int err, const char* syscall,
                   const std::string* path = nullptr);
void ThrowTypeError(Napi::Env env, const std::string& message);
// A call the handle's state does not allow (a wait in progress, a lock held): EINVAL,
// shaped like the syscall's own errors, with `message` saying what is wrong. For flock
// handles the message ends with ", flock '<path>'", as Node's fs errors do.
void ThrowMisuse(Napi::Env env, const char* syscall, const std::string* path,
                 const std::string& message);

}  // namespace lockwright
