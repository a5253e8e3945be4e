#pragma once

namespace lockwright {

// The thread-directed signal that interrupts a waiter blocked in flock/semop. Chosen
// and installed once per process (never uninstalled: a late signal to a thread must
// never meet the default "terminate" action). 0 when no signal is usable.
int WakeSignal();

// Re-reads the disposition: false when someone replaced our handler since, in which
// case sending the signal could kill the process (or, with SA_RESTART, not interrupt).
bool WakeSignalIntact();

}  // namespace lockwright
