#include "errors.h"

#include <cerrno>
#include <cstring>

namespace lockwright {
namespace {

struct ErrnoEntry {
  int value;
  const char* name;
  const char* description;
};

// Aliases (EWOULDBLOCK == EAGAIN, EOPNOTSUPP == ENOTSUP, EDEADLOCK == EDEADLK on Linux)
// come after their canonical names so that the first match is what Node would report.
// Descriptions follow libuv's uv_strerror where it has one.
const ErrnoEntry kErrnos[] = {
    {EACCES, "EACCES", "permission denied"},
    {EAGAIN, "EAGAIN", "resource temporarily unavailable"},
    {EWOULDBLOCK, "EWOULDBLOCK", "operation would block"},
    {EBADF, "EBADF", "bad file descriptor"},
    {EBUSY, "EBUSY", "resource busy or locked"},
    {EDEADLK, "EDEADLK", "resource deadlock avoided"},
    {EEXIST, "EEXIST", "file already exists"},
    {EFAULT, "EFAULT", "bad address in system call argument"},
    {EFBIG, "EFBIG", "file too large"},
    {EIDRM, "EIDRM", "identifier removed"},
    {EINTR, "EINTR", "interrupted system call"},
    {EINVAL, "EINVAL", "invalid argument"},
    {EIO, "EIO", "i/o error"},
    {EISDIR, "EISDIR", "illegal operation on a directory"},
    {ELOOP, "ELOOP", "too many symbolic links encountered"},
    {EMFILE, "EMFILE", "too many open files"},
    {ENAMETOOLONG, "ENAMETOOLONG", "name too long"},
    {ENFILE, "ENFILE", "file table overflow"},
    {ENODEV, "ENODEV", "no such device"},
    {ENOENT, "ENOENT", "no such file or directory"},
    {ENOLCK, "ENOLCK", "no locks available"},
    {ENOMEM, "ENOMEM", "not enough memory"},
    {ENOSPC, "ENOSPC", "no space left on device"},
    {ENOSYS, "ENOSYS", "function not implemented"},
    {ENOTDIR, "ENOTDIR", "not a directory"},
    {ENOTSUP, "ENOTSUP", "operation not supported"},
    {EOPNOTSUPP, "EOPNOTSUPP", "operation not supported"},
    {ENXIO, "ENXIO", "no such device or address"},
    {EOVERFLOW, "EOVERFLOW", "value too large for defined data type"},
    {EPERM, "EPERM", "operation not permitted"},
    {ERANGE, "ERANGE", "result too large"},
    {EROFS, "EROFS", "read-only file system"},
    {ETIMEDOUT, "ETIMEDOUT", "connection timed out"},
#ifdef EDQUOT
    {EDQUOT, "EDQUOT", "disk quota exceeded"},
#endif
};

const ErrnoEntry* Find(int err) {
  for (const ErrnoEntry& e : kErrnos) {
    if (e.value == err) return &e;
  }
  return nullptr;
}

}  // namespace

const char* ErrnoName(int err) {
  const ErrnoEntry* e = Find(err);
  return e != nullptr ? e->name : "UNKNOWN";
}

std::string ErrnoDescription(int err) {
  const ErrnoEntry* e = Find(err);
  if (e != nullptr) return e->description;
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

Napi::Error MakeSysError(Napi::Env env, const SysError& e) {
  const char* code = ErrnoName(e.err);
  std::string message = std::string(code) + ": ";
  if (!e.message.empty()) {
    message += e.message;
  } else {
    message += ErrnoDescription(e.err) + ", " + e.syscall;
    if (e.has_path) message += " '" + e.path + "'";
  }
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("errno", Napi::Number::New(env, -e.err));
  obj.Set("code", Napi::String::New(env, code));
  obj.Set("syscall", Napi::String::New(env, e.syscall));
  if (e.has_path) obj.Set("path", Napi::String::New(env, e.path));
  return error;
}

Napi::Error MakeSysError(Napi::Env env, int err, const char* syscall, const std::string* path) {
  SysError e;
  e.Set(err, syscall, path);
  return MakeSysError(env, e);
}

void ThrowSysError(Napi::Env env, const SysError& e) {
  MakeSysError(env, e).ThrowAsJavaScriptException();
}

void ThrowSysError(Napi::Env env, int err, const char* syscall, const std::string* path) {
  MakeSysError(env, err, syscall, path).ThrowAsJavaScriptException();
}

void ThrowTypeError(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

void ThrowMisuse(Napi::Env env, const char* syscall, const std::string* path,
                 const std::string& message) {
  SysError err;
  err.Set(EINVAL, syscall, path,
          path != nullptr ? message + ", " + syscall + " '" + *path + "'" : message);
  ThrowSysError(env, err);
}

}  // namespace lockwright
