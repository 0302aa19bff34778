"""Do two runs of the bench agree? Every ratio both printed, side by side.

    python -m bench.compare QUICK.json FULL.json [--within 0.10]

Issue 19 asks that a quick run and a full run of the same code agree within 10 %: this reads
two results files (`bench/.data/results/*.json`, or where `--json` put them) and, for each
target that both measured, prints both values and how far the first is from the second
(relative to the second). Ratios only: the lines whose limit is a latency (`... <= 100 ms`,
`... <= 1.3`) and those counted in MB are left out, as are targets either run did not measure.
Exits 0 when every ratio agrees, 1 when one does not, 2 when the files share none.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

NOT_RATIOS = (" ms", "latency", " MB")


def ratios(results: Mapping[str, Any]) -> dict[tuple[str, str], float]:
    """(target name, where) -> value, for the ratio targets a results file measured."""
    out: dict[tuple[str, str], float] = {}
    for t in results.get("targets", []):
        value, name = t.get("value"), t["name"]
        if value is None or any(word in name for word in NOT_RATIOS):
            continue
        out[(name.strip(), t["where"].strip())] = float(value)
    return out


def compare(
    first: Mapping[str, Any], second: Mapping[str, Any], within: float
) -> list[tuple[str, str, float, float, float, bool]]:
    """(name, where, first value, second value, relative difference, agrees) per shared ratio,
    in the second file's order."""
    a, b = ratios(first), ratios(second)
    rows = []
    for key, theirs in b.items():
        if key not in a:
            continue
        ours = a[key]
        diff = abs(ours - theirs) / theirs if theirs else float("inf")
        rows.append((key[0], key[1], ours, theirs, diff, diff <= within))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path, help="results file (e.g. a quick run)")
    parser.add_argument("second", type=Path, help="results file it is measured against")
    parser.add_argument("--within", type=float, default=0.10, help="relative difference allowed")
    args = parser.parse_args(argv)
    rows = compare(
        json.loads(args.first.read_text()), json.loads(args.second.read_text()), args.within
    )
    if not rows:
        print("the two runs measured no ratio in common")
        return 2
    print(f"{'ratio':<50} {'where':>8} {args.first.stem:>16} {args.second.stem:>16}   diff")
    for name, where, ours, theirs, diff, agrees in rows:
        verdict = "agree" if agrees else "DIFFER"
        print(f"{name:<50} {where:>8} {ours:16.2f} {theirs:16.2f} {diff:6.0%}  {verdict}")
    apart = sum(not row[5] for row in rows)
    print(f"{len(rows) - apart} of {len(rows)} ratios within {args.within:.0%}")
    return 1 if apart else 0


if __name__ == "__main__":
    sys.exit(main())
