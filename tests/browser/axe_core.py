"""axe-core for the console's accessibility checks: installed from npm into the git-ignored
tests/browser/node/node_modules/ (node/package.json pins the major version) by the installer the
twilio-node tests use (tests/contract/node_sdk.py), then evaluated in each page under test.

Without node and npm the tests that need it are skipped with the reason, unless
SWITCHBOARD_REQUIRE_NODE=1 (as in CI), which turns that into a failure.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"


@functools.cache
def _installer() -> ModuleType:
    """tests/contract/node_sdk.py (not on the browser tests' import path), loaded by path."""
    path = Path(__file__).resolve().parent.parent / "contract" / "node_sdk.py"
    spec = importlib.util.spec_from_file_location("node_sdk", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _installed() -> tuple[str | None, str | None]:
    """(axe-core's script, None), or (None, why it cannot be installed here)."""
    node_sdk = _installer()
    try:
        node_sdk.install(NODE_DIR, "axe-core")
    except node_sdk.NodeUnavailable as exc:
        return None, str(exc)
    return SCRIPT.read_text(), None


def source() -> str | None:
    """axe-core's script, or None when it cannot be installed here."""
    return _installed()[0]


def require() -> str:
    """axe-core's script; skips the calling test without it (fails under
    SWITCHBOARD_REQUIRE_NODE=1)."""
    import pytest

    script, reason = _installed()
    if script is None:
        if _installer().REQUIRE_NODE:
            pytest.fail(f"SWITCHBOARD_REQUIRE_NODE=1 but {reason}")
        pytest.skip(reason or "axe-core is not installed")
    return script


def violations(page: Any, script: str) -> list[str]:
    """Run axe-core (every rule but the experimental ones: WCAG 2.x A and AA, and best
    practices) on the page as it is; one line per violation and element."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol: the page's CSP (script-src 'self') allows no
        # injected <script>, and needs none here.
        page.evaluate(script)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
            .map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join()) }))"""
    )
    return [f"{v['id']} ({v['help']}): {node}" for v in found for node in v["nodes"]]
