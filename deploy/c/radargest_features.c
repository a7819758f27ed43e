/*
 * radargest_features.c: see radargest_features.h. C99, float32, no dynamic allocation.
 */
#include "radargest_features.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#if RG_SWEEPS < 2
#error "RG_SWEEPS must be >= 2 for a Doppler DFT"
#endif
#if RG_IDLE_SWEEPS < 2 || RG_IDLE_SWEEPS > RG_SWEEPS
#error "RG_IDLE_SWEEPS must be in 2..RG_SWEEPS"
#endif
#if RG_IDLE_POINT_STEP < 1 || RG_IDLE_POINT_FIRST < 0 || RG_IDLE_POINT_FIRST >= RG_IDLE_POINT_STEP ||                 \
    RG_IDLE_POINT_FIRST >= RG_POINTS
#error "RG_IDLE_POINT_FIRST must be in 0..RG_IDLE_POINT_STEP - 1 and below RG_POINTS"
#endif
#if RG_IDLE_POINTS != (RG_POINTS - RG_IDLE_POINT_FIRST + RG_IDLE_POINT_STEP - 1) / RG_IDLE_POINT_STEP
#error "RG_IDLE_POINTS must be every RG_IDLE_POINT_STEP-th of RG_POINTS from RG_IDLE_POINT_FIRST"
#endif

static const float rg_hann[RG_SWEEPS] = RG_HANN_TABLE;
static const float rg_cos[RG_SWEEPS] = RG_COS_TABLE;
static const float rg_sin[RG_SWEEPS] = RG_SIN_TABLE;
static const int16_t rg_shift[RG_DOPPLER_BINS] = RG_SHIFT_TABLE;
static const uint8_t rg_motion[RG_DOPPLER_BINS] = RG_MOTION_BIN_TABLE;
static const float rg_idle_window[RG_IDLE_SWEEPS] = RG_IDLE_WINDOW_TABLE;
static const float rg_idle_cos[RG_IDLE_SWEEPS] = RG_IDLE_COS_TABLE;
static const float rg_idle_sin[RG_IDLE_SWEEPS] = RG_IDLE_SIN_TABLE;
static const int16_t rg_idle_shift[RG_IDLE_SWEEPS] = RG_IDLE_SHIFT_TABLE;
static const uint8_t rg_idle_motion[RG_IDLE_SWEEPS] = RG_IDLE_MOTION_BIN_TABLE;

/* Compression and fixed normalisation of one magnitude, in dsp's order of operations. */
static float rg_compress(float mag)
{
#if RG_COMPRESSION == 1
    float v = log1pf(mag * RG_INV_REFERENCE_AMPLITUDE);
#elif RG_COMPRESSION == 2
    float v = 20.0f * log10f(mag * RG_INV_REFERENCE_AMPLITUDE + RG_DB_FLOOR);
#else
    float v = mag;
#endif
#if RG_NORMALISATION == 1
    v *= RG_INV_OUTPUT_SCALE;
#endif
    return v;
}

/* Compression and normalisation of a whole map of magnitudes, in place (dsp._compress_normalise). */
static void rg_compress_normalise(float *rd)
{
    int32_t i;
    for (i = 0; i < RG_DOPPLER_BINS * RG_POINTS; ++i) {
        rd[i] = rg_compress(rd[i]);
    }
#if RG_NORMALISATION == 2
    {
        /* frame_max: divide by the frame's largest |value|; a silent or NaN frame gives 0 (as dsp) */
        float peak = 0.0f;
        int32_t has_nan = 0;
        for (i = 0; i < RG_DOPPLER_BINS * RG_POINTS; ++i) {
            const float a = fabsf(rd[i]);
            if (isnan(a)) {
                has_nan = 1;
            } else if (a > peak) {
                peak = a;
            }
        }
        for (i = 0; i < RG_DOPPLER_BINS * RG_POINTS; ++i) {
            rd[i] = (has_nan || !(peak > 0.0f)) ? 0.0f : rd[i] / peak;
        }
    }
#endif
}

