"""Segmentation on simulated streams with ground truth (issue 3 acceptance).

Eight subjects, each with one mixed-gesture session (5 repetitions of every gesture, slow repositioning
in the pauses) and one 40 s still-hand session with slow repositioning: about 12.6 minutes, 10.8 of them
background. An event is found when a segment overlaps its label; a false event overlaps no label; the
detected span is the segmenter's event as emitted (its pre-roll and zero post-roll make it span the
movement), see :mod:`dsp.scoring`.
"""

from __future__ import annotations

from radargest.segeval import SimSegmentationConfig, evaluate_segmentation_sim


def test_simulated_streams_recall_false_events_and_timing() -> None:
    # the subject distribution issue 3 was accepted on; on the widened one (issue 12: 0.05-0.20 m, up to 20°
    # off axis) the recall of these sessions is 0.93, the misses being faint slow subjects at the far end
    total, rows = evaluate_segmentation_sim(cfg=SimSegmentationConfig(core_subjects=True))
    minutes = sum(r["minutes"] for r in rows)
    summary = total.summary(tolerance_s=0.1)
    assert minutes >= 10.0 and summary["background_min"] >= 10.0
    assert len({r["subject"] for r in rows}) >= 6
    assert total.truth >= 150
    assert summary["recall"] >= 0.98, summary
    assert summary["false_per_10_min"] <= 1.0, summary
    assert summary["both_within"] >= 0.9, summary
    still = [r for r in rows if r["kind"] == "still"]
    assert sum(r["false"] for r in still) <= 1
