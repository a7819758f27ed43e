"""The acquisition commands end to end through the console script, bad input included."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from acconeer.exptool import a121
from cli_helpers import assert_one_line_error, run

from acquisition import load_session


def test_simulate_writes_labelled_sessions_in_parallel(tmp_path: Path) -> None:
    proc = run(
        "simulate", "--subjects", "2", "--sessions-per-subject", "2", "--gestures", "tap_in,wiggle",
        "--reps", "2", "--out", str(tmp_path), "--workers", "2",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    files = sorted(tmp_path.glob("*.h5"))
    assert [f.name for f in files] == [
        "sim-s000_sess00.h5", "sim-s000_sess01.h5", "sim-s001_sess00.h5", "sim-s001_sess01.h5",
    ]  # fmt: skip
    for f in files:
        assert a121.load_record(f).frames.shape[1:] == (16, 6)
        assert sorted(lab.gesture for lab in load_session(f).labels) == ["tap_in", "tap_in", "wiggle", "wiggle"]
    again = run("simulate", "--subjects", "1", "--out", str(tmp_path))
    assert_one_line_error(again, "exists", "--overwrite")


def test_simulate_everyday_writes_streams_labelled_by_cause(tmp_path: Path) -> None:
    proc = run(
        "simulate", "--everyday", "--subjects", "2", "--first-subject", "500", "--minutes", "1.5",
        "--gesture-rate-per-min", "2", "--out", str(tmp_path), "--workers", "2",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "3 min in all" in proc.stdout and "simulated min" in proc.stderr  # summary and progress bar
    files = sorted(tmp_path.glob("*.h5"))
    assert [f.name for f in files] == ["sim-s500_everyday00.h5", "sim-s501_everyday00.h5"]
    for f in files:
        session = load_session(f)
        assert 1.4 * 60 < session.duration_s <= 1.5 * 60
        assert session.negatives and {n.source for n in session.negatives} == {"sim"}
        assert {lab.source for lab in session.labels} <= {"sim"}
    assert_one_line_error(run("simulate", "--everyday", "--out", str(tmp_path), "--negatives", "sneeze"), "sneeze")
    bad = run("simulate", "--everyday", "--out", str(tmp_path), "--minutes", "0")
    assert bad.returncode == 2 and "--minutes: '0' must be > 0" in bad.stderr and "Traceback" not in bad.stderr


def test_simulate_everyday_hold_before_sets_the_hover_before_each_gesture(tmp_path: Path) -> None:
    """``--hold-before-s`` renders users who gesture as the hand arrives (the default hovers 0.6-2.5 s first)."""
    import json

    proc = run(
        "simulate", "--everyday", "--subjects", "1", "--first-subject", "501", "--minutes", "2",
        "--gesture-rate-per-min", "3", "--hold-before-s", "0.05,0.1", "--out", str(tmp_path / "q"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (path,) = sorted((tmp_path / "q").glob("*.h5"))
    with h5py.File(path, "r") as f:
        events = json.loads(f["radargest"].attrs["simulator"])["events"]
    hovers = [e for e in events if e["name"] == "hover"]
    gestures = [e for e in events if e["kind"] == "gesture"]
    assert gestures
    for g in gestures:  # the hover each gesture is performed from: it began last before the gesture
        h = max((e for e in hovers if e["start_s"] < g["start_s"]), key=lambda e: e["start_s"])
        assert 0.05 <= g["start_s"] - h["start_s"] - h["params"]["in_s"] <= 0.1 + 1e-9
    bad = run("simulate", "--everyday", "--hold-before-s", "0.5,0.1", "--out", str(tmp_path / "b"))
    assert bad.returncode == 2 and "argument --hold-before-s: '0.5,0.1' must be MIN,MAX" in bad.stderr
    unused = run("simulate", "--hold-before-s", "0.1,0.2", "--out", str(tmp_path / "c"))
    assert_one_line_error(unused, "--hold-before-s applies only with --everyday")


def test_simulate_is_repeatable(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert run("simulate", "--subjects", "1", "--reps", "1", "--out", str(tmp_path / name)).returncode == 0
    a, b = (load_session(tmp_path / n / "sim-s000_sess00.h5") for n in ("a", "b"))
    np.testing.assert_array_equal(a.frames, b.frames)
    assert a.labels == b.labels


def test_simulate_hwaas_averages_the_noise_down_and_refuses_a_sweep_longer_than_its_period(tmp_path: Path) -> None:
    noise = {}
    for hwaas in ("4", "16"):
        out = tmp_path / hwaas
        proc = run(
            "simulate", "--everyday", "--negatives", "empty", "--gesture-rate-per-min", "0", "--minutes", "0.2",
            "--subjects", "1", "--hwaas", hwaas, "--out", str(out), "--quiet",
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        session = load_session(out / "sim-s000_everyday00.h5")
        assert session.sensor_config.hwaas == int(hwaas)
        noise[hwaas] = float(np.std(np.diff(session.frames, axis=1)))  # empty field: sweep to sweep is noise
    # thermal noise power ∝ 1/hwaas (×2 in amplitude from 4 to 16); the leakage's phase noise does not average
    assert noise["4"] / noise["16"] > 1.5
    too_long = run("simulate", "--hwaas", "511", "--out", str(tmp_path / "x"))
    assert_one_line_error(too_long, "hwaas 511", "longer than the 1.00 ms period")
    assert not (tmp_path / "x").exists()


def test_guided_record_of_one_prompt_says_prompt(tmp_path: Path) -> None:
    """``Recording 1 prompts to ...`` was the first line a one-gesture, one-repetition session printed."""
    proc = run(
        "record", "--source", "sim", "--gestures", "tap_in", "--reps", "1", "--subject", "ann",
        "--out", str(tmp_path), "--fast", "--countdown-s", "1", "--pause-s", "0.5",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Recording 1 prompt to " in proc.stdout


def test_guided_record_from_a_replay_warns_that_the_prompts_label_the_replays_motion(
    tmp_path: Path, sim_dir: Path
) -> None:
    """A replay's motion was stored under the prompted gesture with no word (the audit's tap_out as tap_in)."""
    replay = sorted(sim_dir.glob("*.h5"))[0]
    proc = run(
        "record", "--source", f"replay:{replay}", "--gestures", "tap_in", "--reps", "1", "--subject", "ann",
        "--out", str(tmp_path), "--fast", "--countdown-s", "1", "--pause-s", "0.5",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "nobody performs the prompts" in proc.stderr and "no labelled recording" in proc.stderr


def test_guided_record_with_sim_then_labels_csv_round_trip(tmp_path: Path) -> None:
    proc = run(
        "record", "--source", "sim", "--gestures", "tap_in,wiggle", "--reps", "2", "--subject", "ann",
        "--out", str(tmp_path), "--fast", "--countdown-s", "1",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("GO") == 4 and "3..." not in proc.stdout and "1..." in proc.stdout
    (path,) = tmp_path.glob("ann_*.h5")
    session = load_session(path)
    assert [lab.gesture for lab in session.labels] == ["tap_in", "tap_in", "wiggle", "wiggle"]
    assert {lab.source for lab in session.labels} == {"prompt"}
    assert session.meta is not None and session.meta.subject == "ann" and session.meta.simulator_params

    csv = tmp_path / "labels.csv"
    assert run("labels", "export", str(path), str(csv)).returncode == 0
    text = csv.read_text().replace(",wiggle,prompt", ",wiggle,manual")
    csv.write_text(text)
    assert run("labels", "import", str(path), str(csv)).returncode == 0
    assert [lab.source for lab in load_session(path).labels] == ["prompt", "prompt", "manual", "manual"]


def test_labels_import_refuses_overlapping_rows_and_leaves_the_recording(tmp_path: Path, sim_dir: Path) -> None:
    """Two rows sharing frames were stored as they were (a frame of two gestures); now the import names both
    rows and writes nothing."""
    import shutil

    rec = tmp_path / "rec.h5"
    shutil.copy(sorted(sim_dir.glob("*.h5"))[0], rec)
    before = rec.read_bytes()
    csv = tmp_path / "labels.csv"
    csv.write_text("start_frame,end_frame,gesture,source\n10,40,tap_in,manual\n30,60,wiggle,manual\n")
    proc = run("labels", "import", str(rec), str(csv))
    assert_one_line_error(proc, str(csv), "line 2 (tap_in [10, 40)) and line 3 (wiggle [30, 60))", "[30, 40)")
    assert rec.read_bytes() == before


def test_labels_import_refuses_a_csv_without_rows_and_says_what_is_wrong_with_a_row(
    tmp_path: Path, sim_dir: Path
) -> None:
    """A header-only CSV silently deleted every label of the recording: it needs --allow-empty now. A negative
    start_frame was called an "empty or negative" span; the message now says which, with the CSV line."""
    import shutil

    rec = tmp_path / "rec.h5"
    shutil.copy(sorted(sim_dir.glob("*.h5"))[0], rec)
    before = rec.read_bytes()
    csv = tmp_path / "labels.csv"
    csv.write_text("start_frame,end_frame,gesture,source\n")
    assert_one_line_error(run("labels", "import", str(rec), str(csv)), "no label rows", "--allow-empty")
    assert rec.read_bytes() == before and load_session(rec).labels
    csv.write_text("start_frame,end_frame,gesture,source\n-5,50,tap_in,manual\n")
    assert_one_line_error(run("labels", "import", str(rec), str(csv)), "line 2: start_frame -5 is negative")
    csv.write_text("start_frame,end_frame,gesture,source\n10,40,tap_in,manual\n50,50,tap_in,manual\n")
    assert_one_line_error(run("labels", "import", str(rec), str(csv)), "line 3: label span [50, 50) is empty")
    assert rec.read_bytes() == before
    csv.write_text("start_frame,end_frame,gesture,source\n")
    assert run("labels", "import", str(rec), str(csv), "--allow-empty").returncode == 0
    assert load_session(rec).labels == []


def test_labels_export_never_writes_over_a_recording_and_prints_to_standard_output(
    tmp_path: Path, sim_dir: Path
) -> None:
    """``labels export FILE.h5 FILE.h5 --overwrite`` replaced the recording with CSV text, and ``/dev/stdout
    --overwrite`` replaced the device file (as root); ``-`` now prints the CSV."""
    import shutil

    rec = tmp_path / "rec.h5"
    other = tmp_path / "other.h5"
    shutil.copy(sorted(sim_dir.glob("*.h5"))[0], rec)
    shutil.copy(rec, other)
    before = rec.read_bytes()
    assert_one_line_error(run("labels", "export", str(rec), str(rec), "--overwrite"), "the recording itself")
    assert_one_line_error(run("labels", "export", str(rec), str(other), "--overwrite"), "is an HDF5 file")
    assert rec.read_bytes() == before and h5py.is_hdf5(other)
    proc = run("labels", "export", str(rec), "-")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "start_frame,end_frame,gesture,source"
    assert len(proc.stdout.splitlines()) == 1 + len(load_session(rec).labels)
    assert_one_line_error(run("labels", "export", str(rec), "-", "--overwrite"), "--overwrite applies only")


def test_label_png_overview(tmp_path: Path, sim_dir: Path) -> None:
    png = tmp_path / "o.png"
    proc = run("label", str(next(iter(sorted(sim_dir.glob("*.h5"))))), "--png", str(png))
    assert proc.returncode == 0, proc.stderr
    assert png.stat().st_size > 10_000


def test_png_that_is_a_folder_is_refused(tmp_path: Path, sim_dir: Path) -> None:
    """``label``/``features --png FOLDER`` wrote FOLDER.png beside it (the second overwriting the first)."""
    folder = tmp_path / "figs"
    folder.mkdir()
    rec = str(sorted(sim_dir.glob("*.h5"))[0])
    for command in ("label", "features"):
        assert_one_line_error(run(command, rec, "--png", str(folder)), f"{folder}: is a folder, not a file")
    assert sorted(tmp_path.iterdir()) == [folder] and not any(folder.iterdir())


@pytest.fixture
def bad_files(tmp_path: Path, sim_dir: Path) -> dict[str, Path]:
    good = next(iter(sorted(sim_dir.glob("*.h5")))).read_bytes()
    files = {"truncated": tmp_path / "truncated.h5", "text": tmp_path / "notes.h5", "a111": tmp_path / "a111.h5"}
    files["truncated"].write_bytes(good[: len(good) // 3])
    files["text"].write_text("not hdf5")
    with h5py.File(files["a111"], "w") as f:
        f["generation"] = "a111"
    return files


@pytest.mark.parametrize("kind", ["truncated", "text", "a111"])
def test_bad_recordings_are_one_line_errors_naming_the_file(
    bad_files: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    path = bad_files[kind]
    for args in (
        ("labels", "export", str(path), str(tmp_path / "x.csv")),
        ("label", str(path), "--png", str(tmp_path / "x.png")),
    ):
        assert_one_line_error(run(*args), str(path))


def test_unknown_source_and_invalid_preset_are_one_line_errors(tmp_path: Path) -> None:
    base = ("record", "--gestures", "tap_in", "--subject", "x", "--out", str(tmp_path), "--fast")
    assert_one_line_error(run(*base, "--source", "bluetooth:1"), "bluetooth:1", "sim")
    assert_one_line_error(run(*base, "--source", "sim", "--preset", "gesture_nope"), "gesture_nope")
    bad_rate = run(*base, "--source", "sim", "--frame-rate-hz", "-5")  # an argparse usage error, before the sensor
    assert bad_rate.returncode == 2 and "Traceback" not in bad_rate.stderr
    assert bad_rate.stderr.splitlines()[-1] == "radargest record: error: argument --frame-rate-hz: '-5' must be > 0"
    assert_one_line_error(run("simulate", "--out", str(tmp_path), "--gestures", "tap_in,jump"), "jump")
    assert_one_line_error(run(*base[:2], "tap_in,jump", *base[3:], "--source", "sim"), "jump")
    assert_one_line_error(run("simulate", "--out", str(tmp_path), "--preset", "nope"), "nope")
    assert not list(tmp_path.glob("*.h5"))


def test_record_refines_prompt_labels_to_the_performed_motion(tmp_path: Path) -> None:
    # a 2.5 s window holds any simulated performance (a wiggle lasts up to 2 s, after a reaction of up to 0.45 s)
    base = ("record", "--source", "sim", "--gestures", "tap_in,wiggle", "--reps", "2", "--fast", "--countdown-s", "1")
    base = (*base, "--window-s", "2.5")
    assert run(*base, "--subject", "raw", "--out", str(tmp_path / "raw"), "--no-refine").returncode == 0
    proc = run(*base, "--subject", "fit", "--out", str(tmp_path / "fit"))
    assert proc.returncode == 0 and "refined 4 of 4" in proc.stdout
    (raw_path,) = (tmp_path / "raw").glob("*.h5")
    (fit_path,) = (tmp_path / "fit").glob("*.h5")
    for path, tolerance in ((fit_path, 6), (raw_path, None)):
        session = load_session(path)
        assert session.meta is not None and session.meta.simulator_params is not None
        period = 1 / session.frame_rate_hz
        truth = [e for e in session.meta.simulator_params["events"] if e["kind"] == "gesture"]
        for label, event in zip(session.labels, truth, strict=True):
            start = event["start_s"] / period
            end = (event["start_s"] + event["params"]["duration_s"]) / period
            assert label.source == "prompt" and label.gesture == event["name"]
            if tolerance is None:  # raw prompt windows: the motion lies inside, the span is much longer
                assert label.start_frame <= start and end <= label.end_frame
                assert label.num_frames > 1.2 * (end - start) or event["name"] == "wiggle"
            else:
                assert abs(label.start_frame - start) <= tolerance and abs(label.end_frame - end) <= tolerance


def test_refine_keeps_a_prompt_with_no_motion() -> None:
    from acquisition import Label
    from radargest.pipeline import refine_prompt_labels

    labels = [
        Label(start_frame=100, end_frame=180, gesture="tap_in", source="prompt"),
        Label(start_frame=300, end_frame=380, gesture="tap_in", source="prompt"),
    ]
    events = np.array([[95, 120]])
    refined = refine_prompt_labels(labels, events, lead_frames=10)
    assert refined == [Label(start_frame=95, end_frame=120, gesture="tap_in", source="prompt"), labels[1]]


def test_refine_splits_an_event_that_merged_two_prompts() -> None:
    """With ``--pause-s 0`` two performances can merge into one event: both labels were snapped to it (one
    performance labelled twice, the other not at all). Each now keeps the event's part inside its own prompt."""
    from acquisition import Label
    from radargest.pipeline import refine_prompt_labels

    labels = [
        Label(start_frame=286, end_frame=372, gesture="wiggle", source="prompt"),
        Label(start_frame=372, end_frame=458, gesture="wiggle", source="prompt"),
    ]
    refined = refine_prompt_labels(labels, np.array([[40, 60], [303, 461]]), lead_frames=10)
    assert [(lab.start_frame, lab.end_frame) for lab in refined] == [(303, 372), (372, 458)]