/* The first `sweeps` sweeps of point `q` of a frame whose sweeps hold `row` points, every `step`-th of them
 * counted (a full frame: RG_POINTS, 1; an IDLE frame: RG_IDLE_POINTS, 1; a full frame's IDLE points: RG_POINTS,
 * RG_IDLE_POINT_STEP), with their mean removed (see rg_frame), into re / im; exactly one of iq_f / iq_i is
 * non-NULL. */
static void rg_point_sweeps(const float *iq_f, const int16_t *iq_i, int32_t sweeps, int32_t row, int32_t step,
                            int32_t q, float *re, float *im)
{
    float sum_re = 0.0f;
    float sum_im = 0.0f;
    float mean_re, mean_im;
    int32_t s;
    for (s = 0; s < sweeps; ++s) {
        const size_t i = ((size_t)s * (size_t)row + (size_t)q * (size_t)step) * 2u;
        re[s] = iq_f != NULL ? iq_f[i] : (float)iq_i[i];
        im[s] = iq_f != NULL ? iq_f[i + 1u] : (float)iq_i[i + 1u];
        sum_re += re[s];
        sum_im += im[s];
    }
    mean_re = sum_re / (float)sweeps;
    mean_im = sum_im / (float)sweeps;
    for (s = 0; s < sweeps; ++s) {
        re[s] -= mean_re;
        im[s] -= mean_im;
    }
}

/* X[j] = sum_{s < n} x[s] exp(-2 pi i j s / period) of re / im, with the twiddles cos_t / sin_t of that period
 * (n < period: a DFT zero-padded to period). */
static void rg_dft_bin(const float *re, const float *im, int32_t n, const float *cos_t, const float *sin_t,
                       int32_t period, int32_t j, float *out_re, float *out_im)
{
    float acc_re = 0.0f;
    float acc_im = 0.0f;
    int32_t idx = 0;
    int32_t s;
    for (s = 0; s < n; ++s) {
        const float c = cos_t[idx];
        const float sn = sin_t[idx];
        acc_re += re[s] * c + im[s] * sn;
        acc_im += im[s] * c - re[s] * sn;
        idx += j;
        if (idx >= period) {
            idx -= period;
        }
    }
    *out_re = acc_re;
    *out_im = acc_im;
}

/*
 * Shared body: exactly one of iq_f / iq_i is non-NULL. Per point: remove the mean over sweeps, apply
 * the Hann window, DFT over sweeps into fftshifted bins. The mean is removed explicitly (not folded
 * into the DFT table) so that a strong static echo cancels exactly in float32.
 */
static float rg_frame(const float *iq_f, const int16_t *iq_i, float *rd_out, float *points_out)
{
    float power = 0.0f;
    int32_t p, s, k;
    for (p = 0; p < RG_POINTS; ++p) {
        float point_power = 0.0f;
        float re[RG_SWEEPS];
        float im[RG_SWEEPS];
        rg_point_sweeps(iq_f, iq_i, RG_SWEEPS, RG_POINTS, 1, p, re, im);
        for (s = 0; s < RG_SWEEPS; ++s) {
            re[s] *= rg_hann[s];
            im[s] *= rg_hann[s];
        }
        for (k = 0; k < RG_DOPPLER_BINS; ++k) {
            float acc_re, acc_im, pw;
            if (rd_out == NULL && !rg_motion[k]) {
                continue;
            }
            rg_dft_bin(re, im, RG_SWEEPS, rg_cos, rg_sin, RG_SWEEPS, rg_shift[k], &acc_re, &acc_im);
            pw = acc_re * acc_re + acc_im * acc_im;
            if (rg_motion[k]) {
                power += pw;
                point_power += pw;
            }
            if (rd_out != NULL) {
                rd_out[k * RG_POINTS + p] = sqrtf(pw);
            }
        }
        if (points_out != NULL) {
            points_out[p] = point_power;
        }
    }
    if (rd_out != NULL) {
        rg_compress_normalise(rd_out);
    }
    return power;
}

