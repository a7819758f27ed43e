"""Headless tests of the label review: the key controller, the view's key forwarding and the PNG overview."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure
from sim_helpers import sim_session

from acquisition import Label, RecordingError, load_session, read_labels_csv
from acquisition.sim import SessionPlan
from radargest.cli import main
from radargest.label_ui import LabelEditor, LabelView, run_label, velocity_time_of
from radargest.plots import draw_label_spans, frame_at_time, frame_edges_s, plot_velocity_time


@pytest.fixture(scope="module")
def sim_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small simulated session (tap_in and wiggle, 2 reps each), written once per module."""
    path = tmp_path_factory.mktemp("label_ui") / "s.h5"
    sim_session(path, SessionPlan(gestures=("tap_in", "wiggle"), reps_per_gesture=2), subject=1, seed=1)
    return path


@pytest.fixture
def session_copy(sim_file: Path, tmp_path: Path) -> Path:
    """A private copy of the simulated session that a test may overwrite."""
    dst = tmp_path / "copy.h5"
    shutil.copy(sim_file, dst)
    return dst


def _labels() -> list[Label]:
    return [
        Label(start_frame=10, end_frame=20, gesture="tap_in", source="sim"),
        Label(start_frame=40, end_frame=50, gesture="wiggle", source="auto"),
        Label(start_frame=70, end_frame=80, gesture="tap_in", source="prompt"),
    ]


def _editor(**kwargs: object) -> LabelEditor:
    return LabelEditor(_labels(), num_frames=100, **kwargs)  # type: ignore[arg-type]


# -- controller ----------------------------------------------------------------------------------------
def test_vocabulary_lists_passed_gestures_first_then_file_gestures() -> None:
    ed = _editor(gestures=("wiggle", "tap_out"))
    assert ed.vocabulary == ("wiggle", "tap_out", "tap_in")
    with pytest.raises(ValueError, match="Bad Name"):
        _editor(gestures=("Bad Name",))


def test_navigation_wraps_both_ways() -> None:
    ed = _editor()
    assert ed.index == 0
    assert ed.handle_key("right").startswith("event 2/3")
    ed.handle_key("n")
    assert ed.index == 2
    msg = ed.handle_key("right")
    assert ed.index == 0 and "wrapped" in msg
    msg = ed.handle_key("left")
    assert ed.index == 2 and "wrapped" in msg
    ed.handle_key("p")
    assert ed.index == 1
    assert not ed.dirty


def test_relabel_by_vocabulary_number() -> None:
    ed = _editor(gestures=("tap_out",))  # vocabulary: tap_out, tap_in, wiggle
    ed.handle_key("right")  # the wiggle
    msg = ed.handle_key("1")
    assert "wiggle → tap_out" in msg
    assert ed.current == Label(start_frame=40, end_frame=50, gesture="tap_out", source="manual")
    assert ed.dirty
    assert "no gesture 7" in ed.handle_key("7")
    assert "already tap_out" in ed.handle_key("1")


def test_accept_marks_manual_without_other_changes() -> None:
    ed = _editor()
    ed.handle_key("enter")
    assert ed.current == Label(start_frame=10, end_frame=20, gesture="tap_in", source="manual")
    assert "already reviewed" in ed.handle_key("enter")


def test_delete_moves_to_neighbour_and_handles_empty() -> None:
    ed = _editor()
    ed.handle_key("left")  # last event
    assert "deleted tap_in [70, 80)" in ed.handle_key("d")
    assert ed.index == 1 and len(ed.labels) == 2
    ed.handle_key("delete")
    ed.handle_key("d")
    assert ed.labels == [] and ed.index is None and ed.current is None
    for key in ("d", "right", "left", "1", "[", "}", "enter"):
        msg = ed.handle_key(key)
        assert msg.startswith("no event"), (key, msg)


