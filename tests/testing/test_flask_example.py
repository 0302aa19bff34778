"""docs/testing.md's worked example (docs/examples/flask_ivr: a Flask phone menu and its test
suite) runs as its own project would run it: `python -m pytest` in its folder, with the plugin."""

from __future__ import annotations

from pathlib import Path

from testing_fixtures import run_pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "flask_ivr"


def test_the_worked_example_passes() -> None:
    run = run_pytest("-q", cwd=EXAMPLE)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "8 passed" in run.stdout


def test_the_docs_show_the_example_as_it_is() -> None:
    doc = (EXAMPLE.parents[1] / "testing.md").read_text()
    for name in ("ivr.py", "test_ivr.py"):
        source = (EXAMPLE / name).read_text()
        assert f"```python\n{source}```" in doc, f"docs/testing.md does not show {name} as it is"
