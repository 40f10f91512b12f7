"""Fuzz the parser with mutated report bytes in every form; print what happened and the worst cost.

    .venv/bin/python bench/fuzz.py --n 100000 --seed 1       # the full run (takes a while on one core)
    .venv/bin/python bench/fuzz.py --seed 1 --only 4711       # replay input 4711 of that run, in process
    .venv/bin/python bench/fuzz.py --n 50000 --form pdf       # only the PDF inputs among the first 50,000

Input i of a run is a function of (--seed, i) alone (tests/fuzzing.py builds
it), so any input the summary names is replayed with --only. Each parse runs in
one worker process under a memory limit (RLIMIT_AS) and a wall-time limit (the
worker is killed and restarted past it); the worker measures each parse's wall
time and peak RSS (VmHWM, reset before every parse). The run fails (exit code
1) on any uncaught exception, oracle violation, timeout or worker death.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import fuzzing

WEIGHTS = {"text": 0.45, "html": 0.25, "docx": 0.18, "pdf": 0.12}
"""Share of each form among the inputs (PDFs cost the most per parse)."""
MEMORY_LIMIT = 3 << 30
TIME_LIMIT = 60.0


def make_input(seed: int, index: int) -> fuzzing.Input:
    return fuzzing.random_input(random.Random(f"{seed}:{index}"), WEIGHTS)


def _reset_peak() -> bool:
    """Reset the process's peak RSS (Linux: writing 5 to clear_refs); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_rss() -> int:
    """Peak resident set size in bytes since the last reset."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _worker(conn, seed: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    for form in fuzzing.FORMS:
        fuzzing.seeds(form)
    conn.send("ready")
    while True:
        index = conn.recv()
        if index is None:
            return
        try:
            data = make_input(seed, index).build()
        except Exception as exc:  # a defect of the fuzzer itself, reported apart from the parser's
            conn.send(("mutator error", repr(exc)))
            continue
        _reset_peak()
        start = time.perf_counter()
        outcome = fuzzing.check(data)
        elapsed = time.perf_counter() - start
        conn.send((index, outcome, elapsed, _peak_rss(), len(data)))


class Worker:
    def __init__(self, seed: int):
        self.seed = seed
        self._start()

    def _start(self) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.get_context("fork").Process(target=_worker, args=(child, self.seed), daemon=True)
        self.process.start()
        if not self.conn.poll(600) or self.conn.recv() != "ready":
            raise RuntimeError("fuzz worker did not start")

    def run(self, index: int):
        """The worker's answer for one input; ("timeout"|"died", elapsed) when it gives none."""
        start = time.perf_counter()
        self.conn.send(index)
        try:
            ready = self.conn.poll(TIME_LIMIT)
            answer = self.conn.recv() if ready else None
        except (EOFError, OSError):
            answer, ready = None, True
        if answer is not None:
            return answer
        self.process.kill()
        self.process.join()
        self._start()
        return ("died" if ready else "timeout"), time.perf_counter() - start

    def close(self) -> None:
        self.conn.send(None)
        self.process.join(10)


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "-"

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return f"p50 {at(0.5):.4g}  p99 {at(0.99):.4g}  p99.9 {at(0.999):.4g}  max {ordered[-1]:.4g}"


