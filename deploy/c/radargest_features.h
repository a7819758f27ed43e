/*
 * radargest_features.h: range-Doppler map and onset metric of A121 Sparse IQ frames (C99).
 *
 * The C twin of the Python dsp package with its default configs: dsp.range_doppler (mean removal over
 * sweeps, Hann window normalised to sum 1, DFT over sweeps, fftshift, |.|, compression, normalisation)
 * and dsp.OnsetProcessor (motion energy in the Doppler bins with |v| >= min_speed, causal moving mean,
 * adaptive floor = a percentile of the trailing window of levels, ratio = level - floor).
 *
 * - No dynamic allocation. Every size and constant comes from the generated config.h
 *   (deploy.c_config.write_config_h); all state lives in caller-provided structs.
 * - float32 arithmetic. Parity with the Python pipeline (float64) is checked by
 *   tests/deploy/test_deploy_c_parity.py: |c - py| <= 1e-4 * max(1, |py|).
 * - Missing frames: a frame with any NaN/inf sample gives NaN map values for the affected points and a
 *   non-finite onset power; rg_onset_process treats that as a missing frame (NaN metric and ratio,
 *   floor held, state unchanged), exactly like dsp.
 *
 * Frame layout: iq[(sweep * RG_POINTS + point) * 2 + {0: real, 1: imag}], i.e. the sensor's
 * (sweeps, points) complex order. Map layout: rd[bin * RG_POINTS + point], bins after fftshift
 * (most negative velocity first; negative = approaching).
 *
 * Typical loop on the device (see radargest_throttle.h for the throttle):
 *
 *     static rg_onset_state onset;            // idle-rate onset stream for the throttle
 *     static float rd[RG_DOPPLER_BINS * RG_POINTS];
 *     rg_onset_init_idle(&onset);
 *     for (;;) {
 *         read_frame_i16(iq);                    // RG_SWEEPS x RG_POINTS complex int16 from the sensor
 *         float power = rg_features_frame_i16(iq, need_map ? rd : NULL);
 *         if (onset_due) { rg_onset_result r; rg_onset_process(&onset, power, &r); ... r.ratio_db ... }
 *     }
 *
 * Pass rd = NULL when only the onset power is needed (idle): the DFT then runs for the motion bins only.
 */
#ifndef RADARGEST_FEATURES_H
#define RADARGEST_FEATURES_H

#include <stdint.h>

#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RG_MAX_I(a, b) ((a) > (b) ? (a) : (b))
/* capacity of the onset windows: enough for both the full-rate and the idle-rate configuration */
#define RG_ONSET_SMOOTH_CAPACITY RG_MAX_I(RG_ONSET_SMOOTH_FRAMES_FULL, RG_ONSET_SMOOTH_FRAMES_IDLE)
#define RG_ONSET_FLOOR_CAPACITY RG_MAX_I(RG_ONSET_FLOOR_FRAMES_FULL, RG_ONSET_FLOOR_FRAMES_IDLE)

/* Onset processor state; initialise with rg_onset_init*, never touch the fields. */
typedef struct {
    int32_t smooth_frames;                      /* moving-mean length [frames] */
    int32_t floor_frames;                       /* floor window length [frames] */
    int32_t n_powers;                           /* powers held (<= smooth_frames) */
    int32_t power_head;                         /* ring index of the oldest power */
    int32_t n_levels;                           /* levels held (<= floor_frames) */
    int32_t level_head;                         /* ring index of the oldest level */
    float floor_db;                             /* last floor [dB], NaN before the first valid frame */
    float powers[RG_ONSET_SMOOTH_CAPACITY];     /* ring of the last powers [counts^2] */
    float levels[RG_ONSET_FLOOR_CAPACITY];      /* ring of the last levels, arrival order [dB] */
    float sorted[RG_ONSET_FLOOR_CAPACITY];      /* the same levels, ascending */
} rg_onset_state;

/* Per-frame onset outputs, as dsp.OnsetResult. */
typedef struct {
    float metric;   /* smoothed motion energy [counts^2]; NaN for a missing frame */
    float floor_db; /* adaptive floor [dB re 1 count^2]; held over missing frames */
    float ratio_db; /* 10 log10(metric + eps) - floor [dB]; NaN for a missing frame */
} rg_onset_result;

