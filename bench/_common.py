"""Shared by the benchmark scripts: a cached demo database of a given size."""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = Path(os.environ.get("QM_BENCH_DIR", ROOT / "bench" / "out"))


def demo_db(assets: int, seed: int = 1, fresh_copy: bool = False) -> Path:
    """Path of a demo database with ``assets`` assets, built once and reused."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"demo-{assets}.sqlite"
    if not path.exists():
        from app.demo import build_demo
        from app.store.db import close_database, open_database
        tmp = path.with_suffix(".building")
        for p in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
            p.unlink(missing_ok=True)
        open_database(tmp)
        build_demo(assets=assets, seed=seed)
        close_database()
        tmp.rename(path)
    if fresh_copy:
        copy = OUT / f"demo-{assets}-work.sqlite"
        shutil.copy(path, copy)
        return copy
    return path


def peak_mb() -> float:
    """This process's own peak resident memory in MB. Linux's VmHWM belongs to
    the process's own memory map; ru_maxrss also keeps the high-water mark of
    the process it was forked from (the benchmark parent after it built a
    demo district, say), so it overstates a child's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values, p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary(name: str, samples_s, target: str = "") -> str:
    ms = [s * 1000 for s in samples_s]
    return (f"{name}: median {statistics.median(ms):.3f} ms, p99 {pct(ms, 99):.3f} ms, "
            f"max {max(ms):.3f} ms over {len(ms)}" + (f"  (target {target})" if target else ""))


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
