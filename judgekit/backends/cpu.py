"""How many CPU cores llama.cpp should use: physical cores, not hyper-threads.

llama.cpp runs slower with a thread per hyper-thread than with one per physical core, so the
local backend's default `--threads` counts cores the way the operating system reports them.
"""

from __future__ import annotations

import os
import subprocess
import sys


def physical_cores() -> int:
    """Physical CPU cores this process may use (hyper-threads slow llama.cpp down, not up)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 1
    cores = _linux_physical_cores()
    if cores is None:
        cores = _sysctl_physical_cores()
    return max(1, min(cores or usable, usable))


def _linux_physical_cores() -> int | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            return count_cores(handle.read())
    except OSError:
        return None


def count_cores(cpuinfo: str) -> int | None:
    """Distinct (physical id, core id) pairs in /proc/cpuinfo text: hyper-threads share a core."""
    cores: set[tuple[str, str]] = set()
    package = core = None
    for line in [*cpuinfo.splitlines(), ""]:
        name, _, value = line.partition(":")
        name = name.strip()
        if name == "physical id":
            package = value.strip()
        elif name == "core id":
            core = value.strip()
        elif not line.strip():
            if core is not None:
                cores.add((package or "0", core))
            package = core = None
    return len(cores) or None


def _sysctl_physical_cores() -> int | None:
    if sys.platform != "darwin":
        return None

    try:
        found = subprocess.run(["sysctl", "-n", "hw.physicalcpu"], capture_output=True, text=True, timeout=5)
        return int(found.stdout.strip())
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
