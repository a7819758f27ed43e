"""Enrolment and personalisation: a short simulated enrolment fine-tunes a run and keeps its operating point."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from acquisition.sim import Subject
from acquisition.sim.variation import Variation
from dsp import DecisionConfig
from models.config import read_config, run_decision, write_config
from models.data import DataError, load_recordings, split_recordings
from models.personalise import (
    EnrolConfig,
    enrolment_recordings,
    fitted_prefix_wait_s,
    motion_durations_s,
    personalisation_curve,
    personalise,
    shipped_training_recordings,
    tempo_stretch,
    write_personalisation,
)

TINY = EnrolConfig(reps_per_gesture=1, idle_s=4.0, epochs=1, windows_per_class=4)


def test_enrolment_has_every_gesture_and_idle_background(tiny_run: Path) -> None:
    ds = read_config(tiny_run / "config.toml").dataset
    recs = enrolment_recordings(Subject.from_seed(2600), dataset=ds, reps_per_gesture=2, idle_s=4.0, seed=1)
    assert len(recs) == 2
    assert sorted(la.gesture for la in recs[0].labels) == sorted(ds.gestures * 2)
    assert not recs[1].labels and recs[1].num_frames > 3 * recs[1].frame_rate_hz


def test_personalise_keeps_the_shipped_operating_point(
    tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped operating point and prefix pairs stay; the prefix wait is the one fitted to the enrolment."""
    import models.personalise as mp

    fitted: list[object] = []

    def fit(recs: object, **kw: object) -> float:
        fitted.append(recs)
        return 0.37

    monkeypatch.setattr(mp, "fitted_prefix_wait_s", fit)
    shipped = tmp_path / "shipped"  # a shipped run with rejection, as the recipe's
    shutil.copytree(tiny_run, shipped)
    base = dataclasses.replace(read_config(tiny_run / "config.toml"), min_score=0.55)
    write_config(base, shipped / "config.toml")
    recs = enrolment_recordings(Subject.from_seed(2601), dataset=base.dataset, reps_per_gesture=1, idle_s=4.0, seed=1)
    lines: list[str] = []
    result = personalise(shipped, recs, tmp_path / "p", cfg=TINY, log=lines.append)
    saved = read_config(tmp_path / "p" / "config.toml")
    assert saved.min_score == 0.55 and saved.init == str(shipped.resolve())
    # the log said "min_score 0 (no calibration)" while the shipped one was kept
    assert "operating point: min_score 0.55 (not calibrated)" in lines, lines
    assert saved.prefixes == base.prefixes and saved.close_look == base.close_look
    assert fitted == [recs] and saved.min_prefix_wait_s == 0.37 and run_decision(saved).prefix_wait_s == 0.37
    assert saved.learning_rate == pytest.approx(base.learning_rate / 3)
    assert result.metrics["epochs_run"] == 1
    with pytest.raises(DataError):
        personalise(shipped, recs[1:], tmp_path / "q", cfg=TINY)  # no gesture at all


