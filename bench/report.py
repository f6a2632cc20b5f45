"""Markdown tables for docs/PERFORMANCE.md from bench/run.py results files.

    .venv/bin/python bench/report.py bench/results/<run>.json [more.json …]

One table per scenario (rows: database and data size; probe and app side by side), then the
growth table (xN/x1) and the two-process table when the run measured them. ``--app`` names the
app variant (default app-limiter-1).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from run import SCENARIO_BY_KEY, _num


def _scenario_keys(results: dict[str, Any], variant: str) -> list[str]:
    """The scenarios ``variant`` was measured in, in the order of the first database."""
    keys: list[str] = []
    for entry in results["databases"].values():
        for key in entry["variants"].get(variant, {}).get("endpoints", {}):
            if key not in keys:
                keys.append(key)
    return keys


def scenario_tables(results: dict[str, Any], app: str) -> list[str]:
    lines: list[str] = []
    for key in _scenario_keys(results, app):
        lines.append(f"\n##### `{key}`: {SCENARIO_BY_KEY[key].label}\n")
        lines.append("| db | data | probe req/s | app req/s | **app × probe** | app CPU ms/req | "
                     "probe CPU ms/req | app p99 ms | probe p99 ms | app / probe ms, one at a "
                     "time | others % | load (1 min) |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, entry in results["databases"].items():
            a = entry["variants"].get(app, {}).get("endpoints", {}).get(key)
            p = entry["variants"].get("probe", {}).get("endpoints", {}).get(key)
            if not a:
                continue
            p = p or {}
            runs = a.get("runs") or [{}]
            load = runs[0].get("loadavg_1m")
            data = f"{entry['data'].get('alliance', 0):,} alliances"
            flag = " ⚠" if a.get("non_2xx") or a.get("socket_errors") else ""
            if a.get("timed_out"):
                flag = " (all > timeout)"
            lines.append(
                f"| {entry.get('kind', name)} | {data} | {_num(p.get('rps'), 0)} | "
                f"{_num(a.get('rps'), 0)}{flag} | **{_num(a.get('ratio_to_probe'), 3)}** | "
                f"{_num(a.get('server_cpu_ms_per_request'))} | "
                f"{_num(p.get('server_cpu_ms_per_request'))} | {_num(a.get('p99_ms'), 0)} | "
                f"{_num(p.get('p99_ms'), 0)} | {_num(a.get('seq_ms_median'), 1)} / "
                f"{_num(p.get('seq_ms_median'), 1)} | {_num(a.get('foreign_cpu_pct'), 0)} | "
                f"{_num(load, 1)} |")
    return lines


def before_after_tables(results: dict[str, Any], app: str, before: str) -> list[str]:
    """One table per scenario: the baseline (``--baseline-ref``, variant ``before``), the app and
    the probe of the same run side by side."""
    lines: list[str] = []
    for key in _scenario_keys(results, before):
        lines.append(f"\n##### `{key}`: {SCENARIO_BY_KEY[key].label}\n")
        lines.append("| db | data | probe req/s | before req/s | after req/s | before × probe | "
                     "**after × probe** | before CPU ms/req | after CPU ms/req | probe CPU ms/req "
                     "| before p99 ms | after p99 ms |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, entry in results["databases"].items():
            variants = entry["variants"]
            b = variants.get(before, {}).get("endpoints", {}).get(key) or {}
            a = variants.get(app, {}).get("endpoints", {}).get(key) or {}
            p = variants.get("probe", {}).get("endpoints", {}).get(key) or {}
            data = f"{entry['data'].get('alliance', 0):,} alliances"
            lines.append(
                f"| {entry.get('kind', name)} | {data} | {_num(p.get('rps'), 0)} | "
                f"{_num(b.get('rps'), 0)} | {_num(a.get('rps'), 0)} | "
                f"{_num(b.get('ratio_to_probe'), 3)} | **{_num(a.get('ratio_to_probe'), 3)}** | "
                f"{_num(b.get('server_cpu_ms_per_request'))} | "
                f"{_num(a.get('server_cpu_ms_per_request'))} | "
                f"{_num(p.get('server_cpu_ms_per_request'))} | {_num(b.get('p99_ms'), 0)} | "
                f"{_num(a.get('p99_ms'), 0)} |")
    return lines


def growth_table(results: dict[str, Any], app: str) -> list[str]:
    rows = [g for g in results.get("growth", []) if g["variant"] in (app, "probe")]
    if not rows:
        return []
    lines = ["\n##### Growth: cost at x100 / cost at x1 (target ≤ 1.3)\n",
             "| db | scenario | app CPU ms/req under load x1 → x100 | **ratio** | app ms one at a "
             "time x1 → x100 | **ratio** | app CPU ms one at a time x1 → x100 | app req/s ratio "
             "(x1/x100) | probe CPU ratio | probe ms ratio, one at a time | × probe x1 → x100 |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    probe = {(g["db"], g["scenario"]): g for g in rows if g["variant"] == "probe"}
    for g in rows:
        if g["variant"] != app:
            continue
        pg = probe.get((g["db"], g["scenario"]), {})
        lines.append(
            f"| {g['db']} | {g['scenario']} | {_num(g['cpu_ms_x1'])} → {_num(g['cpu_ms_xN'])} | "
            f"**{_num(g['cpu_ratio'])}** | {_num(g.get('seq_ms_x1'), 1)} → "
            f"{_num(g.get('seq_ms_xN'), 1)} | **{_num(g.get('seq_ratio'))}** | "
            f"{_num(g.get('seq_cpu_x1'), 1)} → {_num(g.get('seq_cpu_xN'), 1)} | "
            f"{_num(g['rps_cost_ratio'])} | {_num(pg.get('cpu_ratio'))} | "
            f"{_num(pg.get('seq_ratio'))} | "
            f"{_num(g['ratio_to_probe_x1'], 3)} → {_num(g['ratio_to_probe_xN'], 3)} |")
    return lines


def process_table(results: dict[str, Any]) -> list[str]:
    rows = results.get("processes", [])
    if not rows:
        return []
    lines = ["\n##### Two processes / one process (target ≥ 1.7 for the app)\n",
             "| db | scenario | pair | req/s 1 process | req/s 2 processes | **ratio** | "
             "CPU ms/req 1 | CPU ms/req 2 (all processes) | wrk CPU % |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for g in rows:
        lines.append(
            f"| {g['db']} | {g['scenario']} | {g['two']} / {g['one']} | {_num(g['rps_1'], 0)} | "
            f"{_num(g['rps_2'], 0)} | **{_num(g['ratio'])}** | {_num(g['cpu_ms_1'])} | "
            f"{_num(g['cpu_ms_2'])} | {_num(g['wrk_cpu_pct_2'], 0)} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--app", default="app-limiter-1")
    parser.add_argument("--before-after", action="store_true",
                        help="tables of the baseline ('before', from --baseline-ref), the app and "
                             "the probe side by side instead of app and probe")
    args = parser.parse_args()
    for path in args.files:
        results = json.loads(path.read_text())
        print(f"\n<!-- {path.name}: commit {results['app']['commit'][:7]}, "
              f"{results.get('repeat', 1)} repeat(s), {results['load']['duration_s']} s measured, "
              f"wrk -t{results['load']['threads']} -c{results['load']['connections']}; "
              f"loadavg {results.get('uptime_before', '?')} -> {results.get('uptime_after', '?')} -->")
        tables = (before_after_tables(results, args.app, "before") if args.before_after
                  else scenario_tables(results, args.app))
        print("\n".join(tables + growth_table(results, args.app) + process_table(results)))


if __name__ == "__main__":
    main()
