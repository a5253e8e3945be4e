#include "args.h"

#include <cmath>

#include "errors.h"

namespace lockwright {

bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out) {
  if (info.Length() > i && info[i].IsString()) {
    *out = info[i].As<Napi::String>().Utf8Value();
    if (!out->empty() && out->find('\0') == std::string::npos) return true;
  }
  ThrowTypeError(info.Env(), std::string(name) + " must be a non-empty string without NUL bytes");
  return false;
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name, bool* out) {
  if (info.Length() > i && info[i].IsBoolean()) {
    *out = info[i].As<Napi::Boolean>().Value();
    return true;
  }
  ThrowTypeError(info.Env(), std::string(name) + " must be a boolean");
  return false;
}

bool ArgInteger(const Napi::CallbackInfo& info, size_t i, double min, double max,
                const char* message, int64_t* out) {
  if (info.Length() > i && info[i].IsNumber()) {
    const double v = info[i].As<Napi::Number>().DoubleValue();
    if (std::isfinite(v) && std::floor(v) == v && v >= min && v <= max) {
      *out = static_cast<int64_t>(v);
      return true;
    }
  }
  ThrowTypeError(info.Env(), message);
  return false;
}

bool ArgMode(const Napi::CallbackInfo& info, size_t i, int* out) {
  int64_t v = 0;
  if (!ArgInteger(info, i, 0, 0777, "mode must be an integer between 0 and 0o777", &v)) {
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

bool ArgTimeout(const Napi::CallbackInfo& info, size_t i, double* out) {
  if (info.Length() > i && info[i].IsNumber()) {
    const double v = info[i].As<Napi::Number>().DoubleValue();
    if (!std::isnan(v)) {
      *out = std::isinf(v) ? -1 : v;
      return true;
    }
  }
  ThrowTypeError(info.Env(), "timeoutMs must be a number (negative for no timeout)");
  return false;
}

bool ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* name,
                 Napi::Function* out) {
  if (info.Length() > i && info[i].IsFunction()) {
    *out = info[i].As<Napi::Function>();
    return true;
  }
  ThrowTypeError(info.Env(), std::string(name) + " must be a function");
  return false;
}

bool ArgSemaphoreSet(const Napi::CallbackInfo& info, int64_t* key, int64_t* fingerprint) {
  static const char* const kFingerprint =
      "fingerprint must be a 30-bit integer whose two 15-bit halves are non-zero";
  if (!ArgInteger(info, 0, 1, 0x7fffffff, "key must be an integer between 1 and 0x7fffffff",
                  key) ||
      !ArgInteger(info, 1, 0, (1 << 30) - 1, kFingerprint, fingerprint)) {
    return false;
  }
  if (((*fingerprint >> 15) & 0x7fff) == 0 || (*fingerprint & 0x7fff) == 0) {
    Napi::TypeError::New(info.Env(), kFingerprint).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

}  // namespace lockwright