def run(n: int, seed: int, progress: int, form: str | None = None) -> int:
    """Inputs 0..n-1 of the seed; with `form`, only those built from a seed of that form (the
    indices, and so the replays, stay those of the full run)."""
    indices = [i for i in range(n) if form is None or make_input(seed, i).form == form]
    worker = Worker(seed)
    forms, results, by_form_result = Counter(), Counter(), Counter()
    times, peaks, problems = [], [], []
    slowest, reported = (0.0, -1), 0
    started = time.perf_counter()
    for done, index in enumerate(indices, 1):
        answer = worker.run(index)
        if isinstance(answer[0], str):
            detail = answer[1] if isinstance(answer[1], str) else f"after {answer[1]:.1f} s"
            problems.append((index, answer[0], detail))
            continue
        _, outcome, elapsed, peak, _size = answer
        detected = outcome.form or make_input(seed, index).form
        forms[detected] += 1
        results[outcome.result] += 1
        by_form_result[(detected, outcome.result)] += 1
        times.append(elapsed)
        peaks.append(peak / 2**20)
        slowest = max(slowest, (elapsed, index))
        if outcome.result == "exception":
            problems.append((index, "exception", outcome.error.strip().splitlines()[-1]))
        for v in outcome.violations:
            problems.append((index, "violation", v))
        for problem in problems[reported:]:
            print(f"  input {problem[0]}: {problem[1]}: {problem[2]}", file=sys.stderr, flush=True)
        reported = len(problems)
        if progress and done % progress == 0:
            rate = done / (time.perf_counter() - started)
            print(f"  {done} inputs, {rate:.0f}/s, {len(problems)} problems", file=sys.stderr, flush=True)
    worker.close()
    total = time.perf_counter() - started
    ran = len(indices)
    scope = f" (the {form} inputs among the first {n})" if form else ""
    print(f"fuzz: {ran} inputs{scope}, seed {seed}, {total:.0f} s ({ran / total:.0f} inputs/s, one worker)")
    print("\ninputs per detected form (the form the reader chose; mutations can change it):")
    for form, count in sorted(forms.items()):
        detail = ", ".join(f"{r} {c}" for (f, r), c in sorted(by_form_result.items()) if f == form)
        print(f"  {form:6} {count:7}   {detail}")
    print("\noutcomes:")
    for result, count in sorted(results.items()):
        print(f"  {result:32} {count:7}")
    kinds = Counter(kind for _, kind, _ in problems)
    print(
        f"\nuncaught exceptions: {kinds['exception']}   oracle violations: {kinds['violation']}"
        f"   timeouts (> {TIME_LIMIT:.0f} s): {kinds['timeout']}   worker deaths: {kinds['died']}"
        f"   mutator errors: {kinds['mutator error']}"
    )
    print(f"parse wall time (s): {_percentiles(times)}   (slowest: input {slowest[1]})")
    print(
        f"peak RSS of a parse (MiB): {_percentiles(peaks)}   (limit {MEMORY_LIMIT >> 20} MiB address space)"
    )
    for index, kind, detail in problems[:50]:
        print(f"  input {index}: {kind}: {detail}   [{make_input(seed, index).describe()}]")
    return 1 if problems else 0


def replay(seed: int, index: int, dump: Path | None) -> int:
    """One input, in this process, with everything the oracle says about it."""
    case = make_input(seed, index)
    data = case.build()
    if dump is not None:
        dump.write_bytes(data)
    outcome = fuzzing.check(data)
    print(f"input {index}: {case.describe()} ({len(data)} bytes)")
    print(f"detected form: {outcome.form}; result: {outcome.result}")
    for v in outcome.violations:
        print(f"  violation: {v}")
    if outcome.error:
        print(outcome.error)
    return 1 if outcome.violations or outcome.result == "exception" else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="how many inputs")
    parser.add_argument(
        "--seed", type=int, default=1, help="the run's seed (input i is a function of it and i)"
    )
    parser.add_argument("--only", type=int, default=None, metavar="INDEX", help="replay one input in process")
    parser.add_argument("--dump", type=Path, default=None, help="with --only: write the input's bytes here")
    parser.add_argument("--form", choices=sorted(WEIGHTS), default=None, help="run only inputs of this form")
    parser.add_argument("--progress", type=int, default=5000, help="print a progress line every N inputs")
    args = parser.parse_args(argv)
    if args.only is not None:
        return replay(args.seed, args.only, args.dump)
    return run(args.n, args.seed, args.progress, args.form)


if __name__ == "__main__":
    sys.exit(main())
