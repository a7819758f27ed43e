"""Label review window: step through the events of a recording, relabel, nudge, add, delete and save.

Three layers, so the logic is testable without a display:

- :class:`LabelEditor` is a pure controller (no matplotlib). It holds the sorted labels, the current
  event, the gesture vocabulary and a ``dirty`` flag, and maps one key to one edit
  (:meth:`LabelEditor.handle_key`).
- :class:`LabelView` draws the velocity-time map, the spans and the status lines on a matplotlib figure and
  forwards key presses (with the mouse x position mapped to a frame) to the controller.
- :func:`run_label` is the ``radargest label`` command: it loads a session, computes the map through
  :mod:`dsp` and either writes an overview PNG or opens the window; ``s`` saves through
  :func:`acquisition.save_labels` (atomic).

Every label that is edited, added or accepted gets ``source="manual"``.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from acquisition import Label, Session, save_labels
from acquisition.labels import GESTURE_NAME_RE, check_no_overlap
from radargest import pipeline
from radargest.cli_args import png_path
from radargest.plots import (
    draw_label_spans,
    frame_at_time,
    frame_edges_s,
    gesture_colors,
    load_to_draw,
    open_window,
    plot_velocity_time,
)

__all__ = [
    "HELP_TEXT",
    "LabelEditor",
    "LabelView",
    "LabelViewConfig",
    "plot_overview",
    "run_label",
    "velocity_time_of",
]

HELP_TEXT = (
    "→/n next  ←/p prev  1-9 relabel  enter accept  d/del delete  a add (start, then end; esc cancels)  "
    "[ ] start −/+1  { } end −/+1  click select  s save  q quit"
)

#: Keys that matplotlib reports on their own when a modifier is pressed; they leave the status unchanged.
_MODIFIER_KEYS = frozenset({"shift", "control", "ctrl", "alt", "super", "cmd", "meta", "capslock"})

SaveCallback = Callable[[list[Label]], None]


class LabelEditor:
    """Pure controller of the label review: labels, current event, vocabulary and edits.

    Args:
        labels: the events of the recording (any order; kept sorted).
        num_frames: frames in the recording; edits keep every span inside ``[0, num_frames)``.
        gestures: extra gesture names for relabelling. The vocabulary, which keys ``1``..``9`` index, is
            these names in the given order followed by the other gestures of ``labels``, sorted.
        save: called with the sorted labels on ``s``; an exception it raises becomes a status message.

    Raises:
        ValueError: an invalid gesture name, ``num_frames < 1`` or a label outside the recording.
    """

    def __init__(
        self,
        labels: Sequence[Label],
        *,
        num_frames: int,
        gestures: Sequence[str] = (),
        save: SaveCallback | None = None,
    ) -> None:
        if num_frames < 1:
            raise ValueError(f"num_frames must be >= 1, got {num_frames}")
        for name in gestures:
            if not GESTURE_NAME_RE.match(name):
                raise ValueError(f"gesture name {name!r} must match {GESTURE_NAME_RE.pattern}")
        self._labels: list[Label] = sorted(labels)
        for label in self._labels:
            if label.end_frame > num_frames:
                raise ValueError(f"label {label} ends after the last frame ({num_frames})")
        self.num_frames = int(num_frames)
        file_gestures = sorted({lb.gesture for lb in self._labels})
        self.vocabulary: tuple[str, ...] = tuple(dict.fromkeys([*gestures, *file_gestures]))
        self.index: int | None = 0 if self._labels else None
        self.pending_start: int | None = None
        self.dirty = False
        self.quit_requested = False
        self._quit_armed = False
        self._save = save

    # -- state ---------------------------------------------------------------------------------------
    @property
    def labels(self) -> list[Label]:
        """A copy of the labels, sorted."""
        return list(self._labels)

    @property
    def current(self) -> Label | None:
        """The event under review, or None when there are none."""
        return None if self.index is None else self._labels[self.index]

    def describe_current(self) -> str:
        """One line about the current event, e.g. ``event 2/4: tap_in [215, 230) sim``."""
        label = self.current
        if label is None or self.index is None:
            return "no events"
        return (
            f"event {self.index + 1}/{len(self._labels)}: {label.gesture} "
            f"[{label.start_frame}, {label.end_frame}) {label.source}"
        )

    # -- key dispatch --------------------------------------------------------------------------------
    def handle_key(self, key: str | None, *, frame: int | None = None) -> str:
        """Apply one key press and return a short status message; never raises.

        Args:
            key: a matplotlib key name (``right``, ``n``, ``1``, ``[``, ``delete`` ...). Lone modifier keys
                return ``""`` (keep the previous status).
            frame: the frame under the mouse pointer, used by ``a`` (add); None when the pointer is off
                the plot.
        """
        if key is None or key in _MODIFIER_KEYS:
            return ""
        armed, self._quit_armed = self._quit_armed, False
        if key == "q":
            return self.request_quit(confirmed=armed)
        if len(key) == 1 and key in "123456789":
            return self.relabel(int(key))
        actions: dict[str, Callable[[], str]] = {
            "right": self.next_event,
            "n": self.next_event,
            "left": self.previous_event,
            "p": self.previous_event,
            "d": self.delete,
            "delete": self.delete,
            "enter": self.accept,
            "escape": self.cancel_add,
            "a": lambda: self.add_at(frame),
            "[": lambda: self.nudge("start", -1),
            "]": lambda: self.nudge("start", +1),
            "{": lambda: self.nudge("end", -1),
            "}": lambda: self.nudge("end", +1),
            "s": self.save,
        }
        action = actions.get(key)
        if action is None:
            return f"key {key!r} does nothing; keys: {HELP_TEXT}"
        return action()

    # -- navigation ----------------------------------------------------------------------------------
    def next_event(self) -> str:
        """Go to the next event, wrapping from the last to the first."""
        return self._step(+1)

    def previous_event(self) -> str:
        """Go to the previous event, wrapping from the first to the last."""
        return self._step(-1)

    def _step(self, delta: int) -> str:
        if self.index is None:
            return "no events to step through"
        n = len(self._labels)
        raw = self.index + delta
        self.index = raw % n
        wrapped = " (wrapped)" if raw != self.index and n > 1 else ""
        return self.describe_current() + wrapped

    def select_at(self, frame: int | None) -> str:
        """Make the event that holds ``frame`` current (the first one if events overlap)."""
        if frame is None:
            return "click inside the plot to select an event"
        for i, label in enumerate(self._labels):
            if label.start_frame <= frame < label.end_frame:
                self.index = i
                return self.describe_current()
        return f"no event at frame {frame}"

    # -- edits ---------------------------------------------------------------------------------------
    def _replace(self, new: Label, *, verb: str) -> str:
        assert self.index is not None
        self._labels[self.index] = new
        self._labels.sort()
        self.index = self._labels.index(new)
        self.dirty = True
        return f"{verb}: {self.describe_current()}{self._overlap_note()}"

    def _overlap_note(self) -> str:
        label = self.current
        if label is None:
            return ""
        others = [
            i + 1
            for i, other in enumerate(self._labels)
            if i != self.index and other.start_frame < label.end_frame and label.start_frame < other.end_frame
        ]
        return f" (overlaps event {', '.join(map(str, others))}; fix it before saving)" if others else ""

    def relabel(self, number: int) -> str:
        """Give the current event the ``number``-th gesture (1-based) of the vocabulary."""
        label = self.current
        if label is None:
            return "no event to relabel"
        if not 1 <= number <= len(self.vocabulary):
            return f"no gesture {number}; vocabulary: {self.vocabulary_text()}"
        gesture = self.vocabulary[number - 1]
        if gesture == label.gesture and label.source == "manual":
            return f"already {gesture}: {self.describe_current()}"
        return self._replace(_with(label, gesture=gesture), verb=f"relabelled {label.gesture} → {gesture}")

    def accept(self) -> str:
        """Mark the current event as reviewed (``source="manual"``) without changing it."""
        label = self.current
        if label is None:
            return "no event to accept"
        if label.source == "manual":
            return f"already reviewed: {self.describe_current()}"
        return self._replace(_with(label), verb="accepted")

    def delete(self) -> str:
        """Delete the current event; the next one (or the new last one) becomes current."""
        label = self.current
        if label is None or self.index is None:
            return "no event to delete"
        del self._labels[self.index]
        self.dirty = True
        self.index = min(self.index, len(self._labels) - 1) if self._labels else None
        return f"deleted {label.gesture} [{label.start_frame}, {label.end_frame}); {self.describe_current()}"

    def add_at(self, frame: int | None) -> str:
        """First call marks the start frame of a new event, the second its last frame (any order).

        The new span is ``[min, max + 1)``; it takes the gesture of the current event, else the first
        gesture of the vocabulary, and becomes the current event.
        """
        if frame is None:
            return "add: point the mouse at a frame in the plot, then press a"
        if not self.vocabulary:
            return "add: no gesture names known; pass some (--gestures tap_in,...)"
        frame = int(np.clip(frame, 0, self.num_frames - 1))
        if self.pending_start is None:
            self.pending_start = frame
            return f"add: start at frame {frame}; press a again at the last frame (esc cancels)"
        start, last = sorted((self.pending_start, frame))
        self.pending_start = None
        gesture = self.current.gesture if self.current is not None else self.vocabulary[0]
        new = Label(start_frame=start, end_frame=last + 1, gesture=gesture, source="manual")
        self._labels.append(new)
        self.index = len(self._labels) - 1
        return self._replace(new, verb="added")

    def cancel_add(self) -> str:
        """Forget a pending add start."""
        if self.pending_start is None:
            return "nothing to cancel"
        self.pending_start = None
        return "add cancelled"

    def nudge(self, edge: Literal["start", "end"], delta: int) -> str:
        """Move the start or the (exclusive) end of the current event by ``delta`` frames.

        Refused when the span would become empty or leave ``[0, num_frames)``.
        """
        label = self.current
        if label is None:
            return "no event to adjust"
        start, end = label.start_frame, label.end_frame
        if edge == "start":
            start += delta
        else:
            end += delta
        if start < 0:
            return "start is already at the first frame"
        if end > self.num_frames:
            return "end is already at the last frame"
        if end <= start:
            return "the event cannot be shorter than one frame"
        return self._replace(_with(label, start_frame=start, end_frame=end), verb=f"{edge} {delta:+d}")

    # -- save / quit ---------------------------------------------------------------------------------
    def save(self) -> str:
        """Call the save callback with the labels; clears ``dirty`` on success.

        Refused while two events share a frame (:func:`acquisition.labels.check_no_overlap`, the rule of
        every saved label table, so the file goes through ``labels export`` and ``labels import``): the
        message names both events, and the edits stay in the editor to fix.
        """
        if self._save is None:
            return "save: no file to save to"
        try:
            check_no_overlap(self._labels)
        except ValueError as exc:
            return f"not saved: {exc}"
        try:
            self._save(self.labels)
        except Exception as exc:  # a GUI key handler must not raise; show the reason instead
            return f"save failed: {exc}"
        self.dirty = False
        return f"saved {len(self._labels)} label(s)"

    def request_quit(self, *, confirmed: bool = False) -> str:
        """Quit; with unsaved changes only when ``confirmed`` (``q`` pressed twice in a row)."""
        if self.dirty and not confirmed:
            self._quit_armed = True
            return "unsaved changes: press q again to quit without saving, or s to save"
        self.quit_requested = True
        return "quit without saving" if self.dirty else "quit"

    def vocabulary_text(self) -> str:
        """The vocabulary as ``1 tap_in, 2 wiggle``."""
        if not self.vocabulary:
            return "(empty)"
        return ", ".join(f"{i} {g}" for i, g in enumerate(self.vocabulary[:9], start=1))


def _with(label: Label, **changes: Any) -> Label:
    fields: dict[str, Any] = {
        "start_frame": label.start_frame,
        "end_frame": label.end_frame,
        "gesture": label.gesture,
        "source": "manual",
    }
    fields.update(changes)
    return Label(**fields)


# -- view -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class LabelViewConfig:
    """Layout of the review window.

    Fields:
        window_s: width of the zoomed time window around the current event [s]; widened to 1.5× the event
            for long events.
        cmap: colour map of the velocity-time image.
        figsize_in: figure size of the interactive window [inches].
    """

    window_s: float = 6.0
    cmap: str = "Greys"
    figsize_in: tuple[float, float] = (13.0, 6.5)

    def __post_init__(self) -> None:
        if not (np.isfinite(self.window_s) and self.window_s > 0):
            raise ValueError(f"window_s must be > 0, got {self.window_s!r}")


@dataclass
class _Overlay:
    artists: list[Artist] = field(default_factory=list)

    def clear(self) -> None:
        for artist in self.artists:
            artist.remove()
        self.artists.clear()


class LabelView:
    """Matplotlib view of a :class:`LabelEditor` on an existing figure.

    The top axes show the velocity-time map zoomed around the current event; a thin strip below shows
    the whole recording with the visible window outlined. Key presses go to
    :meth:`LabelEditor.handle_key` with the pointer's x position mapped to a frame; a click selects the
    event under the pointer. Matplotlib's default key bindings (``s`` save-figure, ``q`` close, arrows
    back/forward ...) are disconnected so they do not fight the editor.

    Args:
        fig: the figure to draw on (pyplot or a bare ``Figure``; nothing here needs a display).
        editor: the controller.
        vt: ``(frames, doppler_bins)`` velocity-time map.
        times_s: ``(frames,)`` frame start times [s].
        velocities_m_s: ``(doppler_bins,)`` Doppler bin centres [m/s].
        title: shown above the plot (file name, subject ...).
        cfg: layout.
        on_quit: called once the editor accepts ``q`` (e.g. ``plt.close(fig)``).
    """

    def __init__(
        self,
        fig: Figure,
        editor: LabelEditor,
        *,
        vt: npt.ArrayLike,
        times_s: npt.ArrayLike,
        velocities_m_s: npt.ArrayLike,
        title: str = "",
        cfg: LabelViewConfig | None = None,
        on_quit: Callable[[], None] | None = None,
    ) -> None:
        self.fig = fig
        self.editor = editor
        self.cfg = cfg or LabelViewConfig()
        self.times_s = np.asarray(times_s, dtype=np.float64)
        self._edges = frame_edges_s(self.times_s)
        self._on_quit = on_quit
        self._colors = gesture_colors(editor.vocabulary)
        self._title = title
        grid = fig.add_gridspec(2, 1, height_ratios=(5, 1), hspace=0.45, left=0.07, right=0.98, top=0.9, bottom=0.2)
        self.ax = fig.add_subplot(grid[0])
        self.ax_overview = fig.add_subplot(grid[1])
        plot_velocity_time(self.ax, vt, times_s=self.times_s, velocities_m_s=velocities_m_s, cmap=self.cfg.cmap)
        plot_velocity_time(
            self.ax_overview, vt, times_s=self.times_s, velocities_m_s=velocities_m_s, cmap=self.cfg.cmap
        )
        self.ax_overview.set_ylabel("")
        self.ax_overview.set_yticks([])
        self.ax_overview.set_xlim(self._edges[0], self._edges[-1])
        self.status_text = fig.text(0.01, 0.07, "", fontsize=10, family="monospace")
        # characters per status line: a 10 pt monospace character is about 6 pt wide; a longer message (a save
        # refused for overlapping events) wraps instead of running off the window
        self._status_width = max(40, int(fig.get_figwidth() * 72 / 6.0) - 6)
        self.help_text = fig.text(
            0.01, 0.012, f"keys: {HELP_TEXT}\ngestures: {editor.vocabulary_text()}", fontsize=8.5, color="0.3"
        )
        self._overlay = _Overlay()
        self.status = f"{editor.describe_current()}   vocabulary: {editor.vocabulary_text()}"
        canvas = fig.canvas
        manager = getattr(canvas, "manager", None)
        handler_id = getattr(manager, "key_press_handler_id", None)
        if handler_id is not None:
            canvas.mpl_disconnect(handler_id)
        self._cids = [
            canvas.mpl_connect("key_press_event", self.on_key),
            canvas.mpl_connect("button_press_event", self.on_click),
        ]
        self.refresh()

    def frame_of(self, event: Any) -> int | None:
        """The frame under a mouse/key event's pointer, or None when it is off both axes."""
        xdata = getattr(event, "xdata", None)
        if xdata is None or getattr(event, "inaxes", None) not in (self.ax, self.ax_overview):
            return None
        return frame_at_time(self.times_s, float(xdata))

    def on_key(self, event: Any) -> None:
        """``key_press_event`` handler: forward to the editor, then redraw."""
        message = self.editor.handle_key(getattr(event, "key", None), frame=self.frame_of(event))
        if message:
            self.status = message
        self.refresh()
        if self.editor.quit_requested and self._on_quit is not None:
            self._on_quit()

    def on_click(self, event: Any) -> None:
        """``button_press_event`` handler: a left click selects the event under the pointer."""
        if getattr(event, "button", 1) != 1 or self.frame_of(event) is None:
            return
        # Ignore clicks while a toolbar zoom/pan tool is active.
        toolbar = getattr(getattr(self.fig.canvas, "manager", None), "toolbar", None)
        if toolbar is not None and str(getattr(toolbar, "mode", "")):
            return
        self.status = self.editor.select_at(self.frame_of(event))
        self.refresh()

    def visible_window_s(self) -> tuple[float, float]:
        """The x-limits [s] the main axes show for the current event (whole recording if none)."""
        t_first, t_end = float(self._edges[0]), float(self._edges[-1])
        label = self.editor.current
        if label is None:
            return t_first, t_end
        n = self._edges.size - 1
        t0 = float(self._edges[min(label.start_frame, n)])
        t1 = float(self._edges[min(label.end_frame, n)])
        width = max(self.cfg.window_s, 1.5 * (t1 - t0))
        if width >= t_end - t_first:
            return t_first, t_end
        lo = (t0 + t1) / 2 - width / 2
        lo = min(max(lo, t_first), t_end - width)
        return lo, lo + width

    def refresh(self) -> None:
        """Redraw spans, the pending add marker, the zoom window and the text lines."""
        self._overlay.clear()
        labels = self.editor.labels
        self._colors = gesture_colors([*self._colors, *self.editor.vocabulary])
        arts = self._overlay.artists
        arts += draw_label_spans(
            self.ax, labels, times_s=self.times_s, highlight=self.editor.index, colors=self._colors
        )
        arts += draw_label_spans(
            self.ax_overview,
            labels,
            times_s=self.times_s,
            highlight=self.editor.index,
            colors=self._colors,
            names=False,
        )
        if self.editor.pending_start is not None:
            t = float(self._edges[self.editor.pending_start])
            for ax in (self.ax, self.ax_overview):
                arts.append(ax.axvline(t, color="tab:red", linestyle="--", linewidth=1.5, zorder=5))
        lo, hi = self.visible_window_s()
        self.ax.set_xlim(lo, hi)
        arts.append(
            self.ax_overview.axvspan(lo, hi, facecolor=(0, 0, 0, 0.08), edgecolor="black", linewidth=1.5, zorder=5)
        )
        dirty = "  [modified]" if self.editor.dirty else ""
        self.ax.set_title(f"{self._title}{dirty}\n{self.editor.describe_current()}", fontsize=10, loc="left")
        self.status_text.set_text(textwrap.fill(self.status, self._status_width, break_on_hyphens=False))
        self.fig.canvas.draw_idle()

    def disconnect(self) -> None:
        """Stop receiving key and mouse events."""
        for cid in self._cids:
            self.fig.canvas.mpl_disconnect(cid)
        self._cids.clear()


