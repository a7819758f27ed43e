"""The robustness map: per-factor scoring on rendered simulated subjects, its files and its CLI (the tests render
training-side subjects; the product's default is the held-out 9000s)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from tiny_models import GESTURES

import dsp
from dsp.decision import DecisionConfig
from models.config import read_config, run_decision
from models.data import DataError, DatasetConfig
from models.robustness import (
    FACTORS,
    RobustnessConfig,
    acceptance_checks,
    robustness_map,
    robustness_run,
    write_robustness,
)

DATASET = DatasetConfig(gestures=GESTURES)
#: the tests' simulated subject: training-side (the library's default, 9000, is a held-out subject)
FIRST_SUBJECT = 2700


def _constant(cls: int):  # type: ignore[no-untyped-def]
    def predict(x: np.ndarray) -> np.ndarray:
        p = np.zeros((len(x), len(DATASET.classes)), dtype=np.float32)
        p[:, cls] = 1.0
        return p

    return predict


def test_map_scores_only_the_gestures_a_factor_touches() -> None:
    cfg = RobustnessConfig.quick(factors=("double_tap_gap", "tempo"), reps_per_gesture=2, first_subject=FIRST_SUBJECT)
    dtap = DATASET.classes.index("double_tap_in")
    result = robustness_map(_constant(dtap), dataset=DATASET, window_frames=50, cfg=cfg)
    gap = result["factors"]["double_tap_gap"]
    assert gap["gestures"] == ["double_tap_in"] and [p["level"] for p in gap["points"]] == [0.02, 0.5]
    first = gap["points"][0]
    assert first["truth"] == 2 and first["on_truth"] >= 1
    assert first["event_accuracy"] == 1.0  # a model that always says double_tap_in is right on double taps
    # 0.5 s is beyond the double tap's definition (0.30 s pause): kept and flagged, not hidden
    assert [p["beyond_definition"] for p in gap["points"]] == [False, True] and gap["defined_up_to"] == 0.30
    tempo = result["factors"]["tempo"]["points"][0]
    assert set(tempo["per_gesture"]) == set(GESTURES)
    assert tempo["per_gesture"]["tap_in"]["event_accuracy"] == 0.0
    assert tempo["event_accuracy"] < 0.5
    none = robustness_map(_constant(0), dataset=DATASET, window_frames=50, cfg=cfg)
    assert none["factors"]["double_tap_gap"]["points"][0]["event_accuracy"] == 0.0
    # what became of each true event: the split sums to the truth and names the stage that lost it
    for res, lost in ((result, "wrong_class"), (none, "rejected")):
        point = res["factors"]["tempo"]["points"][0]
        o = point["per_gesture"]["tap_in"]["outcomes"]
        assert sum(o.values()) == point["per_gesture"]["tap_in"]["truth"] and o["right"] == 0
        assert o[lost] == point["per_gesture"]["tap_in"]["on_truth"] > 0
        assert o["no_candidate"] == point["per_gesture"]["tap_in"]["truth"] - o[lost]
        total = point["outcomes"]
        assert total == {k: sum(g["outcomes"][k] for g in point["per_gesture"].values()) for k in total}
    assert result["factors"]["tempo"]["points"][0]["per_gesture"]["double_tap_in"]["outcomes"]["wrong_class"] == 0
    # the run's own prefix pairs reach the decision layer: one that closes a cycle is refused
    with pytest.raises(dsp.ParameterError, match="prefixes of each other"):
        robustness_map(
            _constant(dtap),
            dataset=DATASET,
            window_frames=50,
            cfg=cfg,
            decision=dsp.DecisionConfig(prefixes=(("double_tap_in", "tap_in"),)),
        )


def test_checks_and_files(tmp_path: Path) -> None:
    result = {
        "config": {"subjects": 1, "reps_per_gesture": 1, "min_score": 0.0},
        "factors": {
            "tempo": {
                "label": "tempo",
                "nominal": 1.0,
                "gestures": list(GESTURES),
                "points": [
                    {"level": v, "event_accuracy": a, "recall": a}
                    for v, a in ((0.6, 0.91), (0.7, 0.96), (1.0, 1.0), (1.4, 0.94), (1.6, 0.85))
                ],
            },
            "distance": {
                "label": "distance",
                "nominal": 0.1,
                "gestures": list(GESTURES),
                "points": [
                    {"level": v, "event_accuracy": a, "recall": r}
                    for v, a, r in ((0.05, 1.0, 1.0), (0.1, 0.98, 0.97), (0.2, 0.97, 0.55))
                ],
            },
        },
    }
    checks = acceptance_checks(result)
    assert checks["values"]["tempo_0.7_1.4_min"] == 0.94 and checks["passed"]["tempo_0.7_1.4_min"] is False
    assert checks["values"]["tempo_ends_min"] == 0.85
    # the far hands go mostly unanswered: the bar passes on event accuracy, and the recall beside it says so
    assert checks["values"]["distance_min"] == 0.97 and checks["passed"]["distance_min"] is True
    assert checks["recall"]["distance_min"] == 0.55 and checks["recall"]["tempo_ends_min"] == 0.85
    empty = acceptance_checks({"factors": {}})
    assert empty["values"]["distance_min"] is None and empty["recall"]["distance_min"] is None
    j, p = write_robustness(result, tmp_path, compare=result)
    assert json.loads(j.read_text())["factors"]["tempo"]["points"][1]["level"] == 0.7
    assert p.stat().st_size > 10_000


def test_config_validation_and_levels() -> None:
    with pytest.raises(DataError, match="unknown factor"):
        RobustnessConfig(factors=("speed",))
    tempo = next(f for f in FACTORS if f.name == "tempo")
    assert RobustnessConfig(levels=3).factor_levels(tempo) == (0.6, 1.0, 1.6)


def test_map_and_curve_refuse_a_run_sized_for_another_frame_rate(tiny_run: Path, tmp_path: Path) -> None:
    """The simulator renders the preset free-running (57.1 Hz for gesture_close) whatever rate the run was trained
    at: a window of 26 frames (a 30 Hz run) covered half the gesture there, and the map was drawn from it."""
    import dataclasses
    import shutil

    from models.config import read_config, write_config
    from models.personalise import personalisation_curve

    def never(x: np.ndarray) -> np.ndarray:
        raise AssertionError("nothing is rendered or scored for a refused run")

    cfg = RobustnessConfig.quick(factors=("tempo",), first_subject=2600)
    with pytest.raises(DataError, match=r"renders preset 'gesture_close' at frame rate 57.1 Hz against the run's 29.7"):
        robustness_map(never, dataset=DATASET, window_frames=26, cfg=cfg)
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    tcfg = read_config(run / "config.toml")
    slow = dataclasses.replace(tcfg.dataset.window, window_s=2 * tcfg.dataset.window.window_s)  # the same frames
    write_config(dataclasses.replace(tcfg, dataset=dataclasses.replace(tcfg.dataset, window=slow)), run / "config.toml")
    with pytest.raises(DataError, match=r"against the run's 28.6 Hz .* trained at about 57.1 Hz"):
        personalisation_curve(run, tmp_path / "work", others_first_subject=2600, first_subject=2650)
    assert not (tmp_path / "work").exists()


def test_cli_writes_the_map(tiny_run: Path, tmp_path: Path) -> None:
    from radargest.cli import main

    out = tmp_path / "map"
    code = main(
        [
            "robustness",
            str(tiny_run),
            "--quick",
            "--factors",
            "distance,dropped_frames",
            "--first-subject",
            str(FIRST_SUBJECT),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    result = json.loads((out / "robustness.json").read_text())
    assert list(result["factors"]) == ["distance", "dropped_frames"]
    assert result["config"]["first_subject"] == FIRST_SUBJECT
    assert result["training_side_subjects"] == []  # seeds the run trained on would be named there
    assert result["checks"]["values"]["distance_min"] is not None
    assert (out / "robustness.png").is_file()
    assert main(["robustness", str(tiny_run), "--factors", "speed", "--out", str(out)]) == 2


def test_map_at_a_given_operating_point(tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--min-score`` decides at that threshold instead of the run's (passed to the map and recorded in its config),
    leaves the run untouched, and is refused with --personalise, which enrols at the shipped operating point."""
    import models.robustness
    from radargest.cli import main

    before = (tiny_run / "config.toml").read_text()
    common = ["--quick", "--factors", "distance", "--first-subject", str(FIRST_SUBJECT), "--quiet"]
    assert main(["robustness", str(tiny_run), *common, "--min-score", "0.7", "--out", str(tmp_path / "m")]) == 0
    assert json.loads((tmp_path / "m" / "robustness.json").read_text())["config"]["min_score"] == 0.7
    assert (tiny_run / "config.toml").read_text() == before
    assert main(["robustness", str(tiny_run), "--personalise", "--min-score", "0.5", "--out", str(tmp_path)]) == 2
    with pytest.raises(SystemExit) as refused:  # outside [0, 1]: argparse's usage error
        main(["robustness", str(tiny_run), *common, "--min-score", "1.5", "--out", str(tmp_path)])
    assert refused.value.code == 2

    seen: list[DecisionConfig] = []

    def fake_map(predict: object, *, decision: DecisionConfig, **kwargs: object) -> dict[str, object]:
        seen.append(decision)
        return {}

    monkeypatch.setattr(models.robustness, "robustness_map", fake_map)
    cfg = RobustnessConfig.quick(factors=("distance",), first_subject=FIRST_SUBJECT)
    robustness_run(tiny_run, cfg=cfg, min_score=0.25)
    robustness_run(tiny_run, cfg=cfg)
    own = run_decision(read_config(tiny_run / "config.toml"))
    assert seen == [dataclasses.replace(own, min_score=0.25), own]  # only the threshold differs