@pytest.mark.parametrize(("first", "second"), [(30, 35), (35, 30)])
def test_add_is_order_insensitive_and_takes_current_gesture(first: int, second: int) -> None:
    ed = _editor()
    ed.handle_key("right")  # current is the wiggle
    assert "start at frame" in ed.handle_key("a", frame=first)
    assert ed.pending_start == first
    msg = ed.handle_key("a", frame=second)
    assert msg.startswith("added")
    new = Label(start_frame=30, end_frame=36, gesture="wiggle", source="manual")
    assert ed.current == new
    assert ed.labels == sorted([*_labels(), new])
    assert ed.pending_start is None and ed.dirty


def test_add_without_events_uses_first_vocabulary_gesture_and_clamps() -> None:
    ed = LabelEditor([], num_frames=50, gestures=("tap_out", "tap_in"))
    assert ed.index is None
    assert "point the mouse" in ed.handle_key("a", frame=None)
    ed.handle_key("a", frame=45)
    ed.handle_key("a", frame=500)  # off the end: clamped to the last frame
    assert ed.labels == [Label(start_frame=45, end_frame=50, gesture="tap_out", source="manual")]
    assert "no gesture names" in LabelEditor([], num_frames=50).handle_key("a", frame=3)


def test_escape_cancels_pending_add() -> None:
    ed = _editor()
    ed.handle_key("a", frame=5)
    assert ed.handle_key("escape") == "add cancelled"
    assert ed.pending_start is None and not ed.dirty
    assert ed.handle_key("escape") == "nothing to cancel"


def test_nudges_move_edges_and_refuse_impossible_spans() -> None:
    ed = LabelEditor([Label(start_frame=0, end_frame=2, gesture="tap_in", source="sim")], num_frames=3)
    assert "first frame" in ed.handle_key("[")
    ed.handle_key("]")
    assert (ed.current.start_frame, ed.current.end_frame) == (1, 2)  # type: ignore[union-attr]
    assert "shorter than one frame" in ed.handle_key("]")
    assert "shorter than one frame" in ed.handle_key("{")
    ed.handle_key("}")
    assert "last frame" in ed.handle_key("}")
    ed.handle_key("[")
    assert ed.current == Label(start_frame=0, end_frame=3, gesture="tap_in", source="manual")


def test_nudge_keeps_current_after_resort_and_reports_overlap() -> None:
    ed = _editor()
    for _ in range(21):
        msg = ed.handle_key("}")
    assert ed.current == Label(start_frame=10, end_frame=41, gesture="tap_in", source="manual")
    assert "overlaps event 2" in msg


def test_quit_needs_two_presses_with_unsaved_changes() -> None:
    ed = _editor()
    assert ed.handle_key("q") == "quit" and ed.quit_requested
    ed = _editor()
    ed.handle_key("d")
    msg = ed.handle_key("q")
    assert "unsaved" in msg and "q again" in msg and not ed.quit_requested
    ed.handle_key("right")  # any other key disarms the confirmation
    assert "unsaved" in ed.handle_key("q")
    assert ed.handle_key("q") == "quit without saving" and ed.quit_requested


def test_unknown_and_modifier_keys_never_raise() -> None:
    ed = _editor()
    assert ed.handle_key("shift") == ""
    assert ed.handle_key(None) == ""
    assert "does nothing" in ed.handle_key("z")
    assert "no file" in ed.handle_key("s")


def test_save_failure_becomes_status() -> None:
    def broken(labels: list[Label]) -> None:
        raise OSError("disk full")

    ed = _editor(save=broken)
    ed.handle_key("d")
    assert ed.handle_key("s") == "save failed: disk full"
    assert ed.dirty


