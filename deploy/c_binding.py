"""ctypes binding of the C99 feature, throttle and decision library, for parity checks against the Python pipeline.

:func:`deploy.c_build.build_shared_library` builds the library; :class:`CLibrary` loads it and runs the C
code on numpy frames with the same call pattern as a device. The struct mirrors below follow the headers
field by field; the onset state stays opaque bytes sized by ``rg_onset_state_bytes()``.
"""

from __future__ import annotations

import ctypes
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from deploy.throttle import (
    OnsetBlock,
    Phase,
    ThrottleActions,
    ThrottleConfig,
    ThrottleObservation,
    ThrottleState,
    ThrottleTrace,
)
from dsp.decision import Classifier, Decision, DecisionPolicy

__all__ = ["CDecision", "CDecisionConfig", "CLibrary", "COnsetResult", "CThrottleConfig", "CThrottleState"]

_F = ctypes.c_float
_I = ctypes.c_int32


class COnsetResult(ctypes.Structure):
    """Mirror of ``rg_onset_result``."""

    _fields_ = [("metric", _F), ("floor_db", _F), ("ratio_db", _F)]


class CThrottleConfig(ctypes.Structure):
    """Mirror of ``rg_throttle_config``."""

    _fields_ = [
        ("idle_decimation", _I),
        ("onset_db", _F),
        ("release_db", _F),
        ("warmup_frames", _I),
        ("hold_frames", _I),
        ("max_active_frames", _I),
        ("cooldown_frames", _I),
        ("head_hop_frames", _I),
        ("backoff_frames", _I),
        ("backoff_onset_db", _F),
    ]

    @classmethod
    def of(cls, cfg: ThrottleConfig) -> CThrottleConfig:
        """The C config of a Python :class:`ThrottleConfig` (as config.h would emit it)."""
        return cls(
            cfg.idle_decimation,
            cfg.onset_db,
            cfg.release_db,
            cfg.warmup_frames,
            cfg.hold_frames,
            cfg.max_active_frames,
            cfg.cooldown_frames,
            cfg.head_hop_frames,
            cfg.backoff_frames,
            cfg.backoff_onset_db,
        )


class CThrottleState(ctypes.Structure):
    """Mirror of ``rg_throttle_state``."""

    _fields_ = [
        ("phase", _I),
        ("phase_frames", _I),
        ("active_frames", _I),
        ("since_motion_frames", _I),
        ("since_onset_frames", _I),
        ("hop_frames", _I),
        ("backoff_frames", _I),
    ]

    def to_python(self) -> ThrottleState:
        """The equivalent :class:`ThrottleState`."""
        return ThrottleState(
            phase=Phase(self.phase),
            phase_frames=self.phase_frames,
            active_frames=self.active_frames,
            since_motion_frames=self.since_motion_frames,
            since_onset_frames=self.since_onset_frames,
            hop_frames=self.hop_frames,
            backoff_frames=self.backoff_frames,
        )


class _CObs(ctypes.Structure):
    _fields_ = [("ratio_db", _F), ("decided", _I)]


class _CActions(ctypes.Structure):
    _fields_ = [("full_rate", _I), ("run_encoder", _I), ("run_head", _I), ("reset_head", _I)]


#: ``RG_DECISION_MAX_CLASSES`` of radargest_decision.h.
DECISION_MAX_CLASSES = 16
#: ``RG_DECISION_MAX_OUT`` of radargest_decision.h.
DECISION_MAX_OUT = 4
#: ``RG_DECISION_MAX_POINTS`` of radargest_decision.h.
DECISION_MAX_POINTS = 32


