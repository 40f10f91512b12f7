"""The whole pipeline at N reports (fetch → parse → stage → checks → warehouse → dbt → publish), per stage.

Runs `ogi build` (the real Dagster definitions, in-process) on a synthetic
corpus of N reports of 2010-2024 (bench/corpus.py) with a fresh data
directory, then a re-run with nothing new, then a re-run after adding N/10
reports of a new year, 2025. Prints, per stage (Dagster step): wall time,
reports/s, peak RSS of the process tree while the step ran (the parse workers
and dbt included) and, of it, the peak of the Dagster process itself, and the
size of what the step wrote; then the scaling ratios between successive N.
Each N runs in its own process, so peaks do not carry over. A figure, not a test.

    .venv/bin/python bench/pipeline_bench.py --n 1000 --n 10000 [--n 100000] [--http] [--workers 2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_DIR = ROOT / "build" / "bench"
STAGES = (
    ("fetch", "raw_documents", ("raw", "manifest")),
    ("parse", "parsed_reports", ("parsed",)),
    ("stage+contracts", "staged_tables", ("staged",)),
    ("warehouse+GE", "warehouse", ()),
    ("dbt", "dbt_models", ("warehouse",)),
    ("publish", "release", ("dist",)),
)
"""(name shown, Dagster step key, folders of the data dir it writes)."""
BASE_YEARS = tuple(range(2010, 2025))
NEW_YEAR = 2025
"""The first build covers BASE_YEARS; the growth step adds the last year with a partition (ended)."""


def _tree_rss(pid: int) -> tuple[int, int]:
    """Resident bytes of a process and all its descendants, and of the process alone (from /proc)."""
    total, own, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                rss = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:"))
            total += rss
            own = own or rss
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total, own


class Sampler(threading.Thread):
    """(time, tree RSS, own RSS) every `every` seconds until stopped."""

    def __init__(self, every: float = 0.2):
        super().__init__(daemon=True)
        self.every, self.samples, self._halt = every, [], threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append((time.time(), *_tree_rss(os.getpid())))
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def peak(self, start: float, end: float, own: bool = False) -> int:
        return max((s[2 if own else 1] for s in self.samples if start <= s[0] <= end), default=0)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _timed_build(data: Path, catalog: Path, args, sampler: Sampler) -> dict:
    import dagster as dg

    from orchestration.build import build

    instance = dg.DagsterInstance.ephemeral()
    start = time.time()
    results = build(
        data,
        catalog,
        instance=instance,
        parse_workers=args.workers,
        fetch_min_interval=0.0 if args.http else None,
    )
    end = time.time()
    steps: dict[str, list[float]] = {}
    for r in results:
        for s in instance.get_run_step_stats(r.run_id):
            if s.start_time and s.end_time:
                steps.setdefault(s.step_key, []).append((s.start_time, s.end_time))
    return {
        "ok": all(r.success for r in results),
        "runs": len(results),
        "wall": end - start,
        "peak": sampler.peak(start, end),
        "own": sampler.peak(start, end, own=True),
        "steps": {
            key: {
                "wall": sum(e - s for s, e in spans),
                "peak": max(sampler.peak(s, e) for s, e in spans),
                "own": max(sampler.peak(s, e, own=True) for s, e in spans),
            }
            for key, spans in steps.items()
        },
    }


def one(n: int, args) -> dict:
    """Build N reports from scratch, re-run with nothing new, then add a year; figures as a dict."""
    sys.path.insert(0, str(ROOT / "bench"))
    import corpus

    t0 = time.time()
    entries = corpus.generate(n, seed=args.seed, years=BASE_YEARS)
    added = corpus.generate(max(1, n // 10), seed=args.seed, years=(NEW_YEAR,))
    generated = time.time() - t0
    data = BENCH_DIR / f"n{n}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    server = corpus.serve(args.seed) if args.http else None
    base = server.base_url if server else None
    catalog = corpus.write_catalog(data / "catalog.csv", entries, seed=args.seed, base_url=base)
    os.environ["OGI_DIST_DIR"] = str(data / "dist")
    sampler = Sampler()
    sampler.start()
    try:
        first = _timed_build(data, catalog, args, sampler)
        first["sizes"] = {name: sum(_size(data / d) for d in dirs) for name, _, dirs in STAGES}
        again = _timed_build(data, catalog, args, sampler)
        corpus.write_catalog(data / "catalog.csv", [*entries, *added], seed=args.seed, base_url=base)
        grown = _timed_build(data, catalog, args, sampler)
    finally:
        sampler.stop()
        if server:
            server.stop()
    forms = dict(corpus.form_counts(entries))
    return {"n": n, "forms": forms, "generate": generated, "first": first, "again": again, "grown": grown}


def _mib(b: int) -> str:
    return f"{b / 2**20:8.0f} MiB"


def show(fig: dict) -> None:
    n, first = fig["n"], fig["first"]
    print(f"\nN = {n:,} reports {fig['forms']}  (corpus ready in {fig['generate']:.0f} s)")
    print(f"{'stage':16} {'wall':>9} {'reports/s':>10} {'peak RSS':>13} {'of which ogi':>13} {'output':>13}")
    steps = first["steps"]
    for name, key, _ in STAGES:
        s = steps.get(key, {"wall": 0.0, "peak": 0, "own": 0})
        rate = n / s["wall"] if s["wall"] else 0
        print(
            f"{name:16} {s['wall']:8.1f}s {rate:10.0f} {_mib(s['peak']):>13} {_mib(s['own']):>13}"
            f" {_mib(first['sizes'][name]):>13}"
        )
    other = first["wall"] - sum(s["wall"] for s in steps.values())
    print(f"{'(dagster, other)':16} {other:8.1f}s")
    print(
        f"{'end to end':16} {first['wall']:8.1f}s {n / first['wall']:10.0f} {_mib(first['peak']):>13}"
        f" {_mib(first['own']):>13}"
        f"   ok={first['ok']} runs={first['runs']}"
    )
    again, grown = fig["again"], fig["grown"]
    print(f"no-change re-run: {again['wall']:.1f} s, {again['runs']} Dagster runs, ok={again['ok']}")
    ran = ", ".join(f"{k} {v['wall']:.1f}s" for k, v in grown["steps"].items())
    print(
        f"add {max(1, n // 10):,} reports of {NEW_YEAR}: {grown['wall']:.1f} s, {grown['runs']} runs "
        f"(peak {_mib(grown['peak']).strip()}): {ran}"
    )


def ratios(figs: list[dict]) -> None:
    for a, b in itertools.pairwise(figs):
        k = b["n"] / a["n"]
        t = b["first"]["wall"] / a["first"]["wall"]
        m = b["first"]["peak"] / max(1, a["first"]["peak"])
        print(f"\n{a['n']:,} → {b['n']:,} ({k:.0f}× the work): time ×{t:.2f}, peak RSS ×{m:.2f}")
        for name, key, _ in STAGES:
            sa, sb = a["first"]["steps"].get(key), b["first"]["steps"].get(key)
            if sa and sb and sa["wall"]:
                t, m = sb["wall"] / sa["wall"], sb["peak"] / max(1, sa["peak"])
                print(f"  {name:16} time ×{t:6.2f}  peak ×{m:5.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, action="append", help="reports (repeat for several sizes)")
    ap.add_argument("--http", action="store_true", help="fetch from a server on 127.0.0.1, not from files")
    ap.add_argument("--workers", type=int, default=0, help="parse processes (default: every core)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    import corpus

    args.seed = args.seed or corpus.SEED
    if args.one:
        print(json.dumps(one(args.n[0], args)))
        return
    figs = []
    for n in args.n or [1000, 10_000]:
        cmd = [sys.executable, __file__, "--one", "--n", str(n), "--workers", str(args.workers)]
        cmd += ["--seed", str(args.seed)] + (["--http"] if args.http else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        figs.append(json.loads(out.strip().splitlines()[-1]))
        show(figs[-1])
        if args.json:
            args.json.write_text(json.dumps(figs, indent=1) + "\n")
    ratios(figs)


if __name__ == "__main__":
    main()
