"""The guard in tests/conftest.py: a test that opens a file beside the repository fails the session.

Each case builds a throwaway layout, `outer/repo/` (with copies of the real tests/conftest.py and
tests/receiver.py it imports) beside `outer/sibling/`, and runs pytest there in a subprocess.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent

READS_BESIDE = """
from pathlib import Path

OUTER = Path(__file__).resolve().parents[2]
AT_IMPORT = (OUTER / "sibling" / "at_import.txt").read_text()


def test_reads_beside():
    assert (OUTER / "sibling" / "in_test.txt").read_text() == "beside"
"""

READS_ALLOWED = """
from pathlib import Path

OUTER = Path(__file__).resolve().parents[2]


def test_reads_inside_and_temporary(tmp_path):
    assert (OUTER / "repo" / "inside.txt").read_text() == "inside"
    (tmp_path / "scratch.txt").write_text("scratch")
    assert (tmp_path / "scratch.txt").read_text() == "scratch"
    assert (OUTER / ".netrc").read_text() == "hidden"  # a home folder's dotfile, say
"""


def run_layout(tmp_path: Path, test_source: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
    outer = tmp_path / "outer"
    repo = outer / "repo"
    (repo / "tests").mkdir(parents=True)
    for name in ("conftest.py", "receiver.py"):
        shutil.copy(TESTS / name, repo / "tests" / name)
    (repo / "tests" / "test_reads.py").write_text(test_source)
    (repo / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (repo / "inside.txt").write_text("inside")
    (outer / ".netrc").write_text("hidden")
    (outer / "sibling").mkdir()
    for name in ("at_import.txt", "in_test.txt"):
        (outer / "sibling" / name).write_text("beside")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--basetemp={tmp_path / 'basetemp'}",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return outer, result


def test_a_file_beside_the_repository_fails_the_session(tmp_path: Path) -> None:
    outer, result = run_layout(tmp_path, READS_BESIDE)
    out = result.stdout
    assert "1 passed" in out, out  # the test itself passes: only the guard fails the session
    assert result.returncode == 1, out
    assert "files opened outside the repository" in out, out
    sibling = outer.resolve() / "sibling"
    assert f"{sibling / 'at_import.txt'}: opened by collecting tests/test_reads.py" in out, out
    assert f"{sibling / 'in_test.txt'}: opened by tests/test_reads.py::test_reads_beside" in out


def test_the_repository_temporary_folders_and_dotfiles_are_allowed(tmp_path: Path) -> None:
    _, result = run_layout(tmp_path, READS_ALLOWED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "outside the repository" not in result.stdout