# -- overview and command -------------------------------------------------------------------------------
def velocity_time_of(session: Session) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]]:
    """The default velocity-time map of a session and its velocity axis.

    Returns:
        ``(frames, doppler_bins)`` float32 map (:func:`dsp.velocity_time` of :func:`dsp.range_doppler` with
        the default :class:`dsp.RangeDopplerConfig`, bad frames NaN) and the ``(doppler_bins,)`` bin
        centres [m/s]; see :func:`radargest.pipeline.velocity_time_of`.
    """
    return pipeline.velocity_time_of(session)


def plot_overview(
    fig: Figure,
    labels: Sequence[Label],
    *,
    vt: npt.ArrayLike,
    times_s: npt.ArrayLike,
    velocities_m_s: npt.ArrayLike,
    title: str = "",
    cmap: str = "Greys",
) -> None:
    """Draw the whole recording with every label span on ``fig`` (one axes plus a colour bar).

    Shapes as in :class:`LabelView`. Names are rotated upright when events are too dense to read flat.
    """
    ax = fig.add_subplot(1, 1, 1)
    image = plot_velocity_time(ax, vt, times_s=times_s, velocities_m_s=velocities_m_s, cmap=cmap)
    edges = frame_edges_s(times_s)
    ax.set_xlim(edges[0], edges[-1])
    sorted_labels = sorted(labels)
    draw_label_spans(
        ax,
        sorted_labels,
        times_s=times_s,
        highlight=None,
        colors=gesture_colors(sorted({lb.gesture for lb in sorted_labels})),
    )
    counts: dict[str, int] = {}
    for label in sorted_labels:
        counts[label.gesture] = counts.get(label.gesture, 0) + 1
    summary = ", ".join(f"{g} ×{c}" for g, c in sorted(counts.items())) or "no labels"
    ax.set_title(f"{title}\n{len(sorted_labels)} event(s): {summary}", fontsize=10, loc="left")
    fig.colorbar(image, ax=ax, pad=0.01, fraction=0.03, label="Doppler magnitude (log1p, normalised)")