def test_enrolment_rehearses_the_shipped_training_side_only(tiny_run: Path, tmp_path: Path) -> None:
    """Against forgetting, enrolment replays what the shipped run trained on, never its test side."""
    base = read_config(tiny_run / "config.toml")
    every = load_recordings([Path(p) for p in base.data], cfg=base.dataset)
    split = split_recordings(
        every, base.split, gestures=base.dataset.gestures, window_frames=base.architecture.window_frames, seed=base.seed
    )
    assert split.test, "the fixture run must hold a subject out for this test to mean anything"
    test_paths = {str(every[i].path) for i in split.test}
    shipped = [str(r.path) for r in shipped_training_recordings(base)]
    assert shipped and not test_paths & set(shipped) and len(shipped) == len(split.train) + len(split.val)

    recs = enrolment_recordings(Subject.from_seed(2601), dataset=base.dataset, reps_per_gesture=1, idle_s=4.0, seed=1)
    personalise(tiny_run, recs, tmp_path / "p", cfg=TINY)
    saved = read_config(tmp_path / "p" / "config.toml")
    assert list(saved.rehearsal_data) == shipped and saved.rehearsal_share == TINY.rehearsal_share == 0.5
    assert saved.rehearsal_distill == TINY.rehearsal_distill == 0.8  # the replayed windows keep the shipped outputs
    alone = dataclasses.replace(TINY, rehearsal_share=0.0)
    personalise(tiny_run, recs, tmp_path / "q", cfg=alone)
    q = read_config(tmp_path / "q" / "config.toml")
    assert q.rehearsal_data == () and q.rehearsal_distill == 0.0  # nothing replayed, nothing to distil

    moved = shutil.copytree(tiny_run, tmp_path / "moved")
    write_config(dataclasses.replace(base, data=(str(tmp_path / "gone"),)), moved / "config.toml")
    with pytest.raises(DataError, match="rehearsal share 0"):
        personalise(moved, recs, tmp_path / "r", cfg=TINY)
    personalise(moved, recs, tmp_path / "s", cfg=alone)  # without rehearsal the data is not needed


def test_curve_reports_gain_and_forgetting(tiny_run: Path, tmp_path: Path) -> None:
    r = personalisation_curve(
        tiny_run,
        tmp_path,
        reps=(0, 1),
        others_first_subject=2610,  # training-side subjects the tiny run never trained on (the default is held out)
        first_subject=2620,
        edges={"far": Variation(distance_m=0.18)},
        other_subjects=1,
        test_reps=1,
        cfg=TINY,
    )
    e = r["edges"]["far"]
    assert [p["reps"] for p in e["points"]] == [0, 1]
    assert e["points"][0]["others"] == r["others_base"]
    assert {"gap_to_median", "gain_at_3", "worst_others_drop"} <= set(e)
    assert e["others_drop_at_3"] is None  # no 3-repetition point in this curve
    assert e["worst_others_drop"] == pytest.approx(
        r["others_base"]["event_accuracy"] - e["points"][1]["others"]["event_accuracy"]
    )
    j, p = write_personalisation(r, tmp_path / "out")
    assert json.loads(j.read_text())["reps"] == [0, 1] and p.stat().st_size > 5000


