"""What Linux says of a process in /proc: its memory and its open file descriptors (for the tests
that hold a server's memory or descriptors to a bound)."""

from __future__ import annotations

import os
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


def connections_to(pid: int, port: int) -> int:
    """How many of the process's descriptors are TCP connections to `port` (a webhook
    receiver's, say: its pooled keep-alive connections), from /proc/net/tcp{,6}."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if int(cols[2].rsplit(":", 1)[1], 16) == port and cols[9] in inodes:
                count += 1
    return count
