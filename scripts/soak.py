"""Soak the headless demo: run ``radargest demo --headless --source sim --fast`` for a wall-clock time,
sample its resident memory, and report growth after warm-up with the demo's own frame counters.

    python scripts/soak.py --model BUNDLE --minutes 30 [--warmup-minutes 2] [--csv rss.csv]

Prints one JSON object: RSS after warm-up and at the end [MB], growth [%], and the demo's summary line
(frames, dropped frames, frames/s). Ctrl-C stops the demo early and still reports.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` [MB] from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for pid {pid}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="bundle folder from 'radargest export'")
    ap.add_argument("--minutes", type=float, default=30.0, help="wall-clock length of the soak (default 30)")
    ap.add_argument("--warmup-minutes", type=float, default=2.0, help="RSS baseline is taken after this (default 2)")
    ap.add_argument("--every-s", type=float, default=10.0, help="RSS sampling period [s] (default 10)")
    ap.add_argument("--csv", type=Path, help="write 'elapsed_s,rss_mb' samples here")
    args = ap.parse_args()

    cmd = [sys.executable, "-m", "radargest", "demo", "--headless", "--source", "sim", "--fast", "--model", args.model]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    samples: list[tuple[float, float]] = []
    try:
        while (elapsed := time.monotonic() - t0) < 60.0 * args.minutes and proc.poll() is None:
            samples.append((elapsed, rss_mb(proc.pid)))
            time.sleep(args.every_s)
    except KeyboardInterrupt:
        pass
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    if args.csv:
        args.csv.write_text("elapsed_s,rss_mb\n" + "".join(f"{t:.1f},{r:.2f}\n" for t, r in samples))
    after = [r for t, r in samples if t >= 60.0 * args.warmup_minutes]
    if not after:
        ended = samples[-1][0] if samples else 0.0
        print(f"soak ended after {ended:.0f} s, before the warm-up finished", file=sys.stderr)
        print(err, file=sys.stderr)
        return 1
    report = {
        "command": " ".join(cmd[2:]),
        "wall_s": round(samples[-1][0], 1),
        "rss_after_warmup_mb": round(after[0], 2),
        "rss_end_mb": round(after[-1], 2),
        "rss_max_after_warmup_mb": round(max(after), 2),
        "growth_pct": round(100.0 * (after[-1] - after[0]) / after[0], 3),
        "max_growth_pct": round(100.0 * (max(after) - after[0]) / after[0], 3),
        "exit_code": proc.returncode,
        "demo_summary": err.strip().splitlines()[-3:],
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