def test_record_enrol_defaults_are_the_enrolment_config() -> None:
    """``record --enrol``'s option defaults are :class:`models.personalise.EnrolConfig`'s (the CLI repeats them so
    that ``--help`` needs no TensorFlow import; this keeps the two from drifting apart). They are unset (None) after
    parsing, so that one given without ``--enrol`` is refused, and filled in with ``--enrol``."""
    from models.personalise import EnrolConfig
    from radargest.cli import ENROL_DEFAULTS, build_parser

    args = build_parser().parse_args(
        ["record", "--source", "sim", "--subject", "ann", "--enrol", "--init", "RUN", "--out", "OUT"]
    )
    assert all(getattr(args, name) is None for name in ENROL_DEFAULTS)
    cfg = EnrolConfig()
    assert (
        ENROL_DEFAULTS["idle_s"],
        ENROL_DEFAULTS["enrol_epochs"],
        ENROL_DEFAULTS["enrol_rehearsal_share"],
        ENROL_DEFAULTS["enrol_rehearsal_distill"],
        ENROL_DEFAULTS["enrol_fine_tune_weight"],
    ) == (cfg.idle_s, cfg.epochs, cfg.rehearsal_share, cfg.rehearsal_distill, cfg.fine_tune_weight)


def test_a_recording_started_in_the_same_second_gets_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorder never overwrites, so a second recording of the same subject within a second was refused
    ("File exists") after its prompt; it now gets a ``-2`` name."""
    import datetime as dt
    from types import SimpleNamespace

    from radargest import record_cmd

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Frozen:
            return cls(2026, 12, 3, 4, 13, 27)

    monkeypatch.setattr(record_cmd, "dt", SimpleNamespace(datetime=Frozen))  # this module's clock only
    first = record_cmd.new_recording_path(tmp_path, "bob")
    assert first.name == "bob_20261203-041327.h5"
    assert record_cmd.new_recording_path(tmp_path, "../../etc/x").name == "etc-x_20261203-041327.h5"  # not hidden
    first.write_bytes(b"")
    second = record_cmd.new_recording_path(tmp_path, "bob")
    assert second.name == "bob_20261203-041327-2.h5"
    second.write_bytes(b"")
    assert record_cmd.new_recording_path(tmp_path, "bob").name == "bob_20261203-041327-3.h5"
    assert record_cmd.new_recording_path(tmp_path, "bob idle").name == "bob-idle_20261203-041327.h5"
