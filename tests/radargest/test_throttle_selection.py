"""scripts/throttle_selection.py: the distance bands it splits right decisions by."""

from __future__ import annotations

import pytest
from cli_helpers import load_script


@pytest.mark.parametrize(
    ("distance_m", "band"),
    [
        (None, "recorded"),
        (0.05, "<0.1"),
        (0.10, "0.1-0.15"),
        (0.149, "0.1-0.15"),
        (0.15, ">=0.15"),
        (0.199, ">=0.15"),
    ],
)
def test_distance_band_cuts_at_the_edges(distance_m: float | None, band: str) -> None:
    """A distance on an edge belongs to the band above it; a recorded session has its own band."""
    assert load_script("throttle_selection").distance_band(distance_m, [0.10, 0.15]) == band


def test_distance_band_with_one_edge() -> None:
    select = load_script("throttle_selection")
    assert [select.distance_band(d, [0.2]) for d in (0.1, 0.2, 0.3)] == ["<0.2", ">=0.2", ">=0.2"]


def test_distance_band_names_an_edge_as_given() -> None:
    """0.175 m stays 0.175 in the band's name (two decimals would round it to 0.17)."""
    assert load_script("throttle_selection").distance_band(0.18, [0.15, 0.175]) == ">=0.175"