/* Onset power of the IDLE sweeps and points of a frame whose sweeps hold `row` points, the IDLE points
 * every `step` of them (an IDLE frame: RG_IDLE_POINTS, 1; a full frame: RG_POINTS, RG_IDLE_POINT_STEP);
 * exactly one of iq_f / iq_i is non-NULL. */
static float rg_idle_frame(const float *iq_f, const int16_t *iq_i, int32_t row, int32_t step, float *points_out)
{
    float power = 0.0f;
    int32_t p, s, k;
    for (p = 0; p < RG_IDLE_POINTS; ++p) {
        float point_power = 0.0f;
        float re[RG_IDLE_SWEEPS];
        float im[RG_IDLE_SWEEPS];
        rg_point_sweeps(iq_f, iq_i, RG_IDLE_SWEEPS, row, step, p, re, im);
        for (s = 0; s < RG_IDLE_SWEEPS; ++s) {
            re[s] *= rg_idle_window[s];
            im[s] *= rg_idle_window[s];
        }
        for (k = 0; k < RG_IDLE_SWEEPS; ++k) {
            float acc_re, acc_im;
            if (!rg_idle_motion[k]) {
                continue;
            }
            rg_dft_bin(re, im, RG_IDLE_SWEEPS, rg_idle_cos, rg_idle_sin, RG_IDLE_SWEEPS, rg_idle_shift[k], &acc_re,
                       &acc_im);
            power += acc_re * acc_re + acc_im * acc_im;
            point_power += acc_re * acc_re + acc_im * acc_im;
        }
        if (points_out != NULL) {
            points_out[p] = point_power;
        }
    }
    return power;
}

/*
 * The map of the IDLE sweeps and points of a frame whose sweeps hold `row` points, the IDLE points every
 * `step` of them (as rg_idle_frame), on the full map's axes (dsp.idle_range_doppler): per IDLE point the mean
 * over the RG_IDLE_SWEEPS sweeps removed, a rectangular window normalised to sum 1, a DFT zero-padded to
 * RG_DOPPLER_BINS bins (the full map's twiddles; the sum runs over the IDLE sweeps only), fftshift, |.|; the
 * full points in between linearly interpolated (every RG_IDLE_POINT_STEP-th full point from RG_IDLE_POINT_FIRST
 * is an IDLE point), the first and last IDLE points repeated beyond them; then compression and normalisation as
 * the full map.
 */
static void rg_idle_map(const float *iq_f, const int16_t *iq_i, int32_t row, int32_t step, float *rd_out)
{
    float mag[RG_DOPPLER_BINS][RG_IDLE_POINTS];
    int32_t p, q, s, k;
    for (q = 0; q < RG_IDLE_POINTS; ++q) {
        float re[RG_IDLE_SWEEPS];
        float im[RG_IDLE_SWEEPS];
        rg_point_sweeps(iq_f, iq_i, RG_IDLE_SWEEPS, row, step, q, re, im);
        for (s = 0; s < RG_IDLE_SWEEPS; ++s) {
            re[s] /= (float)RG_IDLE_SWEEPS;
            im[s] /= (float)RG_IDLE_SWEEPS;
        }
        for (k = 0; k < RG_DOPPLER_BINS; ++k) {
            const int32_t j = rg_shift[k];
            float acc_re, acc_im;
            /* the IDLE sweeps on the full frame's twiddles: a DFT zero-padded to RG_SWEEPS */
            rg_dft_bin(re, im, RG_IDLE_SWEEPS, rg_cos, rg_sin, RG_SWEEPS, j, &acc_re, &acc_im);
            /* bin 0 of a mean-removed frame under a rectangular window is 0 (dsp: ~1e-14); float32 would leave
             * the mean's rounding there (~1e-5 counts, 0.1 dB at the dB floor). x 0 keeps a NaN a NaN. */
            mag[k][q] = j == 0 ? 0.0f * acc_re * acc_im : sqrtf(acc_re * acc_re + acc_im * acc_im);
        }
    }
    for (p = 0; p < RG_POINTS; ++p) {
        /* both neighbours always enter (w = 0 included), so a NaN spreads exactly as in dsp */
        const int32_t ahead = p > RG_IDLE_POINT_FIRST ? p - RG_IDLE_POINT_FIRST : 0; /* past the first IDLE point */
        const int32_t at = ahead / RG_IDLE_POINT_STEP;
        const int32_t lo = at < RG_IDLE_POINTS - 1 ? at : RG_IDLE_POINTS - 1;
        const int32_t hi = lo + 1 < RG_IDLE_POINTS - 1 ? lo + 1 : RG_IDLE_POINTS - 1;
        const float w = hi > lo ? (float)(ahead - lo * RG_IDLE_POINT_STEP) / (float)RG_IDLE_POINT_STEP : 0.0f;
        for (k = 0; k < RG_DOPPLER_BINS; ++k) {
            rd_out[k * RG_POINTS + p] = mag[k][lo] * (1.0f - w) + mag[k][hi] * w;
        }
    }
    rg_compress_normalise(rd_out);
}