def test_stretch_axis_scales_doppler_and_shifts_range() -> None:
    from models.data import stretch_axis

    x = np.zeros((2, 16, 6), dtype=np.float32)
    x[:, 8 + 2, 3] = 1.0  # a target two bins above zero velocity, at point 3
    faster = stretch_axis(x, 2.0, axis=1, centre=8)
    assert faster[0, 8 + 4, 3] == pytest.approx(1.0) and faster[0, 8 + 2, 3] == 0.0
    assert stretch_axis(x, 1.0, axis=1, centre=8) == pytest.approx(x)
    moved = stretch_axis(x, 1.0, axis=2, centre=0, shift=1.0)
    assert moved[0, 10, 4] == pytest.approx(1.0) and moved[0, 10, 3] == 0.0
    half = stretch_axis(x, 1.0, axis=2, centre=0, shift=0.5)
    assert half[0, 10, 3] == pytest.approx(0.5) and half[0, 10, 4] == pytest.approx(0.5)
    assert x[0, 10, 3] == 1.0  # input unchanged


def test_feature_augmentation_changes_training_windows_only(sim_recordings: list) -> None:
    from models.data import AugmentConfig, cut_windows, materialise

    w = cut_windows(sim_recordings, [0], cfg=DATASET, window_frames=80)
    w = w.subset(np.flatnonzero(w.kind == 0)[:4])
    plain, _ = materialise(sim_recordings, w, cfg=DATASET, window_frames=80)
    off = AugmentConfig(
        amplitude_db=0,
        noise_rel=0,
        speed_warp=(1, 1),
        probability=1,
        wake_probability=0,
        doppler_scale=(1, 1),
        range_shift_points=0,
    )
    same, _ = materialise(sim_recordings, w, cfg=DATASET, window_frames=80, augment=off, rng=np.random.default_rng(0))
    np.testing.assert_allclose(same, plain, atol=1e-5)
    on = AugmentConfig(
        amplitude_db=0,
        noise_rel=0,
        speed_warp=(1, 1),
        probability=1,
        wake_probability=0,
        doppler_scale=(1.5, 1.5),
        range_shift_points=0,
    )
    stretched, _ = materialise(
        sim_recordings, w, cfg=DATASET, window_frames=80, augment=on, rng=np.random.default_rng(0)
    )
    assert np.abs(stretched - plain).max() > 0.05
    with pytest.raises(DataError, match="doppler_scale"):
        AugmentConfig(doppler_scale=(1.2, 0.9))
