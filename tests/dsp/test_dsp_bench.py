from dsp_helpers import load

from dsp.bench import bench_dsp


def test_bench_runs_and_reports_ratios() -> None:
    x, g, rec = load("tap_in_idx_2")
    n = 300
    results = list(rec.extended_results)[:n]
    out = bench_dsp(
        x[:n], geometry=g, sensor_config=rec.session_config.sensor_config, repeats=1, extended_results=results
    )
    for key in ("stream_s_per_frame", "batch_s_per_frame", "sparse_iq_s_per_frame", "sparse_iq_over_stream"):
        assert out[key] > 0
    # a ratio, not a speed: the benchmark reports it, a test asserts no wall-clock bound (the machines are shared)
    assert out["batch_realtime_factor"] > 0
    rebuilt = bench_dsp(x[:50], geometry=g, sensor_config=rec.session_config.sensor_config, repeats=1)
    assert rebuilt["frames"] == 50