void rg_features_idle_map(const float *iq, float *rd_out)
{
    rg_idle_map(iq, NULL, RG_IDLE_POINTS, 1, rd_out);
}

void rg_features_idle_map_i16(const int16_t *iq, float *rd_out)
{
    rg_idle_map(NULL, iq, RG_IDLE_POINTS, 1, rd_out);
}

void rg_features_idle_map_full(const float *iq, float *rd_out)
{
    rg_idle_map(iq + 2 * RG_IDLE_POINT_FIRST, NULL, RG_POINTS, RG_IDLE_POINT_STEP, rd_out);
}

void rg_features_idle_map_full_i16(const int16_t *iq, float *rd_out)
{
    rg_idle_map(NULL, iq + 2 * RG_IDLE_POINT_FIRST, RG_POINTS, RG_IDLE_POINT_STEP, rd_out);
}

float rg_features_idle_power(const float *iq)
{
    return rg_idle_frame(iq, NULL, RG_IDLE_POINTS, 1, NULL);
}

float rg_features_idle_power_i16(const int16_t *iq)
{
    return rg_idle_frame(NULL, iq, RG_IDLE_POINTS, 1, NULL);
}

float rg_features_idle_power_full(const float *iq)
{
    return rg_idle_frame(iq + 2 * RG_IDLE_POINT_FIRST, NULL, RG_POINTS, RG_IDLE_POINT_STEP, NULL);
}

float rg_features_idle_power_full_i16(const int16_t *iq)
{
    return rg_idle_frame(NULL, iq + 2 * RG_IDLE_POINT_FIRST, RG_POINTS, RG_IDLE_POINT_STEP, NULL);
}

float rg_features_idle_points_full(const float *iq, float *points_out)
{
    return rg_idle_frame(iq + 2 * RG_IDLE_POINT_FIRST, NULL, RG_POINTS, RG_IDLE_POINT_STEP, points_out);
}

float rg_features_idle_points_full_i16(const int16_t *iq, float *points_out)
{
    return rg_idle_frame(NULL, iq + 2 * RG_IDLE_POINT_FIRST, RG_POINTS, RG_IDLE_POINT_STEP, points_out);
}

float rg_features_frame(const float *iq, float *rd_out)
{
    return rg_frame(iq, NULL, rd_out, NULL);
}

float rg_features_frame_i16(const int16_t *iq, float *rd_out)
{
    return rg_frame(NULL, iq, rd_out, NULL);
}

float rg_features_frame_points(const float *iq, float *rd_out, float *points_out)
{
    return rg_frame(iq, NULL, rd_out, points_out);
}

float rg_features_frame_points_i16(const int16_t *iq, float *rd_out, float *points_out)
{
    return rg_frame(NULL, iq, rd_out, points_out);
}

