#include "wake_signal.h"

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace lockwright {
namespace {

int g_signal = 0;
std::once_flag g_once;

// Its only job is to exist: delivery makes the blocked syscall return EINTR.
void OnWake(int) {}

bool IsOurs(const struct sigaction& sa) {
  return (sa.sa_flags & SA_SIGINFO) == 0 && sa.sa_handler == OnWake &&
         (sa.sa_flags & SA_RESTART) == 0;
}

// No SA_RESTART: with it the kernel restarts flock() instead of failing with EINTR.
bool Install(int sig, bool allow_ignored) {
  struct sigaction old;
  std::memset(&old, 0, sizeof(old));
  if (sigaction(sig, nullptr, &old) != 0) return false;
  if (IsOurs(old)) return true;
  const bool is_default = (old.sa_flags & SA_SIGINFO) == 0 && old.sa_handler == SIG_DFL;
  const bool is_ignored = (old.sa_flags & SA_SIGINFO) == 0 && old.sa_handler == SIG_IGN;
  if (!is_default && !(allow_ignored && is_ignored)) return false;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnWake;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  return sigaction(sig, &sa, nullptr) == 0;
}

int Choose() {
  const char* env = std::getenv("LOCKWRIGHT_WAKE_SIGNAL");
  if (env != nullptr && *env != '\0') {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (end == env || *end != '\0' || n <= 0 || n >= NSIG || n == SIGKILL || n == SIGSTOP) {
      return 0;  // "0" or garbage: run without a wake signal (abandon mode)
    }
    return Install(static_cast<int>(n), true) ? static_cast<int>(n) : 0;
  }
#if defined(__APPLE__) || !defined(SIGRTMIN)
  // No real-time signals: SIGURG defaults to "ignore", so a stray one is harmless.
  return Install(SIGURG, true) ? SIGURG : 0;
#else
  // SIGRTMAX itself is left alone: some runtimes and profilers take it first.
  for (int sig = SIGRTMAX - 1; sig >= SIGRTMIN; --sig) {
    if (Install(sig, false)) return sig;
  }
  return 0;
#endif
}

}  // namespace

int WakeSignal() {
  std::call_once(g_once, [] { g_signal = Choose(); });
  return g_signal;
}

bool WakeSignalIntact() {
  const int sig = WakeSignal();
  if (sig == 0) return false;
  struct sigaction cur;
  std::memset(&cur, 0, sizeof(cur));
  if (sigaction(sig, nullptr, &cur) != 0) return false;
  return IsOurs(cur);
}

}  // namespace lockwright
