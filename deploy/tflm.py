"""TFLite Micro checks on the host: outputs, the smallest working tensor arena, and a liveness cross-check.

TFLM runs through the ``tflite-micro`` Python package (``tflite_micro.runtime.Interpreter``), an optional
dev dependency: :func:`tflm_available` says whether it is installed. A too-small arena can crash TFLM
(a segfault, not an exception), so :func:`find_arena` probes every size in a *subprocess*
(``python -m deploy.tflm probe MODEL ARENA``) and bisects on the exit status. The first probe, at the
largest size, also reports the arena bytes TFLM's recording allocator counted; the bisection starts from a
bracket around that count: 6 probes per model instead of 11-13 for the default architecture, one more than a
blind bisection when the count falls short (a model whose memory planning needs more than it keeps).

:func:`liveness_peak` is the cross-check: it walks the graph's operators in execution order (from the
LiteRT interpreter, which reads the same flatbuffer) and adds up the bytes of the activation tensors that
are alive at each operator (from their producer to their last consumer). TFLM's arena must hold at least
that peak, plus its persistent allocations (tensor and node structs, quantisation and kernel buffers);
the difference is reported.

No TensorFlow here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["ArenaSearch", "Liveness", "arena_fits", "find_arena", "liveness_peak", "tflm_available", "tflm_invoke"]


def tflm_available() -> bool:
    """True if ``tflite_micro`` imports."""
    try:
        from tflite_micro import runtime  # noqa: F401
    except Exception:
        return False
    return True


def tflm_invoke(
    flatbuffer: bytes, inputs: npt.NDArray[np.int8], *, arena_bytes: int = 256 * 1024
) -> npt.NDArray[np.int8]:
    """Run an int8 model in TFLM on each input row: ``(N, *input_shape_without_batch)`` → ``(N, *output)``."""
    from tflite_micro import runtime

    interp = runtime.Interpreter.from_bytes(flatbuffer, arena_size=int(arena_bytes))
    shape = tuple(int(d) for d in interp.get_input_details(0)["shape"])
    outs = []
    for row in np.asarray(inputs, dtype=np.int8):
        interp.set_input(row.reshape(shape), 0)
        interp.invoke()
        outs.append(np.array(interp.get_output(0))[0])
    return np.stack(outs) if outs else np.zeros((0,), dtype=np.int8)


#: The recording allocator's summary line (``Interpreter.print_allocations``).
_ARENA_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")


def arena_fits(model_path: str | Path, arena_bytes: int, *, timeout_s: float = 60.0) -> bool:
    """True if TFLM allocates and invokes the model with this arena, probed in a subprocess."""
    return _run_probe(model_path, arena_bytes, timeout_s=timeout_s)[0]


def _run_probe(model_path: str | Path, arena_bytes: int, *, timeout_s: float = 60.0) -> tuple[bool, int | None]:
    """(fits, the arena bytes TFLM counted or None) of one subprocess probe."""
    cmd = [sys.executable, "-m", "deploy.tflm", "probe", str(model_path), str(int(arena_bytes))]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return False, None
    fits = proc.returncode == 0 and "ok" in proc.stdout
    total = _ARENA_TOTAL.search(proc.stderr) if fits else None
    return fits, int(total.group(1)) if total else None


@dataclass(frozen=True, kw_only=True)
class ArenaSearch:
    """Result of :func:`find_arena`.

    Fields:
        arena_bytes: smallest size found to work [bytes], rounded up to ``granularity``.
        probes: subprocesses run.
        granularity: search resolution [bytes].
    """

    arena_bytes: int
    probes: int
    granularity: int


def find_arena(
    model_path: str | Path,
    *,
    low: int = 256,
    high: int = 256 * 1024,
    granularity: int = 16,
    use_count: bool = True,
) -> ArenaSearch:
    """Bisect the smallest arena TFLM accepts for the model (each probe in a subprocess).

    With ``use_count``, TFLM's own count of the bytes it allocated (from the probe at ``high``) narrows the
    bracket first: one probe just above the count, one a few steps below. Every bound still comes from a
    probe, so the result is the same kind as a blind bisection's (a size that works, ``granularity`` above
    one that does not) whatever the count says.

    Raises:
        RuntimeError: the model does not run even with ``high`` bytes.
    """
    probes = 1
    fits, counted = _run_probe(model_path, high)
    if not fits:
        raise RuntimeError(f"{model_path}: TFLM cannot run the model with a {high}-byte arena")
    lo, hi = max(0, low - 1), high  # invariant: lo fails (or is below the search), hi works
    if use_count and counted is not None and lo < counted + granularity < hi:
        up, down = counted + granularity, max(lo, counted - 4 * granularity)
        probes += 1
        if not arena_fits(model_path, up):
            lo = up  # the count fell short (planning needs more than it keeps): one probe more than blind
        else:
            hi = up
            if down > lo:
                probes += 1
                if not arena_fits(model_path, down):
                    lo = down
    while hi - lo > granularity:
        mid = (lo + hi) // 2
        probes += 1
        if arena_fits(model_path, mid):
            hi = mid
        else:
            lo = mid
    return ArenaSearch(arena_bytes=hi, probes=probes, granularity=granularity)


@dataclass(frozen=True, kw_only=True)
class Liveness:
    """Peak activation memory from a liveness pass.

    Fields:
        peak_bytes: largest sum of live activation tensors at one operator [bytes].
        peak_op: index of that operator.
        ops: operators in the graph.
        activation_tensors: non-constant tensors (graph inputs, outputs and intermediates).
    """

    peak_bytes: int
    peak_op: int
    ops: int
    activation_tensors: int


def liveness_peak(flatbuffer: bytes) -> Liveness:
    """Liveness pass over the model's operators (see the module docstring)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    # no default delegate: XNNPACK would fold the graph into one DELEGATE op
    interp = Interpreter(
        model_content=flatbuffer,
        num_threads=1,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    ops = interp._get_ops_details()
    details = {int(t["index"]): t for t in interp.get_tensor_details()}
    inputs = [int(d["index"]) for d in interp.get_input_details()]
    outputs = [int(d["index"]) for d in interp.get_output_details()]
    first: dict[int, int] = dict.fromkeys(inputs, 0)
    last: dict[int, int] = {}
    for i, op in enumerate(ops):
        for t in op["outputs"]:
            first.setdefault(int(t), i)
        for t in op["inputs"]:
            if int(t) in first:
                last[int(t)] = i
    for t in outputs:
        last[t] = len(ops) - 1

    def nbytes(t: int) -> int:
        d = details[t]
        return int(np.prod(d["shape"])) * np.dtype(d["dtype"]).itemsize

    peak, peak_op = 0, 0
    for i in range(len(ops)):
        live = sum(nbytes(t) for t, f in first.items() if f <= i <= last.get(t, f))
        if live > peak:
            peak, peak_op = live, i
    return Liveness(peak_bytes=peak, peak_op=peak_op, ops=len(ops), activation_tensors=len(first))


def _probe(model_path: str, arena: int) -> int:
    from tflite_micro import runtime

    fb = Path(model_path).read_bytes()
    interp = runtime.Interpreter.from_bytes(fb, arena_size=arena)
    d = interp.get_input_details(0)
    interp.set_input(np.zeros(tuple(int(s) for s in d["shape"]), dtype=d["dtype"]), 0)
    interp.invoke()
    interp.get_output(0)
    print("ok", flush=True)
    counts = getattr(interp, "print_allocations", None)  # the allocator's counts, on stderr: find_arena's bracket
    if counts is not None:
        counts()
    return 0


if __name__ == "__main__":  # python -m deploy.tflm probe MODEL ARENA
    if len(sys.argv) == 4 and sys.argv[1] == "probe":
        try:
            sys.exit(_probe(sys.argv[2], int(sys.argv[3])))
        except Exception as exc:
            print(f"failed: {exc}")
            sys.exit(1)
    print("usage: python -m deploy.tflm probe MODEL ARENA_BYTES", file=sys.stderr)
    sys.exit(2)