int32_t rg_onset_init(rg_onset_state *st, int32_t smooth_frames, int32_t floor_frames)
{
    memset(st, 0, sizeof(*st));
    if (smooth_frames < 1 || smooth_frames > RG_ONSET_SMOOTH_CAPACITY || floor_frames < 1 ||
        floor_frames > RG_ONSET_FLOOR_CAPACITY) {
        return -1;
    }
    st->smooth_frames = smooth_frames;
    st->floor_frames = floor_frames;
    st->floor_db = NAN;
    return 0;
}

void rg_onset_init_full(rg_onset_state *st)
{
    (void)rg_onset_init(st, RG_ONSET_SMOOTH_FRAMES_FULL, RG_ONSET_FLOOR_FRAMES_FULL);
}

void rg_onset_init_idle(rg_onset_state *st)
{
    (void)rg_onset_init(st, RG_ONSET_SMOOTH_FRAMES_IDLE, RG_ONSET_FLOOR_FRAMES_IDLE);
}

uint32_t rg_onset_state_bytes(void)
{
    return (uint32_t)sizeof(rg_onset_state);
}

void rg_onset_reset(rg_onset_state *st)
{
    (void)rg_onset_init(st, st->smooth_frames, st->floor_frames);
}

/* first index in sorted[0..n) whose value is >= v (bisect_left) */
static int32_t rg_lower_bound(const float *sorted, int32_t n, float v)
{
    int32_t lo = 0;
    int32_t hi = n;
    while (lo < hi) {
        const int32_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < v) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* first index in sorted[0..n) whose value is > v (bisect_right) */
static int32_t rg_upper_bound(const float *sorted, int32_t n, float v)
{
    int32_t lo = 0;
    int32_t hi = n;
    while (lo < hi) {
        const int32_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] <= v) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

void rg_onset_process(rg_onset_state *st, float power, rg_onset_result *out)
{
    const int32_t k = st->smooth_frames;
    const int32_t w = st->floor_frames;
    float sum = 0.0f;
    float metric, level, pos, frac, a, b;
    int32_t i, n, lo, hi;

    if (!isfinite(power)) {
        /* a missing frame: no output, floor held, state unchanged */
        out->metric = NAN;
        out->floor_db = st->floor_db;
        out->ratio_db = NAN;
        return;
    }
    /* causal moving mean over the last k powers, summed oldest first (as the Python deque) */
    if (st->n_powers < k) {
        st->powers[(st->power_head + st->n_powers) % k] = power;
        st->n_powers += 1;
    } else {
        st->powers[st->power_head] = power;
        st->power_head = (st->power_head + 1) % k;
    }
    for (i = 0; i < st->n_powers; ++i) {
        sum += st->powers[(st->power_head + i) % k];
    }
    metric = sum / (float)st->n_powers;
    level = 10.0f * log10f(metric + RG_ONSET_METRIC_EPS);

    /* trailing window of levels: drop the oldest when full, then insert the new one in order */
    n = st->n_levels;
    if (n == w) {
        const float old = st->levels[st->level_head];
        const int32_t at = rg_lower_bound(st->sorted, n, old);
        memmove(&st->sorted[at], &st->sorted[at + 1], (size_t)(n - at - 1) * sizeof(float));
        n -= 1;
        st->levels[st->level_head] = level;
        st->level_head = (st->level_head + 1) % w;
    } else {
        st->levels[(st->level_head + n) % w] = level;
    }
    {
        const int32_t at = rg_upper_bound(st->sorted, n, level);
        memmove(&st->sorted[at + 1], &st->sorted[at], (size_t)(n - at) * sizeof(float));
        st->sorted[at] = level;
        n += 1;
    }
    st->n_levels = n;

    /* linear-interpolated quantile of the sorted window */
    pos = RG_ONSET_QUANTILE * (float)(n - 1);
    lo = (int32_t)pos;
    hi = lo + 1 < n ? lo + 1 : n - 1;
    frac = pos - (float)lo;
    a = st->sorted[lo];
    b = st->sorted[hi];
    st->floor_db = a + (b - a) * frac;

    out->metric = metric;
    out->floor_db = st->floor_db;
    out->ratio_db = level - st->floor_db;
}
