"""Model soups (models.soup, ``radargest soup``): the mean of fine-tunes' weights, written and calibrated as a run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from tiny_models import tiny_config

from models.config import RunError, load_run, read_config
from models.soup import average_weights, check_members, soup_runs


def test_average_weights_is_the_element_wise_mean_in_each_tensors_dtype() -> None:
    a = [np.array([1.0, 2.0], dtype=np.float32), np.array([[0, 4]], dtype=np.float32)]
    b = [np.array([3.0, 5.0], dtype=np.float32), np.array([[2, 0]], dtype=np.float32)]
    got = average_weights([a, b])
    np.testing.assert_array_equal(got[0], [2.0, 3.5])
    np.testing.assert_array_equal(got[1], [[1, 2]])
    assert all(g.dtype == np.float32 for g in got)
    with pytest.raises(RunError, match="at least two"):
        average_weights([a])
    with pytest.raises(RunError, match="another architecture"):
        average_weights([a, [b[0], np.zeros((2, 2), dtype=np.float32)]])
    with pytest.raises(RunError, match="another architecture"):
        average_weights([a, b[:1]])


@pytest.fixture(scope="module")
def fine_tunes(tiny_run: Path, sim_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three one-epoch fine-tunes of the tiny run: seeds 1 and 2, and seed 4 with another learning rate."""
    from models.train import train

    runs = []
    for seed, lr in ((1, 3e-3), (2, 3e-3), (4, 1e-3)):
        out = tmp_path_factory.mktemp(f"ft{seed}")
        train(tiny_config(sim_dir, init=str(tiny_run), seed=seed, epochs=1, learning_rate=lr), out, progress=False)
        runs.append(out)
    return runs


def test_soup_is_the_mean_model_with_its_own_operating_point(fine_tunes: list[Path], tmp_path: Path) -> None:
    a, b = fine_tunes[:2]
    out = tmp_path / "soup"
    lines: list[str] = []
    calibration = soup_runs([a, b], out, progress=False, log=lines.append)
    model, cfg = load_run(out)
    wa, wb = load_run(a)[0].get_weights(), load_run(b)[0].get_weights()
    assert any(not np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))  # two different models
    for got, x, y in zip(model.get_weights(), wa, wb, strict=True):
        np.testing.assert_allclose(got, (x.astype(np.float64) + y) / 2, rtol=1e-6, atol=1e-7)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["soup"] == {"members": [str(a.resolve()), str(b.resolve())], "seeds": [1, 2]}
    assert metrics["calibration"] == json.loads(json.dumps(calibration))
    assert cfg.min_score == calibration["min_score"]
    first = read_config(a / "config.toml")
    assert dataclasses.replace(cfg, min_score=0.0, close_look=True) == dataclasses.replace(
        first, min_score=0.0, close_look=True
    )
    assert "souped 2 runs (seeds 1, 2)" in lines[0] and "operating point" in lines[-1]
    assert not (out / "history.json").exists()  # a soup has no training history of its own


def test_soup_refuses_runs_that_are_not_seeds_of_one_fine_tune(
    fine_tunes: list[Path], tiny_run: Path, tmp_path: Path
) -> None:
    a, b, other_lr = fine_tunes
    out = tmp_path / "soup"
    with pytest.raises(RunError, match="from scratch"):
        soup_runs([tiny_run, a], out, progress=False)
    with pytest.raises(RunError, match="same seed"):
        soup_runs([a, a], out, progress=False)
    with pytest.raises(RunError, match="learning_rate"):
        soup_runs([a, other_lr], out, progress=False)
    with pytest.raises(RunError, match="at least two"):
        check_members([read_config(a / "config.toml")], [str(a)])
    with pytest.raises(RunError, match="is one of the soup's runs"):
        soup_runs([a, b], a, progress=False)
    assert not out.exists()  # refused before anything was written
    soup_runs([a, b], out, progress=False)
    before = (out / "model.keras").read_bytes()
    with pytest.raises(RunError, match="holds a run already"):
        soup_runs([a, b], out, progress=False)
    assert (out / "model.keras").read_bytes() == before  # nothing lost


def test_soup_refuses_runs_of_another_preset_or_frame_rate_by_name(tmp_path: Path) -> None:
    """Members trained at other frame rates or presets were refused only as differing in ``architecture`` or
    ``dataset``; the message now says which of the two, and the rates."""
    a = tiny_config(tmp_path, init=str(tmp_path / "pretrained"), seed=1)
    rate_a = a.dataset.window.rate_hz(a.architecture.window_frames)  # type: ignore[attr-defined]
    slow = dataclasses.replace(  # type: ignore[type-var]
        a,
        seed=2,
        architecture=dataclasses.replace(a.architecture, window_frames=26),  # type: ignore[attr-defined]
    )
    rate_slow = slow.dataset.window.rate_hz(26)
    assert rate_slow < 0.9 * rate_a  # 29.7 Hz against 57.1 Hz
    with pytest.raises(RunError) as refused:
        check_members([a, slow], ["runs/a", "runs/b"])
    said = str(refused.value)
    assert said.startswith(f"runs/b: trained at frame rate {rate_slow:.1f} Hz against runs/a's {rate_a:.1f} Hz")
    assert "share their preset and frame rate" in said
    far = dataclasses.replace(  # type: ignore[type-var]
        a,
        seed=2,
        dataset=dataclasses.replace(a.dataset, preset="gesture_far"),  # type: ignore[attr-defined]
    )
    with pytest.raises(RunError, match="runs/b: trained on preset 'gesture_far', runs/a on 'gesture_close'"):
        check_members([a, far], ["runs/a", "runs/b"])
    near = dataclasses.replace(  # type: ignore[type-var]
        a,
        seed=2,
        architecture=dataclasses.replace(a.architecture, window_frames=49),  # type: ignore[attr-defined]
    )
    with pytest.raises(RunError, match="differs from runs/a in architecture"):  # within the tolerance: as before
        check_members([a, near], ["runs/a", "runs/b"])
    check_members([a, dataclasses.replace(a, seed=2)], ["runs/a", "runs/b"])  # type: ignore[type-var]


