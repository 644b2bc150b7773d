"""doit plugins shipped with releasekit-tasks: the crash-safe state backend and friends."""
