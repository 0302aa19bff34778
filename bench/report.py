"""Markdown tables from a results file of `python -m bench` (for docs/performance.md).

python -m bench.report bench/.data/results/<run>.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

OPS = ("fetch", "list", "list_deep", "create", "update", "delete", "call", "ivr")


def _find(measures: list[dict[str, Any]], **key: Any) -> dict[str, Any] | None:
    for m in measures:
        if all(m[k] == v for k, v in key.items()):
            return m
    return None


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    if a is None or b is None or not b["rps"]:
        return ""
    return f"{a['rps'] / b['rps']:.2f}"


KIND_ORDER = {"switchboard": 0, "baseline": 1, "hookbase": 2, "prism": 3}


def _label(m: dict[str, Any]) -> str:
    http = m.get("http", "uvicorn")
    if m["server"] == "switchboard":
        return f"Switchboard {http} {m['workers']}w"
    if m["server"] == "baseline":
        return f"baseline {http}"
    return str(m["server"])


def session_table(data: dict[str, Any], size: str, store: str) -> str:
    ms = data["measures"]
    rows = [
        "| op | server | req/s | p50 ms | p99 ms | spread | CPU µs/req | errors | ours/baseline "
        "| by CPU | 2w/1w | other CPU |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for op in OPS:
        found = [m for m in ms if (m["size"], m["store"], m["op"]) == (size, store, op)]
        found.sort(key=lambda m: (KIND_ORDER.get(m["server"], 9), m.get("http", ""), m["workers"]))
        first = True
        for m in found:
            http = m.get("http", "uvicorn")
            vs_base = cost = scale = ""
            if m["server"] == "switchboard" and m["workers"] == 1:
                if op in ("call", "ivr"):
                    ref = _find(ms, size=size, store=store, server="hookbase", op=op)
                else:
                    ref = _find(ms, size=size, store=store, server="baseline", op=op, http=http)
                vs_base = _ratio(m, ref)
                if ref and ref.get("cpu_us_per_request") and m.get("cpu_us_per_request"):
                    cost = f"{ref['cpu_us_per_request'] / m['cpu_us_per_request']:.2f}"
            elif m["server"] == "switchboard":
                one = _find(ms, size=size, store=store, server="switchboard", op=op, http=http,
                            workers=1)  # fmt: skip
                scale = _ratio(m, one)
            other = m.get("other_cpu_cores") or [0.0]
            other_median = sorted(other)[len(other) // 2]
            rows.append(
                f"| {op if first else ''} | {_label(m)} | {m['rps']:,.0f} | {m['p50_ms']:.1f} "
                f"| {m['p99_ms']:.1f} | {m.get('spread', 0):.0%} "
                f"| {m.get('cpu_us_per_request', 0):,.0f} | {m['errors']} | {vs_base} | {cost} "
                f"| {scale} | {other_median:.2f} |"
            )
            first = False
    for r in data["peak_rss_bytes"]:
        if r["size"] == size and r["store"] == store and r["by_pid"]:
            values = list(r["by_pid"].values())
            label = _label({**r, "workers": r["workers"]})
            rows.append(
                f"\nPeak RSS {label}: {sum(values) / 2**20:.1f} MB "
                f"({len(values)} process(es); largest {max(values) / 2**20:.1f} MB)"
            )
    return "\n".join(rows)


def targets_table(data: dict[str, Any]) -> str:
    rows = ["| target | where | value | verdict |", "| --- | --- | ---: | --- |"]
    for t in data["targets"]:
        value = "" if t["value"] is None else f"{t['value']:.2f}"
        rows.append(f"| {t['name']} | {t['where']} | {value} | {t['verdict']} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    args = parser.parse_args()
    data = json.loads(args.results.read_text())
    o = data["options"]
    print(
        f"Run {data['started']}, {data['machine']['cpus']} CPUs, Python "
        f"{data['machine']['python']}, driver {o['driver']}, {o['connections']} connections, "
        f"warm-up {o['warmup']} s + {o['repeats']} x {o['duration']} s, medians; "
        f"code {data['source']['commit']} (hash {data['source']['hash']})\n"
    )
    for size in o["sizes"]:
        for store in o["stores"]:
            if any(m["size"] == size and m["store"] == store for m in data["measures"]):
                print(f"### {size}, {store}\n")
                print(session_table(data, size, store) + "\n")
    print("### Targets\n")
    print(targets_table(data))
    for note in data["notes"]:
        print(f"\n- note: {note}")


if __name__ == "__main__":
    main()