def test_record_enrol_cli(tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import models.personalise as mp
    from radargest.cli import main

    monkeypatch.setattr(mp, "fitted_prefix_wait_s", lambda recs, **kw: 0.37)  # a slow user

    out = tmp_path / "enrol"
    args = ["record", "--enrol", "--init", str(tiny_run), "--source", "sim:2602", "--fast", "--reps", "1"]
    args += ["--idle-s", "3", "--enrol-epochs", "1", "--subject", "new user", "--out", str(out)]
    args += ["--countdown-s", "0.3", "--window-s", "1.2", "--pause-s", "0.3"]
    assert main(args) == 0
    assert (out / "run" / "model.keras").is_file()
    manifest = json.loads((out / "bundle" / "manifest.json").read_text())
    assert manifest["labels"]  # the bundle waits for a second tap as long as the enrolled user needs
    assert manifest["decision"]["prefix_wait_s"] == 0.37 == read_config(out / "run" / "config.toml").min_prefix_wait_s
    kept = tmp_path / "kept"
    assert main([kept.as_posix() if a == str(out) else a for a in args] + ["--enrol-keep-prefix-wait"]) == 0
    assert read_config(kept / "run" / "config.toml").min_prefix_wait_s == 0.0  # the shipped run's
    kept_manifest = json.loads((kept / "bundle" / "manifest.json").read_text())
    assert kept_manifest["decision"]["prefix_wait_s"] == DecisionConfig().prefix_wait_s
    assert len(list(out.glob("*.h5"))) == 2
    assert main(["record", "--enrol", "--subject", "x", "--out", str(out)]) == 2  # --init is required
    assert main(args) == 2  # a second enrolment into OUT would replace OUT/run and OUT/bundle: refused first
    assert len(list(out.glob("*.h5"))) == 2  # before recording anything

    # --overwrite replaces the earlier enrolment's outputs, and only those: its two recordings, what later
    # commands wrote into its run (a quantisation report) and bundle (a firmware build); the user's files stay
    first = set(out.glob("*.h5"))
    (out / "run" / "quant_report.md").write_text("of the earlier model")
    (out / "bundle" / "firmware").mkdir()
    (out / "bundle" / "firmware" / "firmware.elf").write_bytes(b"of the earlier model")
    keep = [out / "mine.h5", out / "notes.txt", out / "run" / "notes.txt", out / "bundle" / "notes.txt"]
    for path in keep:
        path.write_text("the user's")
    assert main([*args, "--overwrite"]) == 0
    assert all(path.read_text() == "the user's" for path in keep)
    assert not (out / "run" / "quant_report.md").exists() and not (out / "bundle" / "firmware").exists()
    new = set(out.glob("*.h5")) - {out / "mine.h5"}
    assert len(new) == 2 and not new & first
    assert sorted(Path(p).name for p in read_config(out / "run" / "config.toml").data) == sorted(p.name for p in new)


def test_event_accuracy_decides_with_the_runs_prefix_pairs(monkeypatch: pytest.MonkeyPatch, tiny_run: Path) -> None:
    """The personalisation curve scores with the run's own prefix pairs, as ``evaluate`` and the map do."""
    import models.personalise as mp

    seen: list[tuple[tuple[str, str], ...]] = []

    def fake_score(predict: object, rec: object, *, dataset: object, window_frames: int, decision: object) -> dict:
        seen.append(decision.prefixes)  # type: ignore[attr-defined]
        return {}

    monkeypatch.setattr(mp, "_score", fake_score)
    ds = read_config(tiny_run / "config.toml").dataset
    pairs = ((ds.gestures[0], ds.gestures[1]),)
    decision = DecisionConfig(min_score=0.5, prefixes=pairs)
    mp.event_accuracy(lambda x: x, [object()], dataset=ds, window_frames=8, decision=decision)  # type: ignore[list-item]
    assert seen == [pairs]


def test_rehearsal_distillation_keeps_the_shipped_outputs_on_the_replayed_side(tiny_run: Path, tmp_path: Path) -> None:
    """Learning without forgetting: with ``rehearsal_distill`` the replayed windows also learn the shipped
    model's own outputs, so after an aggressive fine-tune the model's outputs on the shipped training side
    stay closer to the shipped model's than with labels alone (and the new field is checked and recorded)."""
    import numpy as np

    from models.config import TrainConfig, load_run
    from models.data import cut_windows, materialise
    from models.evaluate import keras_predictor

    base_model, base = load_run(tiny_run)
    t = base.architecture.window_frames
    old = shipped_training_recordings(base)
    x, _ = materialise(
        old, cut_windows(old, range(len(old)), cfg=base.dataset, window_frames=t), cfg=base.dataset, window_frames=t
    )
    p0 = keras_predictor(base_model)(x)
    recs = enrolment_recordings(Subject.from_seed(2603), dataset=base.dataset, reps_per_gesture=1, idle_s=4.0, seed=1)
    drift = {}
    for w in (0.0, 0.9):
        cfg = dataclasses.replace(
            TINY, epochs=4, windows_per_class=16, learning_rate_ratio=10.0, rehearsal_distill=w, fine_tune_weight=1.0
        )
        result = personalise(tiny_run, recs, tmp_path / f"d{w}", cfg=cfg, rehearsal=old)
        assert read_config(tmp_path / f"d{w}" / "config.toml").rehearsal_distill == w
        drift[w] = float(np.abs(keras_predictor(result.model)(x) - p0).sum(axis=1).mean())
    assert drift[0.9] < 0.9 * drift[0.0], drift  # 0.041 against 0.080 with subject 2603
    with pytest.raises(DataError):
        EnrolConfig(rehearsal_distill=1.0)
    with pytest.raises(DataError, match="needs init"):
        TrainConfig(data=base.data, dataset=base.dataset, architecture=base.architecture, rehearsal_distill=0.5)


def test_interpolated_personalisation_lies_between_the_shipped_model_and_its_fine_tune(
    tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fine_tune_weight`` w writes ``(1 - w) * shipped + w * fine-tune`` for every weight tensor, and says so."""
    import numpy as np

    import models.personalise as mp
    from models.config import load_run

    shipped = [np.asarray(w) for w in load_run(tiny_run)[0].get_weights()]
    seen: dict[str, list[np.ndarray]] = {}
    real = mp.interpolate_to_shipped

    def spy(a: list[np.ndarray], b: list[np.ndarray], *, fine_tune_weight: float) -> list[np.ndarray]:
        seen["shipped"], seen["tuned"] = [np.asarray(x) for x in a], [np.asarray(x) for x in b]
        return real(a, b, fine_tune_weight=fine_tune_weight)

    monkeypatch.setattr(mp, "interpolate_to_shipped", spy)
    base = read_config(tiny_run / "config.toml")
    recs = enrolment_recordings(Subject.from_seed(2604), dataset=base.dataset, reps_per_gesture=1, idle_s=4.0, seed=1)
    cfg = dataclasses.replace(TINY, learning_rate_ratio=10.0, fine_tune_weight=0.25)
    result = personalise(tiny_run, recs, tmp_path / "p", cfg=cfg)
    saved = load_run(tmp_path / "p")[0].get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(seen["shipped"], shipped, strict=True))
    moved = [i for i, (a, b) in enumerate(zip(shipped, seen["tuned"], strict=True)) if not np.array_equal(a, b)]
    assert moved  # the fine-tune changed something, so the test can tell the three apart
    for i in moved:
        want = 0.75 * shipped[i].astype(np.float64) + 0.25 * seen["tuned"][i].astype(np.float64)
        np.testing.assert_allclose(saved[i], want, rtol=1e-5, atol=1e-6)
        assert not np.allclose(saved[i], seen["tuned"][i]) or np.allclose(shipped[i], seen["tuned"][i])
    assert result.metrics["fine_tune_weight"] == 0.25
    assert json.loads((tmp_path / "p" / "metrics.json").read_text())["fine_tune_weight"] == 0.25
    weights = mp.interpolate_to_shipped(shipped, seen["tuned"], fine_tune_weight=1.0)
    assert all(np.array_equal(a, b) for a, b in zip(weights, seen["tuned"], strict=True))
    with pytest.raises(DataError, match="fine_tune_weight"):
        EnrolConfig(fine_tune_weight=0.0)


def test_robustness_personalise_cli_takes_the_subjects_and_the_fine_tune_weight(tiny_run: Path, tmp_path: Path) -> None:
    """``--first-subject`` moves the personalisation curve's subjects too (it used to render the held-out 9000s
    whatever was asked), and ``--enrol-fine-tune-weight`` reaches every personalised run."""
    from radargest.cli import main

    out = tmp_path / "pers"
    argv = ["robustness", str(tiny_run), "--personalise", "--quick", "--first-subject", "8000"]
    assert main([*argv, "--enrol-fine-tune-weight", "0.75", "--out", str(out), "--quiet"]) == 0
    cfg = json.loads((out / "personalisation.json").read_text())["config"]
    assert (cfg["others_first_subject"], cfg["first_subject"], cfg["fine_tune_weight"]) == (8000, 8100, 0.75)
    edges = json.loads((out / "personalisation.json").read_text())["edges"]
    assert all("others_drop_at_3" in e for e in edges.values())
    runs = sorted((out / "personalised_runs").glob("*/metrics.json"))
    assert runs and all(json.loads(m.read_text())["fine_tune_weight"] == 0.75 for m in runs)


def test_enrolment_fits_the_prefix_wait_to_the_users_double_taps(tiny_run: Path, tmp_path: Path) -> None:
    """The wait covers the pause of the user's slowest double tap (to renewed motion that lasts, plus one
    frame); a pause inside another gesture, or a double tap of one run, asks for nothing; the decision layer
    waits the longer of that and the shipped wait."""
    from acquisition.labels import Label

    base = read_config(tiny_run / "config.toml")
    ds = base.dataset
    rec = enrolment_recordings(Subject.from_seed(2602), dataset=ds, reps_per_gesture=1, idle_s=0.0, seed=1)[0]
    hold = run_decision(base).prefix_hold_db
    ratio = np.zeros(rec.num_frames, dtype=np.float32)
    ratio[10:15] = 8.0  # first tap
    ratio[18] = hold + 0.5  # a rise that dips again: the hold would not bridge it
    ratio[25:30] = hold + 0.5  # the second tap coming
    ratio[30:35] = 8.0  # second tap
    ratio[60:64] = ratio[72:76] = 8.0  # a wiggle paused for longer: no prefix waits on it
    labels = tuple(
        Label(start_frame=a, end_frame=b, gesture=g, source="sim")
        for a, b, g in ((10, 35, "double_tap_in"), (60, 76, "wiggle"), (90, 95, "double_tap_in"))
    )
    ratio[90:95] = 8.0  # a double tap of one run (fast user): no gap
    user = dataclasses.replace(rec, ratio_db=ratio, labels=labels)
    rate = user.frame_rate_hz
    wait = fitted_prefix_wait_s([user], dataset=ds, decision=run_decision(base))
    assert wait == pytest.approx((25 - 15 + 1) / rate)
    no_pause = dataclasses.replace(user, labels=labels[1:])
    assert fitted_prefix_wait_s([no_pause], dataset=ds, decision=DecisionConfig()) == 0

    # the user's tempo against the shipped run's training recordings: this user's wiggle moves 16 frames (first
    # run start to last run end inside its label), a reference wiggle 8 and 4 frames (median 6)
    wiggles = np.zeros_like(ratio)
    wiggles[60:68] = 8.0
    one = dataclasses.replace(user, ratio_db=wiggles, labels=labels[1:2] * 2)
    ref = [one, dataclasses.replace(one, ratio_db=np.where(np.arange(ratio.size) < 64, wiggles, 0))]
    assert motion_durations_s(ref, segment=ds.segment) == {"wiggle": [8 / rate] * 2 + [4 / rate] * 2}
    assert motion_durations_s([user], segment=ds.segment)["wiggle"] == [16 / rate]
    assert tempo_stretch([user], ref, segment=ds.segment) == pytest.approx(16 / 6)
    shipped = DecisionConfig().prefix_wait_s
    slower = fitted_prefix_wait_s([user], dataset=ds, decision=run_decision(base), reference=ref)
    assert slower == pytest.approx(shipped * 16 / 6)  # longer than its own pauses, by its tempo
    assert tempo_stretch([user], [], segment=ds.segment) is None

    slow = dataclasses.replace(base, min_prefix_wait_s=0.5)  # what personalise writes for a slow user
    assert run_decision(slow).prefix_wait_s == 0.5 and run_decision(base).prefix_wait_s == shipped
    assert run_decision(dataclasses.replace(base, min_prefix_wait_s=0.1)).prefix_wait_s == shipped
    assert run_decision(slow, DecisionConfig(prefix_wait_s=0.7)).prefix_wait_s == 0.7
    write_config(slow, tmp_path / "config.toml")
    assert read_config(tmp_path / "config.toml").min_prefix_wait_s == 0.5
    with pytest.raises(DataError, match="min_prefix_wait_s"):
        dataclasses.replace(base, min_prefix_wait_s=-0.1)
