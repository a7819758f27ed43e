"""Importers, the features command, the preset check and bad frames, end to end."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from acconeer.exptool import a121
from cli_helpers import assert_one_line_error, run
from sim_helpers import sim_session

from acquisition import load_session
from acquisition.sim import SessionPlan
from radargest.importers import class_from_file_name, copy_without_algo, import_gesture_control, import_record
from radargest.pipeline import (
    LABELLING_SEGMENT,
    ConfigMismatchError,
    PipelineConfig,
    session_events,
    session_features,
)

REAL_FILES = ("gesture_classification/label_tap_out_idx_2.h5", "gesture_detection/label_dynamic_hand_idx_1.h5")


@pytest.fixture(scope="module")
def sim_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("feat") / "close.h5"
    sim_session(path, SessionPlan(gestures=("tap_in", "wiggle"), reps_per_gesture=2), subject=3, seed=3)
    return path


@pytest.fixture(scope="module")
def far_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("feat") / "far.h5"
    sim_session(path, SessionPlan(gestures=("tap_in",), reps_per_gesture=1), subject=4, seed=4, preset="gesture_far")
    return path


@pytest.fixture
def import_dir(real_dir: Path, tmp_path: Path) -> Path:
    """Two real files (a gesture and a background file) and a truncated copy of the first."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    for rel in REAL_FILES:
        shutil.copy(real_dir / rel, src / "sub" / Path(rel).name)
    data = (real_dir / REAL_FILES[0]).read_bytes()
    (src / "label_tap_in_idx_9.h5").write_bytes(data[: len(data) // 3])
    return src


def test_class_from_file_name() -> None:
    assert class_from_file_name(Path("label_double_tap_in_idx_5.h5")) == ("double_tap_in", False)
    assert class_from_file_name(Path("x/label_static_hand_idx_1.h5")) == ("static_hand", True)
    with pytest.raises(ValueError, match="label_<gesture>_idx_<n>"):
        class_from_file_name(Path("tap_in.h5"))


def test_import_gesture_control_labels_skips_and_drops_algo(import_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    skipped: list[tuple[Path, str]] = []
    report = import_gesture_control(import_dir, out, on_skip=lambda p, r: skipped.append((p, r)))
    assert [p.name for p, _ in skipped] == ["label_tap_in_idx_9.h5"]
    assert "\n" not in skipped[0][1]
    assert {f.output.name for f in report.imported} == {Path(r).name for r in REAL_FILES}
    for item in report.imported:
        session = load_session(item.output)
        source = load_session(item.source)
        if item.gesture is None:  # background: no gesture events
            assert session.labels == [] and "background" in session.meta.notes  # type: ignore[union-attr]
        else:
            expected = session_events(source, cfg=PipelineConfig(segment=LABELLING_SEGMENT)).tolist()
            assert [[lb.start_frame, lb.end_frame] for lb in session.labels] == expected
            assert len(expected) > 20
            assert {lb.source for lb in session.labels} == {"auto"}
            assert {lb.gesture for lb in session.labels} == {"tap_out"}
        assert session.meta is not None and session.meta.preset == "gesture_close"
        np.testing.assert_array_equal(session.frames, source.frames)
        with h5py.File(item.source, "r") as f:
            assert "algo" in f  # the real files do carry /algo
        with h5py.File(item.output, "r") as f:
            assert "algo" not in f and "radargest" in f
        umask = os.umask(0)
        os.umask(umask)
        assert item.output.stat().st_mode & 0o777 == 0o666 & ~umask  # as every other output (was 0600)
        record = a121.load_record(item.output)
        assert record.frames.shape == source.frames.shape


def test_imported_labels_do_not_follow_the_decision_segmenter(real_dir: Path, tmp_path: Path) -> None:
    """The labels of an imported file are the fixed labelling segmentation's events: the decision layer's
    segmenter (a lower area test, RULE74) proposes one more event on this training-day file, which must not
    become a labelled double tap."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(real_dir / "gesture_classification/label_double_tap_in_idx_1.h5", src)
    (item,) = import_gesture_control(src, tmp_path / "out").imported
    labels = [[lb.start_frame, lb.end_frame] for lb in load_session(item.output).labels]
    source = load_session(item.source)
    assert labels == session_events(source, cfg=PipelineConfig(segment=LABELLING_SEGMENT)).tolist()
    proposed = session_events(source, cfg=PipelineConfig()).tolist()
    assert len(proposed) > len(labels)
    assert all(any(p == lb for p in proposed) for lb in labels)  # the area test only adds events


def test_an_unimported_gesture_control_file_is_refused_for_training_and_scoring(
    import_dir: Path, tmp_path: Path, tiny_run: Path
) -> None:
    """Read as it is, an Acconeer file holds no gesture (its labels are its name): `evaluate` on the raw file
    scored it as background, truth 0, with no word. Its imported copy loads with its labels."""
    from models.data import DataError, DatasetConfig, load_recordings

    cfg = DatasetConfig(gestures=("tap_in", "tap_out"))
    raw = import_dir / "sub" / Path(REAL_FILES[0]).name
    with pytest.raises(DataError, match=r"label_tap_out_idx_2\.h5: an Acconeer gesture-control recording.*import"):
        load_recordings([raw], cfg=cfg)
    report = import_gesture_control(import_dir / "sub", tmp_path / "out")
    recs = load_recordings([f.output for f in report.imported], cfg=cfg)
    assert sum(len(r.labels) for r in recs) > 20
    proc = run("evaluate", str(tiny_run), "--data", str(raw), "--split", "none", "--continuous")
    assert_one_line_error(proc, "label_tap_out_idx_2.h5", "radargest import acconeer-gesture-control")
    # its label table is empty: exported with a word on where its labels are (a bare header said nothing)
    proc = run("labels", "export", str(raw), str(tmp_path / "raw.csv"))
    assert proc.returncode == 0 and "radargest import acconeer-gesture-control" in proc.stderr


def test_cli_import_reports_skips_and_summary(import_dir: Path, tmp_path: Path) -> None:
    proc = run("import", "acconeer-gesture-control", str(import_dir), "--out", str(tmp_path / "o"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    skips = [line for line in proc.stderr.splitlines() if "skipped" in line]
    assert len(skips) == 1 and "label_tap_in_idx_9.h5" in skips[0]
    assert "Traceback" not in proc.stderr
    assert "imported 2 file(s)" in proc.stdout and "skipped 1" in proc.stdout
    # nothing importable: non-zero exit, one line
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "label_tap_in_idx_1.h5").write_bytes(b"not hdf5")
    proc = run("import", "acconeer-gesture-control", str(bad), "--out", str(tmp_path / "o2"), "--quiet")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "nothing imported" in proc.stderr


def test_import_record_copies_plain_record(real_dir: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.h5"
    copy_without_algo(real_dir / REAL_FILES[0], plain)
    proc = run("import", "record", str(plain), "--out", str(tmp_path / "o"), "--subject", "me")
    assert proc.returncode == 0, proc.stderr
    session = load_session(tmp_path / "o" / "plain.h5")
    assert session.labels == []
    assert session.meta is not None and (session.meta.preset, session.meta.subject) == ("gesture_close", "me")
    again = import_record(plain, tmp_path / "o", overwrite=True)
    assert again.events == 0
    with pytest.raises(ValueError, match="already exists"):
        import_record(plain, tmp_path / "o")


def test_import_record_refuses_a_gesture_control_file_naming_its_importer(import_dir: Path, tmp_path: Path) -> None:
    """`import record` took an Acconeer file in with no label, and training then read its gestures as background."""
    raw = import_dir / "sub" / Path(REAL_FILES[0]).name
    proc = run("import", "record", str(raw), "--out", str(tmp_path / "o"))
    assert_one_line_error(proc, "label_tap_out_idx_2.h5", "radargest import acconeer-gesture-control")
    assert not (tmp_path / "o").exists()


def test_a_batch_whose_files_share_a_name_is_refused_before_any_import(import_dir: Path, tmp_path: Path) -> None:
    """Two subfolders' files of one name were both imported into one --out file: the second replaced the first."""
    twin = import_dir / "other" / Path(REAL_FILES[0]).name
    twin.parent.mkdir()
    shutil.copy(import_dir / "sub" / twin.name, twin)
    with pytest.raises(ValueError, match=r"2 files are named label_tap_out_idx_2\.h5.*overwrite each other"):
        import_gesture_control(import_dir, tmp_path / "out", overwrite=True)
    assert not (tmp_path / "out").exists()


def test_an_imported_file_is_not_imported_again_over_its_labels(import_dir: Path, tmp_path: Path) -> None:
    """Importing a radargest recording again replaced its (hand-edited) labels with the file name's automatic ones."""
    from acquisition import Label, save_labels

    (item,) = [f for f in import_gesture_control(import_dir / "sub", tmp_path / "a").imported if f.gesture]
    save_labels(item.output, [Label(start_frame=100, end_frame=130, gesture="tap_in", source="manual")])
    skipped: list[str] = []
    report = import_gesture_control(tmp_path / "a", tmp_path / "b", on_skip=lambda p, r: skipped.append(r))
    assert not [f for f in report.imported if f.gesture] and len(skipped) == 2
    assert all("already a radargest recording" in r for r in skipped)
    assert [lb.source for lb in load_session(item.output).labels] == ["manual"]


def test_features_png_real_and_sim(sim_file: Path, tmp_path: Path) -> None:
    png = tmp_path / "f.png"
    proc = run("features", str(sim_file), "--png", str(png))
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_config_mismatch_is_refused(far_file: Path, tmp_path: Path) -> None:
    session = load_session(far_file)
    with pytest.raises(ConfigMismatchError, match=r"far\.h5.*'gesture_close'.*start_point=40!=20"):
        session_features(session)
    assert len(session_features(session, cfg=PipelineConfig(preset="gesture_far")).events) >= 1
    proc = run("features", str(far_file), "--png", str(tmp_path / "x.png"))
    assert_one_line_error(proc, "far.h5", "does not match preset 'gesture_close'", "num_points")
    assert not (tmp_path / "x.png").exists()


def test_nan_and_saturated_frames_are_flagged_not_fatal(sim_file: Path, tmp_path: Path) -> None:
    session = load_session(sim_file)
    clean = session_features(session)
    frames = session.frames.copy()
    frames[100:110] = np.nan
    frames[500, 3, 2] = np.inf
    saturated = session.data_saturated.copy()
    saturated[[300, 301, 700]] = True
    broken = dataclasses.replace(session, frames=frames, data_saturated=saturated)
    feats = session_features(broken)
    assert set(np.flatnonzero(feats.bad)) == {*range(100, 110), 500, 300, 301, 700}
    assert np.isnan(feats.rd[feats.bad]).all() and np.isfinite(feats.rd[~feats.bad]).all()
    assert np.isnan(feats.onset.ratio_db[feats.bad]).all()
    assert abs(len(feats.events) - len(clean.events)) <= 1
    # every frame bad: still no crash, no events
    all_bad = dataclasses.replace(session, data_saturated=np.ones_like(session.data_saturated))
    assert len(session_features(all_bad).events) == 0
    from matplotlib.figure import Figure

    from radargest.features_cmd import plot_features

    plot_features(Figure(), broken, feats, cfg=PipelineConfig())


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("features", "{tmp}/missing.h5", "--png", "{tmp}/o.png"), "missing.h5: no such file"),
        (("features", "{tmp}/text.h5", "--png", "{tmp}/o.png"), "not an HDF5 file"),
        (("features", "{tmp}", "--png", "{tmp}/o.png"), "is a folder, not a recording file"),  # was "no such file"
        (("import", "record", "{tmp}/text.h5", "--out", "{tmp}/o"), "text.h5"),
        (("import", "acconeer-gesture-control", "{tmp}/nodir", "--out", "{tmp}/o"), "not a folder"),
        (("bench", "dsp", "--file", "{tmp}/missing.h5"), "missing.h5"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    (tmp_path / "text.h5").write_text("hello")
    proc = run(*(a.format(tmp=tmp_path) for a in args))
    assert_one_line_error(proc, fragment)