class CDecisionConfig(ctypes.Structure):
    """Mirror of ``rg_decision_config``."""

    _fields_ = [
        ("on_db", _F),
        ("off_db", _F),
        ("min_area_db_frames", _F),
        ("merge_gap_frames", _I),
        ("min_duration_frames", _I),
        ("pre_roll_frames", _I),
        ("post_roll_frames", _I),
        ("settle_frames", _I),
        ("prefix_wait_frames", _I),
        ("early", _I),
        ("min_score", _F),
        ("sure_score", _F),
        ("unsure_wait_frames", _I),
        ("sure_max_runs", _I),
        ("prefix_hold_db", _F),
        ("min_peak_db", _F),
        ("gate_max_point", _I),
        ("num_points", _I),
        ("window_frames", _I),
        ("end_pad_frames", _I),
        ("window_pre_frames", _I),
        ("history_frames", _I),
        ("num_classes", _I),
        ("fallback_superseded", _I),
        ("weak_on_db", _F),
        ("refractory_frames", _I),
        ("weak_min_area_db_frames", _F),
        ("refractory_window", _I),
        ("is_prefix", ctypes.c_uint8 * DECISION_MAX_CLASSES),
        ("is_longer", ctypes.c_uint8 * DECISION_MAX_CLASSES),
    ]

    @classmethod
    def of(cls, policy: DecisionPolicy) -> CDecisionConfig:
        """The C config of a Python policy (the frame counts it uses, as config.h would emit them)."""
        from deploy.c_config import decision_config_values

        k = len(policy.classes)
        if k > DECISION_MAX_CLASSES:
            raise ValueError(f"{k} classes exceed RG_DECISION_MAX_CLASSES={DECISION_MAX_CLASSES}")
        if policy.num_points > DECISION_MAX_POINTS:
            raise ValueError(f"{policy.num_points} range points exceed RG_DECISION_MAX_POINTS={DECISION_MAX_POINTS}")
        flags = (ctypes.c_uint8 * DECISION_MAX_CLASSES)(*[int(v) for v in policy.is_prefix])
        longer = (ctypes.c_uint8 * DECISION_MAX_CLASSES)(*[int(v) for v in policy.is_longer])
        return cls(*[v for _, v in decision_config_values(policy)], flags, longer)


class CDecision(ctypes.Structure):
    """Mirror of ``rg_decision``."""

    _fields_ = [
        ("start_frame", _I),
        ("end_frame", _I),
        ("label", _I),
        ("score", _F),
        ("accepted", _I),
        ("frame", _I),
        ("window_end", _I),
    ]

    def to_python(self) -> Decision:
        return Decision(
            start_frame=self.start_frame,
            end_frame=self.end_frame,
            label=self.label,
            score=float(self.score),
            accepted=bool(self.accepted),
            frame=self.frame,
            window_end=self.window_end,
        )


_CLASSIFY = ctypes.CFUNCTYPE(None, ctypes.c_void_p, _I, _I, _I, ctypes.POINTER(_F))