/*
 * Range-Doppler map and onset power of one frame.
 *   iq:     RG_SWEEPS * RG_POINTS * 2 floats (layout above), sensor counts.
 *   rd_out: RG_DOPPLER_BINS * RG_POINTS floats, or NULL to skip the map.
 * Returns the unsmoothed motion energy [counts^2] (dsp.onset_power), non-finite for a bad frame.
 */
float rg_features_frame(const float *iq, float *rd_out);

/* Same for the sensor's int16 complex samples (iq: RG_SWEEPS * RG_POINTS * 2 int16). */
float rg_features_frame_i16(const int16_t *iq, float *rd_out);

/* rg_features_frame(_i16) that also writes the onset power per range point to points_out (RG_POINTS
 * floats, dsp.onset_point_power; NULL: not written): the decision gate's range condition. */
float rg_features_frame_points(const float *iq, float *rd_out, float *points_out);
float rg_features_frame_points_i16(const int16_t *iq, float *rd_out, float *points_out);

/*
 * Onset power of an IDLE frame: RG_IDLE_SWEEPS sweeps of RG_IDLE_POINTS points (every RG_IDLE_POINT_STEP-th
 * point of a full sweep, from point RG_IDLE_POINT_FIRST; same sweep-major layout), with the window
 * (RG_IDLE_WINDOW_TABLE), DFT and motion bins of that length (deploy.throttle.idle_power). Non-finite for a bad
 * frame.
 */
float rg_features_idle_power(const float *iq);
float rg_features_idle_power_i16(const int16_t *iq);

/*
 * The same power taken from a full frame (RG_SWEEPS x RG_POINTS): its first RG_IDLE_SWEEPS sweeps and every
 * RG_IDLE_POINT_STEP-th point from RG_IDLE_POINT_FIRST, the samples an IDLE frame measures; this is how the
 * throttle keeps one onset scale in every phase.
 */
float rg_features_idle_power_full(const float *iq);
float rg_features_idle_power_full_i16(const int16_t *iq);

/* rg_features_idle_power_full(_i16) that also writes the power per IDLE point to points_out (RG_IDLE_POINTS
 * floats, deploy.throttle.idle_point_power; NULL: not written). */
float rg_features_idle_points_full(const float *iq, float *points_out);
float rg_features_idle_points_full_i16(const int16_t *iq, float *points_out);

/*
 * The range-Doppler map an IDLE frame gives, on the full map's axes (dsp.idle_range_doppler; the throttle's
 * IDLE history, ThrottleConfig.idle_history): its RG_IDLE_SWEEPS sweeps mean-removed, a rectangular window
 * normalised to sum 1, a DFT zero-padded to RG_DOPPLER_BINS bins, fftshift, |.|; the full points between the
 * IDLE points linearly interpolated, the last IDLE point repeated beyond it; compression and normalisation as
 * the full map. rd_out: RG_DOPPLER_BINS * RG_POINTS floats (layout above); NaN samples give NaN values where
 * dsp gives them. rg_features_idle_map(_i16) take an IDLE frame (RG_IDLE_SWEEPS x RG_IDLE_POINTS),
 * rg_features_idle_map_full(_i16) a full frame (RG_SWEEPS x RG_POINTS, its IDLE samples read).
 */
void rg_features_idle_map(const float *iq, float *rd_out);
void rg_features_idle_map_i16(const int16_t *iq, float *rd_out);
void rg_features_idle_map_full(const float *iq, float *rd_out);
void rg_features_idle_map_full_i16(const int16_t *iq, float *rd_out);

/* Start an onset stream with the given window lengths [frames]; returns 0, or -1 if they exceed the
 * capacity above or are < 1 (the state is then unusable). */
int32_t rg_onset_init(rg_onset_state *st, int32_t smooth_frames, int32_t floor_frames);

/* Start an onset stream at full rate (RG_ONSET_*_FULL) or at the throttle's idle rate (RG_ONSET_*_IDLE). */
void rg_onset_init_full(rg_onset_state *st);
void rg_onset_init_idle(rg_onset_state *st);

/* sizeof(rg_onset_state), for bindings that hold the state as opaque bytes. */
uint32_t rg_onset_state_bytes(void);

/* Forget the stream, keep the window lengths. */
void rg_onset_reset(rg_onset_state *st);

/* Advance by one frame given its power from rg_features_frame*; writes the outputs to *out. */
void rg_onset_process(rg_onset_state *st, float power, rg_onset_result *out);

#ifdef __cplusplus
}
#endif

#endif /* RADARGEST_FEATURES_H */