def _title_of(session: Session) -> str:
    meta = session.meta
    who = f"  subject {meta.subject}  preset {meta.preset}" if meta is not None else "  (plain record)"
    return (
        f"{session.path.name}{who}  {session.num_frames} frames  "
        f"{session.frame_rate_hz:.1f} Hz  {session.duration_s:.1f} s"
    )


def run_label(path: Path, *, png: Path | None = None, gestures: Sequence[str] = ()) -> int:
    """The ``radargest label`` command.

    With ``png`` writes an overview of the whole recording with all spans and opens no window; otherwise
    opens the interactive review window and saves with :func:`acquisition.save_labels` on ``s``.

    Returns:
        0 (a window closed with unsaved edits says so on stderr: the file is unchanged).

    Labels that training would refuse (outside the recording, unreadable rows) are left out with a warning on
    stderr, so that the file can be repaired here.

    Raises:
        ValueError: an invalid gesture name, a PNG that cannot be written, or no display for the window.
        acquisition.RecordingError: the file is not a readable recording.
        dsp.ParameterError: the recording's config cannot be featurised.
    """
    path = Path(path)
    bad = [g for g in gestures if not GESTURE_NAME_RE.match(g)]
    if bad:
        raise ValueError(f"invalid gesture name(s) {bad}; use {GESTURE_NAME_RE.pattern}")
    if png is not None:
        png = png_path(png)  # a folder: say so before the work
    # this command repairs labels: it opens a file whose table training refuses
    left_out = "not drawn" if png is not None else "not shown, and saving drops it ('radargest labels export' keeps it)"
    session = load_to_draw(path, left_out=left_out)
    vt, velocities = velocity_time_of(session)
    times = session.times_s
    title = _title_of(session)

    if png is not None:
        width_in = float(np.clip(session.duration_s / 3.0, 12.0, 48.0))
        fig = Figure(figsize=(width_in, 4.8), layout="constrained")
        plot_overview(fig, session.labels, vt=vt, times_s=times, velocities_m_s=velocities, title=title)
        try:
            fig.savefig(png, dpi=110)
        except OSError as exc:
            raise ValueError(f"{png}: cannot write PNG ({exc.strerror or exc})") from None
        print(f"wrote {png}")
        return 0

    import matplotlib.pyplot as plt

    def save(labels: list[Label]) -> None:
        save_labels(path, labels)

    editor = LabelEditor(session.labels, num_frames=session.num_frames, gestures=gestures, save=save)
    cfg = LabelViewConfig()
    fig = open_window(cfg.figsize_in, instead="use --png FILE for an overview image")
    fig.canvas.manager.set_window_title(f"radargest label: {path.name}")  # type: ignore[union-attr]
    LabelView(
        fig,
        editor,
        vt=vt,
        times_s=times,
        velocities_m_s=velocities,
        title=title,
        cfg=cfg,
        on_quit=lambda: plt.close(fig),
    )
    plt.show()
    if editor.dirty:
        print(f"radargest label: window closed with unsaved edits; {path} is unchanged", file=sys.stderr)
    return 0
