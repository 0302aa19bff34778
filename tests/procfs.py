"""What Linux says of a process in /proc: its memory and its open file descriptors (for the tests
that hold a server's memory or descriptors to a bound)."""

from __future__ import annotations

import re
from pathlib import Path


def memory_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of /proc/PID/status, in KiB: `VmRSS` (resident now), `VmHWM` (the peak)."""
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    assert match, text
    return int(match.group(1))


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))