class CLibrary:
    """The compiled library (built from a given ``config.h``); sizes come from the frames passed in.

    Args:
        path: the shared library from :func:`deploy.c_build.build_shared_library`.
        sweeps, points: frame geometry the library was built for (``RG_SWEEPS``, ``RG_POINTS``).
    """

    def __init__(self, path: str | Path, *, sweeps: int, points: int) -> None:
        self.lib = ctypes.CDLL(str(path))
        self.sweeps = sweeps
        self.points = points
        lib = self.lib
        lib.rg_onset_state_bytes.restype = ctypes.c_uint32
        self.onset_state_bytes = int(lib.rg_onset_state_bytes())
        fp = ctypes.POINTER(_F)
        lib.rg_features_frame.argtypes = [fp, fp]
        lib.rg_features_frame.restype = _F
        lib.rg_features_frame_i16.argtypes = [ctypes.POINTER(ctypes.c_int16), fp]
        lib.rg_features_frame_i16.restype = _F
        lib.rg_features_idle_power.argtypes = [fp]
        lib.rg_features_idle_power.restype = _F
        lib.rg_features_idle_power_full.argtypes = [fp]
        lib.rg_features_idle_power_full.restype = _F
        for name, ptr in (("", fp), ("_i16", ctypes.POINTER(ctypes.c_int16))):
            for where in ("", "_full"):
                fn = getattr(lib, f"rg_features_idle_map{where}{name}")
                fn.argtypes = [ptr, fp]
                fn.restype = None
        lib.rg_onset_init.argtypes = [ctypes.c_void_p, _I, _I]
        lib.rg_onset_init.restype = _I
        lib.rg_onset_process.argtypes = [ctypes.c_void_p, _F, ctypes.POINTER(COnsetResult)]
        lib.rg_onset_process.restype = None
        lib.rg_throttle_init.argtypes = [ctypes.POINTER(CThrottleState)]
        lib.rg_throttle_onset_due.argtypes = [ctypes.POINTER(CThrottleState), ctypes.POINTER(CThrottleConfig)]
        lib.rg_throttle_onset_due.restype = _I
        lib.rg_throttle_step.argtypes = [
            ctypes.POINTER(CThrottleState),
            ctypes.POINTER(_CObs),
            ctypes.POINTER(CThrottleConfig),
            ctypes.POINTER(_CActions),
        ]
        lib.rg_throttle_step.restype = None
        lib.rg_decision_step.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(CDecisionConfig),
            _F,
            _CLASSIFY,
            ctypes.c_void_p,
            ctypes.POINTER(CDecision),
        ]
        lib.rg_decision_step.restype = _I
        lib.rg_decision_step_points.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(CDecisionConfig),
            _F,
            fp,
            _CLASSIFY,
            ctypes.c_void_p,
            ctypes.POINTER(CDecision),
        ]
        lib.rg_decision_step_points.restype = _I
        lib.rg_decision_flush.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(CDecisionConfig),
            _CLASSIFY,
            ctypes.c_void_p,
            ctypes.POINTER(CDecision),
        ]
        lib.rg_decision_flush.restype = _I
        lib.rg_decision_state_bytes.restype = ctypes.c_uint32
        self.decision_state_bytes = int(lib.rg_decision_state_bytes())
        lib.rg_decision_init.argtypes = [ctypes.c_void_p]
        lib.rg_decision_init.restype = None

    def _iq(self, frame: npt.ArrayLike) -> npt.NDArray[np.float32]:
        x = np.asarray(frame)
        if x.shape != (self.sweeps, self.points):
            raise ValueError(f"frame must have shape {(self.sweeps, self.points)}, got shape {x.shape}")
        iq = np.empty((self.sweeps, self.points, 2), dtype=np.float32)
        iq[..., 0] = x.real
        iq[..., 1] = x.imag
        return iq

    def features(
        self, frames: npt.ArrayLike, *, with_map: bool = True, int16: bool = False
    ) -> tuple[npt.NDArray[np.float32] | None, npt.NDArray[np.float32]]:
        """Maps ``(frames, bins, points)`` float32 (None without ``with_map``) and onset powers
        ``(frames,)`` float32 of ``(frames, sweeps, points)`` complex frames. ``int16`` feeds the
        ``_i16`` entry point (samples must be integer-valued)."""
        x = np.asarray(frames)
        n = x.shape[0]
        maps = np.empty((n, self.sweeps, self.points), dtype=np.float32) if with_map else None
        power = np.empty(n, dtype=np.float32)
        fp = ctypes.POINTER(_F)
        for i in range(n):
            iq = self._iq(x[i])
            out = maps[i].ctypes.data_as(fp) if maps is not None else None
            if int16:
                iq16 = np.ascontiguousarray(iq.astype(np.int16))
                power[i] = self.lib.rg_features_frame_i16(iq16.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)), out)
            else:
                power[i] = self.lib.rg_features_frame(iq.ctypes.data_as(fp), out)
        return maps, power

    def idle_map(self, frames: npt.ArrayLike, *, full: bool = True, int16: bool = False) -> npt.NDArray[np.float32]:
        """``rg_features_idle_map_full`` (``full``: ``(frames, sweeps, points)`` full frames) or
        ``rg_features_idle_map`` (``(frames, idle_sweeps, idle points)`` IDLE frames) → ``(frames, bins, points)``
        float32, the maps of :func:`dsp.idle_range_doppler`. ``int16`` feeds the ``_i16`` entry point (samples
        must be integer-valued)."""
        x = np.asarray(frames)
        fp = ctypes.POINTER(_F)
        maps = np.empty((x.shape[0], self.sweeps, self.points), dtype=np.float32)
        fn = getattr(self.lib, f"rg_features_idle_map{'_full' if full else ''}{'_i16' if int16 else ''}")
        for i in range(x.shape[0]):
            iq = np.empty((*x.shape[1:], 2), dtype=np.float32)
            iq[..., 0] = x[i].real
            iq[..., 1] = x[i].imag
            buf = np.ascontiguousarray(iq.astype(np.int16)) if int16 else iq
            ptr = ctypes.POINTER(ctypes.c_int16) if int16 else fp
            fn(buf.ctypes.data_as(ptr), maps[i].ctypes.data_as(fp))
        return maps

    def idle_power(self, frames: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """``rg_features_idle_power`` of ``(frames, idle_sweeps, idle points)`` IDLE frames → ``(frames,)``."""
        x = np.asarray(frames)
        fp = ctypes.POINTER(_F)
        out = np.empty(x.shape[0], dtype=np.float32)
        for i in range(x.shape[0]):
            iq = np.empty((*x.shape[1:], 2), dtype=np.float32)
            iq[..., 0] = x[i].real
            iq[..., 1] = x[i].imag
            out[i] = self.lib.rg_features_idle_power(iq.ctypes.data_as(fp))
        return out

    def new_onset(self, smooth_frames: int, floor_frames: int) -> ctypes.Array[ctypes.c_char]:
        """A fresh onset state with the given window lengths (raises if beyond capacity)."""
        buf = ctypes.create_string_buffer(self.onset_state_bytes)
        if self.lib.rg_onset_init(buf, smooth_frames, floor_frames) != 0:
            raise ValueError(f"onset windows ({smooth_frames}, {floor_frames}) exceed the compiled capacity")
        return buf

    def onset_process(self, state: ctypes.Array[ctypes.c_char], power: float) -> tuple[float, float, float]:
        """One ``rg_onset_process`` call → ``(metric, floor_db, ratio_db)``."""
        res = COnsetResult()
        self.lib.rg_onset_process(state, power, ctypes.byref(res))
        return res.metric, res.floor_db, res.ratio_db

    def onset(
        self, powers: npt.ArrayLike, *, smooth_frames: int, floor_frames: int
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Run a whole stream of powers through one onset state → metric, floor, ratio ``(frames,)``."""
        p = np.asarray(powers, dtype=np.float32)
        st = self.new_onset(smooth_frames, floor_frames)
        out = np.array([self.onset_process(st, float(v)) for v in p], dtype=np.float64).reshape(-1, 3)
        return out[:, 0], out[:, 1], out[:, 2]

    def throttle_step(
        self, state: ThrottleState, obs: ThrottleObservation, *, cfg: ThrottleConfig
    ) -> tuple[ThrottleState, ThrottleActions]:
        """``rg_throttle_step`` with the Python types in and out (for parity with :func:`deploy.throttle.step`)."""
        st = CThrottleState(
            int(state.phase),
            state.phase_frames,
            state.active_frames,
            state.since_motion_frames,
            state.since_onset_frames,
            state.hop_frames,
            state.backoff_frames,
        )
        act = _CActions()
        c_obs = _CObs(obs.ratio_db, int(obs.decided))
        self.lib.rg_throttle_step(ctypes.byref(st), ctypes.byref(c_obs), ctypes.byref(CThrottleConfig.of(cfg)), act)
        return st.to_python(), ThrottleActions(
            full_rate=bool(act.full_rate),
            run_encoder=bool(act.run_encoder),
            run_head=bool(act.run_head),
            reset_head=bool(act.reset_head),
        )

    def emulate(
        self,
        frames: npt.ArrayLike,
        *,
        cfg: ThrottleConfig,
        smooth_frames: int,
        floor_frames: int,
        decide: npt.ArrayLike | None = None,
    ) -> ThrottleTrace:
        """The device loop in C on a fixed-rate stream, emulated like :func:`deploy.throttle.emulate_throttle`:
        an IDLE frame is handed to C as the first ``cfg.idle_sweeps`` sweeps and the IDLE points only (its own
        buffer); C idle
        power on every frame, C map at full rate, C idle-rate onset state, C throttle."""
        x = np.asarray(frames)
        n = x.shape[0]
        mask = np.zeros(n, dtype=bool) if decide is None else np.asarray(decide, dtype=bool)
        onset = self.new_onset(smooth_frames, floor_frames)
        c_cfg = CThrottleConfig.of(cfg)
        st = CThrottleState()
        self.lib.rg_throttle_init(ctypes.byref(st))
        act = _CActions()
        rd = np.empty((self.sweeps, self.points), dtype=np.float32)
        fp = ctypes.POINTER(_F)
        phase = np.zeros(n, dtype=np.int8)
        sensed = np.zeros(n, dtype=bool)
        full = np.zeros(n, dtype=bool)
        computed = np.zeros(n, dtype=bool)
        ratio = np.full(n, np.nan)
        enc = np.zeros(n, dtype=bool)
        head = np.zeros(n, dtype=bool)
        dec = np.zeros(n, dtype=bool)
        block = OnsetBlock()
        decided = 0
        t = 0
        while t < n:
            sensed[t] = True
            is_full = st.phase in (int(Phase.ONSET), int(Phase.ACTIVE))
            full[t] = is_full
            if is_full:
                iq = self._iq(x[t])
                self.lib.rg_features_frame(iq.ctypes.data_as(fp), rd.ctypes.data_as(fp))
                power = self.lib.rg_features_idle_power_full(iq.ctypes.data_as(fp))
            else:  # the device receives only the IDLE frame's sweeps and points
                iq = np.ascontiguousarray(
                    self._iq(x[t])[: cfg.idle_sweeps, cfg.idle_point_offset :: cfg.idle_point_step]
                )
                power = self.lib.rg_features_idle_power(iq.ctypes.data_as(fp))
            block.add(power)
            obs = _CObs(math.nan, decided)
            if self.lib.rg_throttle_onset_due(ctypes.byref(st), ctypes.byref(c_cfg)):
                computed[t] = True
                obs.ratio_db = self.onset_process(onset, block.take())[2]
                ratio[t] = obs.ratio_db
            self.lib.rg_throttle_step(ctypes.byref(st), ctypes.byref(obs), ctypes.byref(c_cfg), ctypes.byref(act))
            enc[t] = bool(act.run_encoder)
            head[t] = bool(act.run_head)
            decided = int(bool(act.run_head) and bool(mask[t]))
            dec[t] = bool(decided)
            nxt = t + (1 if act.full_rate else cfg.idle_decimation)
            phase[t:nxt] = st.phase
            t = nxt
        return ThrottleTrace.of(
            phase=phase,
            sensed=sensed,
            full_rate=full,
            onset_computed=computed,
            ratio_db=ratio,
            encoder=enc,
            head=head,
            decisions=dec,
            head_hop_frames=cfg.head_hop_frames,
        )

    def decide(
        self,
        ratios: npt.ArrayLike,
        classify: Classifier,
        *,
        policy: DecisionPolicy,
        point_power: npt.ArrayLike | None = None,
    ) -> list[Decision]:
        """``rg_decision_step_points`` over a whole onset-ratio stream (fed as float32) then
        ``rg_decision_flush``, with ``classify`` as the callback and the config of ``policy``; every record, in
        order. ``point_power`` ``(frames, points)`` is each frame's onset power per range point (float32;
        fed only if the policy has ranges, as :class:`dsp.DecisionPolicy` uses it only then)."""
        cfg = CDecisionConfig.of(policy)
        k = len(policy.classes)
        state = ctypes.create_string_buffer(self.decision_state_bytes)
        self.lib.rg_decision_init(state)
        out = (CDecision * DECISION_MAX_OUT)()

        def callback(_ctx: int | None, start: int, end: int, window_end: int, probs: ctypes._Pointer[_F]) -> None:
            p = np.asarray(classify(start, end, window_end), dtype=np.float32).reshape(-1)
            for i in range(k):
                probs[i] = float(p[i])

        fn = _CLASSIFY(callback)
        records: list[Decision] = []
        rs = np.asarray(ratios, dtype=np.float32).reshape(-1)
        pw = None
        if point_power is not None and policy.num_points:
            pw = np.ascontiguousarray(np.asarray(point_power, dtype=np.float32).reshape(rs.size, policy.num_points))
        fp = ctypes.POINTER(_F)
        for i, r in enumerate(rs.tolist()):
            row = None if pw is None else pw[i].ctypes.data_as(fp)
            m = self.lib.rg_decision_step_points(state, ctypes.byref(cfg), r, row, fn, None, out)
            records.extend(out[i].to_python() for i in range(m))
        m = self.lib.rg_decision_flush(state, ctypes.byref(cfg), fn, None, out)
        records.extend(out[i].to_python() for i in range(m))
        return records
