"""twilio-node for the contract tests: installed into tests/contract/node/node_modules/ (from
node/package.json, which pins the major version; git ignores node_modules/), then run as a child
process that reads a JSON job on stdin and prints one JSON result.

Without node and npm (or when the install fails) the tests that need them are skipped with the
reason, unless SWITCHBOARD_REQUIRE_NODE=1 (as in .ci/run) turns that into a failure.
`python3 tests/contract/node_sdk.py` installs it and exits 1 with the reason when it cannot
(.ci/run calls it). Only the standard library here, so that works before pytest is installed.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"
SDK_SCRIPT = NODE_DIR / "sdk.js"
MODULES = NODE_DIR / "node_modules"
REQUIRE_NODE = os.environ.get("SWITCHBOARD_REQUIRE_NODE") == "1"


class NodeUnavailable(Exception):
    """Why twilio-node cannot be run here."""


def _wanted_major(node_dir: Path = NODE_DIR, package: str = "twilio") -> str:
    spec: str = json.loads((node_dir / "package.json").read_text())["dependencies"][package]
    return spec.lstrip("^~=").split(".")[0]


def installed_version(node_dir: Path = NODE_DIR, package: str = "twilio") -> str | None:
    """The version of `package` in `node_dir`/node_modules/, or None when it is absent or another
    major than package.json asks for."""
    try:
        manifest = node_dir / "node_modules" / package / "package.json"
        version: str = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    return version if version.split(".")[0] == _wanted_major(node_dir, package) else None


def install(node_dir: Path = NODE_DIR, package: str = "twilio") -> str:
    """Install `package` (twilio-node unless told otherwise) from `node_dir`/package.json into
    `node_dir`/node_modules/ unless it is there; returns its version.

    A file lock keeps two test sessions on one checkout from running npm into the same folder
    at once (the second waits, then finds it installed).
    """
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        raise NodeUnavailable(
            f"node and npm are not on PATH (the tests that use {package} need Node 20+)"
        )
    version = installed_version(node_dir, package)
    if version is not None:
        return version
    modules = node_dir / "node_modules"
    with (node_dir / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        version = installed_version(node_dir, package)
        if version is not None:
            return version
        print(f"installing {package} into {modules} (once) ...", file=sys.stderr)
        try:
            subprocess.run(
                [
                    npm,
                    "install",
                    "--prefix",
                    str(node_dir),
                    "--no-audit",
                    "--no-fund",
                    "--no-package-lock",
                    "--loglevel=error",
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=600,
            )
        except subprocess.CalledProcessError as exc:
            raise NodeUnavailable(f"npm install failed: {exc.stderr.strip()[-2000:]}") from None
        except subprocess.TimeoutExpired:
            raise NodeUnavailable("npm install took more than 10 minutes") from None
    version = installed_version(node_dir, package)
    if version is None:
        wanted = _wanted_major(node_dir, package)
        raise NodeUnavailable(f"npm install left no {package} {wanted}.x in {modules}")
    return version


@functools.cache
def problem() -> str | None:
    """None when twilio-node can be run; otherwise why not (checked once per session)."""
    try:
        install()
    except NodeUnavailable as exc:
        return str(exc)
    return None


def require() -> None:
    """Skip the calling test (fail it under SWITCHBOARD_REQUIRE_NODE=1) without twilio-node."""
    import pytest

    reason = problem()
    if reason is not None:
        if REQUIRE_NODE:
            pytest.fail(f"SWITCHBOARD_REQUIRE_NODE=1 but {reason}")
        pytest.skip(reason)


def run_script(script: Path, env: Mapping[str, str], stdin: str = "", timeout: float = 300) -> str:
    """Run `script` under node; its standard output. A failure raises with node's output.

    `env` is the child's whole environment; NODE_PATH is added, so a script anywhere finds
    twilio-node.
    """
    proc = subprocess.run(
        ["node", str(script)],
        input=stdin,
        env={**env, "NODE_PATH": str(MODULES)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(f"node exited {proc.returncode}:\n{proc.stderr}\n{proc.stdout}")
    return proc.stdout


def run(job: Mapping[str, Any], env: Mapping[str, str], script: Path = SDK_SCRIPT) -> Any:
    """Run node/sdk.js (or `script`) with `job` as JSON on stdin; the JSON line it prints."""
    out = run_script(script, env, json.dumps(job)).strip()
    if not out:
        raise AssertionError(f"{script.name} printed nothing")
    return json.loads(out.splitlines()[-1])


if __name__ == "__main__":
    try:
        print(f"twilio-node {install()} in {MODULES}")
    except NodeUnavailable as exc:
        sys.exit(f"twilio-node: {exc}")