def test_save_is_refused_while_events_overlap_and_the_edits_stay(tmp_path: Path) -> None:
    """The window saved overlapping events (it only noted them), so the file failed ``labels import`` after
    ``labels export``; now ``s`` is refused with the import's wording, the callback is never called and the
    edits stay in the editor to fix, after which the save goes through."""
    saved: list[list[Label]] = []
    ed = _editor(save=saved.append)
    for _ in range(21):
        ed.handle_key("}")  # tap_in [10, 20) -> [10, 41): one frame into wiggle [40, 50)
    edited = ed.labels
    msg = ed.handle_key("s")
    assert msg.startswith(
        "not saved: event 1 (tap_in [10, 41)) and event 2 (wiggle [40, 50)) overlap on frames [40, 41)"
    )
    assert not saved and ed.dirty and ed.labels == edited and ed.index == 0

    csv = tmp_path / "labels.csv"  # the same spans through `labels import`: the same words after the names
    csv.write_text("start_frame,end_frame,gesture,source\n10,41,tap_in,manual\n40,50,wiggle,auto\n")
    with pytest.raises(RecordingError) as info:
        read_labels_csv(csv)
    tail = " overlap on frames [40, 41); a frame holds one gesture: shorten, merge or delete one of them"
    assert tail in str(info.value) and msg.endswith(str(info.value).split(" overlap on frames ", 1)[1])

    ed.handle_key("{")  # back to [10, 40): touching is no overlap
    assert ed.handle_key("s") == "saved 3 label(s)"
    assert saved == [ed.labels] and not ed.dirty


def test_save_writes_file_and_reload_shows_manual_edit(session_copy: Path) -> None:
    from acquisition import save_labels

    session = load_session(session_copy)
    original = session.labels
    assert original and all(lb.source == "sim" for lb in original)
    ed = LabelEditor(
        original,
        num_frames=session.num_frames,
        gestures=("tap_out",),
        save=lambda labels: save_labels(session_copy, labels),
    )
    ed.handle_key("1")  # first event -> tap_out
    ed.handle_key("]")
    assert ed.dirty
    assert ed.handle_key("s") == f"saved {len(original)} label(s)"
    assert not ed.dirty
    assert ed.handle_key("q") == "quit"

    reloaded = load_session(session_copy).labels
    assert reloaded == ed.labels
    edited = [lb for lb in reloaded if lb.source == "manual"]
    assert edited == [
        Label(
            start_frame=original[0].start_frame + 1,
            end_frame=original[0].end_frame,
            gesture="tap_out",
            source="manual",
        )
    ]
    assert reloaded[1:] == original[1:]


# -- plots and view ------------------------------------------------------------------------------------
def test_frame_time_mapping_round_trips() -> None:
    times = np.arange(10) / 50.0
    edges = frame_edges_s(times)
    assert edges.shape == (11,) and edges[-1] == pytest.approx(0.2)
    assert [frame_at_time(times, t + 0.001) for t in times] == list(range(10))
    assert frame_at_time(times, -5.0) == 0 and frame_at_time(times, 99.0) == 9


def test_plot_helpers_draw_spans_and_check_shapes() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    times = np.arange(100) / 50.0
    vel = np.linspace(-1.2, 1.2, 16)
    image = plot_velocity_time(ax, np.random.default_rng(0).random((100, 16)), times_s=times, velocities_m_s=vel)
    assert image.get_extent()[:2] == pytest.approx((0.0, 2.0))
    assert "m/s" in ax.get_ylabel() and "[s]" in ax.get_xlabel()
    artists = draw_label_spans(ax, _labels(), times_s=times, highlight=1)
    assert len(artists) == 6  # a span and a name per label
    assert [t.get_text() for t in ax.texts] == ["tap_in", "wiggle", "tap_in"]
    with pytest.raises(ValueError, match="shape"):
        plot_velocity_time(ax, np.zeros((5, 16)), times_s=times, velocities_m_s=vel)


def _key(view: LabelView, key: str, *, x: float | None = None) -> None:
    event = SimpleNamespace(key=key, xdata=x, inaxes=view.ax if x is not None else None)
    view.on_key(event)


