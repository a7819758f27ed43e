"""How taps move, measured the same way on real and simulated recordings, on TRAINING-side data only.

Usage: python scripts/tap_kinematics.py REAL_DIR SIM_DIR [SIM_DIR ...] [--sim-subjects 0-11]

REAL_DIR holds the imported Acconeer files; only the idx_1, idx_2 and idx_5 days are read (idx_3 and
static_hand_idx_1 are the held-out test set). Each SIM_DIR holds sessions ``sim-sNNN_*.h5``; only the
subjects in ``--sim-subjects`` are read. Per labelled ``tap_in`` and ``double_tap_in``, from the dsp
features of the default pipeline:

- onset runs: hysteresis runs of the default segmenter on the default onset ratio (as
  ``scripts/decision_gaps.py``), and the ratio's dip between its two highest peaks [dB];
- lobes: the frames whose onset ratio is >= 3 dB and whose motion-bin (|v| >= 0.25 m/s) Doppler
  velocity centroid is beyond ±0.12 m/s, grouped by sign: the press (approach, negative) and return
  lobes, the still frames between them (the dwell at the turning point), the still frames between the
  first return and the second press (the pause) and press to press [s];
- speeds: the fastest argmax Doppler bin of the press and of the return frames [m/s] (aliasing at
  ±1.24 m/s caps them);
- depth: the excursion of the strongest point's phase, unwrapped over the 1 kHz sweeps [mm] (a rough
  figure: it undercounts beyond the aliasing speed and mixes the hand's scatterers).

Printed: the median and p10-p90 of each per source and gesture.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import re
from pathlib import Path

import numpy as np
from decision_gaps import session_ratio, sim_subject

import dsp
from dsp.segment import runs_of_span

GESTURES = ("double_tap_in", "tap_in")
ACTIVE_DB = 3.0
SLOW_M_S = 0.12
WAVELENGTH_M = 299_792_458.0 / 60.5e9


def _lobes(ratio: np.ndarray, centroid: np.ndarray) -> list[tuple[int, int]]:
    """``(sign, frames)`` runs of the centroid's sign over active frames (0 = still); one-frame blips are
    still; leading and trailing still runs dropped."""
    s = np.where((ratio >= ACTIVE_DB) & (np.abs(centroid) >= SLOW_M_S), np.sign(centroid), 0).astype(int)
    merged: list[tuple[int, int]] = []
    for k, grp in itertools.groupby(s.tolist()):
        n = len(list(grp))
        k = k if n >= 2 else 0
        if merged and merged[-1][0] == k:
            merged[-1] = (k, merged[-1][1] + n)
        else:
            merged.append((k, n))
    while merged and merged[0][0] == 0:
        merged.pop(0)
    while merged and merged[-1][0] == 0:
        merged.pop()
    return merged


def measure(path: Path) -> list[tuple[str, dict[str, float]]]:
    """Per labelled tap of ``path``: its gesture and its figures (see the module docstring)."""
    s, g, frames, ratio = session_ratio(path)
    motion_runs = dsp.motion_runs(ratio, cfg=dsp.SegmentConfig())
    rate = g.frame_rate_hz
    v = g.velocities_m_s
    moving = np.abs(v) >= dsp.OnsetConfig().min_speed_m_s
    x = np.asarray(frames)
    spec = np.fft.fftshift(
        np.fft.fft((x - x.mean(axis=1, keepdims=True)) * np.hanning(x.shape[1])[:, None], axis=1), axes=1
    )
    power = (np.abs(spec) ** 2).sum(axis=2)[:, moving]
    vm = v[moving]
    centroid = (power * vm).sum(axis=1) / np.maximum(power.sum(axis=1), 1e-12)
    peak_v = vm[np.argmax(power, axis=1)]
    out = []
    for la in s.labels:
        if la.gesture not in GESTURES:
            continue
        a, b = la.start_frame, la.end_frame
        seg = ratio[a:b]
        if seg.size < 10 or not np.all(np.isfinite(seg)):
            continue
        f: dict[str, float] = {"label_s": (b - a) / rate}
        inside = runs_of_span(motion_runs, a, b)
        f["one_run"] = float(len(inside) == 1)
        i1 = int(np.argmax(seg))
        peaks = [
            i for i in range(1, seg.size - 1) if abs(i - i1) >= 6 and seg[i] >= seg[i - 1] and seg[i] >= seg[i + 1]
        ]
        if peaks:
            i2 = max(peaks, key=lambda i: seg[i])
            lo, hi = sorted((i1, i2))
            f["dip_db"] = float(min(seg[i1], seg[i2]) - seg[lo : hi + 1].min())
        active = seg >= 5.0
        if active.any():
            f["press_speed_m_s"] = float(-peak_v[a:b][active].min())
            f["return_speed_m_s"] = float(peak_v[a:b][active].max())
        lobes = _lobes(ratio[a - 5 : b + 5], centroid[a - 5 : b + 5])
        nz = [i for i, (k, _) in enumerate(lobes) if k != 0]
        if len(nz) >= 2 and lobes[nz[0]][0] < 0:
            f["press_s"] = lobes[nz[0]][1] / rate
            f["return_s"] = lobes[nz[1]][1] / rate
            f["dwell_s"] = sum(n for _, n in lobes[nz[0] + 1 : nz[1]]) / rate
            if la.gesture == "double_tap_in" and len(nz) >= 4 and lobes[nz[2]][0] < 0:
                f["pause_s"] = sum(n for _, n in lobes[nz[1] + 1 : nz[2]]) / rate
                f["press_to_press_s"] = sum(n for _, n in lobes[nz[0] : nz[2]]) / rate
        span = x[max(0, a - 5) : b + 5]
        if np.all(np.isfinite(span)):
            dyn = span - span.mean(axis=(0, 1), keepdims=True)
            point = int(np.argmax((np.abs(dyn) ** 2).sum(axis=(0, 1))))
            d = np.unwrap(np.angle(span[:, :, point].reshape(-1))) * WAVELENGTH_M / (4 * np.pi)
            f["depth_mm"] = float((d[: 5 * x.shape[1]].mean() - d.min()) * 1000)
        out.append((la.gesture, f))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("real_dir", type=Path)
    p.add_argument("sim_dirs", type=Path, nargs="+")
    p.add_argument("--sim-subjects", default="0-11", help="inclusive range of simulated subjects (default 0-11)")
    args = p.parse_args()
    lo, hi = (int(v) for v in args.sim_subjects.split("-"))
    sources = {"real": [f for f in sorted(args.real_dir.glob("*.h5")) if re.search(r"idx_[125]\.h5$", f.name)]}
    sources["real"] = [f for f in sources["real"] if "static_hand" not in f.name]
    for d in args.sim_dirs:
        sources[str(d)] = [f for f in sorted(d.glob("sim-s*.h5")) if lo <= sim_subject(f) <= hi]
    keys = (
        "label_s one_run dip_db press_speed_m_s return_speed_m_s press_s dwell_s return_s pause_s "
        "press_to_press_s depth_mm"
    ).split()
    for name, files in sources.items():
        per: dict[str, dict[str, list[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))
        for f in files:
            for gesture, figures in measure(f):
                for k, val in figures.items():
                    per[gesture][k].append(val)
        for gesture in GESTURES:
            n = len(per[gesture]["label_s"])
            print(f"{name}  {gesture}  ({n} events)")
            for k in keys:
                vals = np.asarray(per[gesture].get(k, []))
                if vals.size == 0:
                    continue
                if k == "one_run":
                    print(f"    {k:18s} {int(vals.sum())} of {vals.size}")
                else:
                    q = np.percentile(vals, [50, 10, 90])
                    print(f"    {k:18s} {q[0]:7.3f}  ({q[1]:.3f}-{q[2]:.3f}, n={vals.size})")


if __name__ == "__main__":
    main()