def test_soup_command(fine_tunes: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from radargest.cli import main

    a, b, _ = fine_tunes
    out = tmp_path / "soup"
    assert main(["soup", str(a), str(b), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "souped 2 runs" in printed and "operating point" in printed
    assert (
        read_config(out / "config.toml").min_score
        == json.loads((out / "metrics.json").read_text())["calibration"]["min_score"]
    )
    assert main(["soup", str(a), str(b), "--out", str(out), "--quiet"]) == 2  # exists: refused, not replaced
    assert "--overwrite" in capsys.readouterr().err
    (out / "notes.txt").write_text("mine")
    assert main(["soup", str(a), str(b), "--out", str(out), "--overwrite", "--quiet"]) == 0
    assert (out / "notes.txt").read_text() == "mine"  # --overwrite replaces the run, not the user's files
    with pytest.raises(SystemExit) as exit_info:
        main(["soup", "--out", str(out)])  # no runs: a usage error
    assert exit_info.value.code == 2


def test_an_interrupted_soup_leaves_no_run_behind(
    fine_tunes: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The soup is built and calibrated beside ``--out`` and moved in whole: a failure during the calibration
    leaves neither an uncalibrated run (``min_score`` 0) nor its scratch folder."""
    import models.train

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(models.train, "calibrate_run", interrupted)
    out = tmp_path / "soup"
    with pytest.raises(KeyboardInterrupt):
        soup_runs(fine_tunes[:2], out, progress=False)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_soup_help_says_when_the_init_runs_operating_point_is_kept(
    fine_tunes: list[Path], tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The help said only that the soup chooses its operating point again; a soup of fine-tunes whose streams hold
    too little background keeps the --init run's min_score (as calibrate does), and the help now says so."""
    from radargest.cli import main

    calibration = soup_runs(fine_tunes[:2], tmp_path / "soup", progress=False)
    assert calibration["kept_from"] and calibration["min_score"] == read_config(tiny_run / "config.toml").min_score
    with pytest.raises(SystemExit):
        main(["soup", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "chooses its operating point again as 'radargest calibrate' does" in text
    assert "hold too little background to judge the budget, the soup keeps the --init run's min_score" in text


def test_soup_pulled_back_toward_the_init_run(fine_tunes: list[Path], tiny_run: Path, tmp_path: Path) -> None:
    """``fine_tune_weight`` w < 1 gives w of the members' mean and 1 - w of their --init run (WiSE-FT), named in
    metrics.json; weights outside (0, 1] and an init run that is gone are refused before anything is written."""
    from radargest.cli import main

    a, b = fine_tunes[:2]
    out = tmp_path / "soup"
    lines: list[str] = []
    soup_runs([a, b], out, fine_tune_weight=0.25, progress=False, log=lines.append)
    wa, wb, w0 = (load_run(p)[0].get_weights() for p in (a, b, tiny_run))
    for got, x, y, z in zip(load_run(out)[0].get_weights(), wa, wb, w0, strict=True):
        np.testing.assert_allclose(got, 0.25 * (x.astype(np.float64) + y) / 2 + 0.75 * z, rtol=1e-5, atol=1e-6)
    soup = json.loads((out / "metrics.json").read_text())["soup"]
    assert soup["fine_tune_weight"] == 0.25 and soup["init"] == str(tiny_run.resolve())
    assert any("0.25 of the fine-tunes' mean, 0.75 of" in line for line in lines)
    plain = tmp_path / "plain"
    soup_runs([a, b], plain, fine_tune_weight=1.0, progress=False)
    assert "fine_tune_weight" not in json.loads((plain / "metrics.json").read_text())["soup"]
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(RunError, match=r"fine_tune_weight must be in \(0, 1\]"):
            soup_runs([a, b], tmp_path / "bad", fine_tune_weight=bad, progress=False)
    with pytest.raises(SystemExit) as refused:  # outside (0, 1]: argparse's usage error
        main(["soup", str(a), str(b), "--out", str(tmp_path / "bad"), "--fine-tune-weight", "0", "--quiet"])
    assert refused.value.code == 2
    moved = tmp_path / "moved"
    members = []
    for p in (a, b):  # copies whose config names an init run that is not there
        copy = moved / p.name
        copy.mkdir(parents=True)
        (copy / "model.keras").write_bytes((p / "model.keras").read_bytes())
        cfg = read_config(p / "config.toml")
        (copy / "config.toml").write_text(
            (p / "config.toml").read_text().replace(f'init = "{cfg.init}"', f'init = "{tmp_path / "gone"}"')
        )
        members.append(copy)
    with pytest.raises(RunError, match="needs the members' --init run"):
        soup_runs(members, tmp_path / "bad", fine_tune_weight=0.5, progress=False)
    assert not (tmp_path / "bad").exists()
