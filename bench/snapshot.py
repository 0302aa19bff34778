"""Measure one version of the code: a copy of `src/switchboard` taken when the run starts.

`python -m bench` copies the package to `bench/.data/snapshot/<hash>/` and re-executes itself
with that directory first on PYTHONPATH (ahead of the editable install's `src/`), so this
process, the servers and their workers all import the same code even while someone edits
`src/` during a run that lasts half an hour. `--no-snapshot` measures `src/` live instead.

This module must not import `switchboard`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
ROOT = Path(__file__).resolve().parent / ".data" / "snapshot"
ENV = "SWITCHBOARD_BENCH_SNAPSHOT"


def tree_hash(src: Path) -> str:
    """A hash of the package's files (names and contents), caches left out."""
    digest = hashlib.sha256()
    for path in sorted((src / "switchboard").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(src)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def take() -> Path:
    """Copy src/switchboard (as it is now) under bench/.data/snapshot/; older copies go."""
    for _ in range(3):  # a file saved while we copy: copy again
        before = tree_hash(SRC)
        target = ROOT / before
        if not (target / "switchboard").exists():
            tmp = ROOT / f"{before}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(
                SRC / "switchboard",
                tmp / "switchboard",
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
            if tree_hash(tmp) != before:
                shutil.rmtree(tmp, ignore_errors=True)
                continue
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
        for old in ROOT.iterdir():
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
        return target
    raise RuntimeError("src/ kept changing while it was being copied; try again")


def reexec_with_snapshot(argv: list[str]) -> None:
    """Unless already done (or --no-snapshot), re-run `python -m bench` on a fresh snapshot."""
    if os.environ.get(ENV) or "--no-snapshot" in argv or "-h" in argv or "--help" in argv:
        return
    target = take()
    paths = [str(target), str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(":"))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    env[ENV] = str(target)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-m", "bench", *argv], env)