def test_view_forwards_keys_with_mouse_frame(sim_file: Path, tmp_path: Path) -> None:
    session = load_session(sim_file)
    vt, vel = velocity_time_of(session)
    assert vt.shape == (session.num_frames, vel.size)
    ed = LabelEditor(session.labels, num_frames=session.num_frames, gestures=("tap_out",))
    quits: list[bool] = []
    fig = Figure(figsize=(13, 6.5))
    view = LabelView(
        fig,
        ed,
        vt=vt,
        times_s=session.times_s,
        velocities_m_s=vel,
        title=session.path.name,
        on_quit=lambda: quits.append(True),
    )
    times = session.times_s
    first = session.labels[0]
    lo, hi = view.ax.get_xlim()
    assert lo <= times[first.start_frame] and times[first.end_frame] <= hi
    assert hi - lo < times[-1] - times[0]  # zoomed in

    _key(view, "right")
    assert ed.index == 1 and view.status.startswith("event 2/")
    lo2, _ = view.ax.get_xlim()
    assert lo2 > lo  # the window followed the event

    _key(view, "a", x=float(times[600]) + 1e-3)
    assert ed.pending_start == 600
    _key(view, "a", x=float(times[620]) + 1e-3)
    assert Label(start_frame=600, end_frame=621, gesture=ed.current.gesture, source="manual") in ed.labels  # type: ignore[union-attr]
    assert "[modified]" in view.ax.get_title(loc="left")
    fig.savefig(tmp_path / "view.png")  # the whole view renders headless

    _key(view, "a")  # pointer off the axes: no frame
    assert "point the mouse" in view.status
    _key(view, "shift")  # a lone modifier keeps the status
    assert "point the mouse" in view.status

    click = SimpleNamespace(button=1, xdata=float(times[first.start_frame]) + 1e-3, inaxes=view.ax_overview)
    view.on_click(click)
    assert ed.index == 0

    _key(view, "q")
    assert not quits and "q again" in view.status_text.get_text()
    _key(view, "q")
    assert quits == [True]


def test_view_wraps_a_long_status_inside_the_window() -> None:
    """A refused save's message (two events, their spans, what to do) ran off the window's right edge."""
    ed = _editor(save=lambda labels: None)
    fig = Figure(figsize=(13, 6.5))
    view = LabelView(fig, ed, vt=np.zeros((100, 8)), times_s=np.arange(100) / 50.0, velocities_m_s=np.arange(8.0))
    for _ in range(21):
        _key(view, "}")
    _key(view, "s")
    shown = view.status_text.get_text()
    assert view.status.startswith("not saved:") and shown.replace("\n", " ") == view.status
    assert 1 < len(shown.splitlines()) and max(map(len, shown.splitlines())) <= 150


# -- command -------------------------------------------------------------------------------------------
def test_run_label_png_writes_overview(sim_file: Path, tmp_path: Path) -> None:
    png = tmp_path / "overview.png"
    before = sim_file.read_bytes()
    assert run_label(sim_file, png=png) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert sim_file.read_bytes() == before  # the overview never touches the recording


def test_run_label_reports_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command's errors are the CLI's one-line errors (``radargest: error: ...``, exit code 2) like every
    other command's; it printed its own, with exit code 1."""
    with pytest.raises(RecordingError, match=r"missing\.h5"):
        run_label(tmp_path / "missing.h5", png=tmp_path / "x.png")
    with pytest.raises(ValueError, match="invalid gesture name"):
        run_label(tmp_path / "missing.h5", gestures=("Not OK",))
    assert main(["label", str(tmp_path / "missing.h5")]) == 2
    assert capsys.readouterr().err == f"radargest: error: {tmp_path / 'missing.h5'}: no such file\n"


def test_run_label_without_display_says_use_png(sim_file: Path) -> None:
    with pytest.raises(ValueError, match="--png"):  # Agg is non-interactive: no window can open
        run_label(sim_file)
