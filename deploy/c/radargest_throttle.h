/*
 * radargest_throttle.h: the adaptive throttle policy (C99), the twin of deploy.throttle.step.
 *
 * Phases: IDLE (IDLE config: RG_IDLE_SWEEPS sweeps at the idle frame rate, onset metric only) -> ONSET (full rate, encoder fills the ring buffer)
 * -> ACTIVE (encoder every frame, head every hop) -> COOLDOWN (idle rate, no wake-up) -> IDLE.
 * After an awake period that ends without a decision (hold or max awake: everyday motion) the wake level is
 * backoff_onset_db for backoff_frames periods; a decision clears it.
 * Every counter is in full-rate frame periods: an idle-rate frame advances the timers by
 * RG_THROTTLE_IDLE_DECIMATION, a full-rate frame by 1. Thresholds are compared in float32; the Python
 * policy does the same, so state sequences are identical (tests/deploy/test_deploy_c_parity.py).
 *
 * The onset stream: ONE rg_onset_state initialised with rg_onset_init_idle (window lengths counted at
 * the idle rate) is fed one sample every RG_THROTTLE_IDLE_DECIMATION full-rate periods in every phase;
 * rg_throttle_onset_due says whether the incoming frame is one of them. Every frame's power is taken on
 * its first RG_IDLE_SWEEPS sweeps and RG_IDLE_POINTS points (rg_features_idle_power, _full for a full
 * frame): an IDLE frame has no more.
 *
 * Per sensed frame (an IDLE frame holds RG_IDLE_SWEEPS sweeps, a full frame RG_SWEEPS):
 *
 *     rg_throttle_state th; rg_onset_state onset; rg_throttle_actions act;
 *     const rg_throttle_config cfg = RG_THROTTLE_CONFIG_DEFAULT;
 *     rg_throttle_init(&th); rg_onset_init_idle(&onset);
 *     int decided = 0;
 *     for (;;) {
 *         wait_for_frame(iq);
 *         rg_throttle_obs obs = { NAN, decided };
 *         int full = th.phase == RG_PHASE_ONSET || th.phase == RG_PHASE_ACTIVE;  // this frame's config
 *         float power = full ? rg_features_idle_power_full_i16(iq)     // the IDLE sweeps and points
 *                            : rg_features_idle_power_i16(iq);
 *         if (full) (void)rg_features_frame_i16(iq, rd);               // the map, full frames only
 *         if (rg_throttle_onset_due(&th, &cfg)) {
 *             rg_onset_result r; rg_onset_process(&onset, block_mean(power), &r); obs.ratio_db = r.ratio_db;
 *         }
 *         rg_throttle_step(&th, &obs, &cfg, &act);
 *         if (act.reset_head) clear_ring_buffer_fill_with_next();  // history = next encoded frame
 *         if (act.run_encoder) encode(rd);                        // full frames only
 *         decided = act.run_head ? run_head_and_report() : 0;     // 1 if a gesture was emitted
 *         set_sensor_config(act.full_rate ? FULL : IDLE);
 *     }
 *
 * On the A121 a configuration change is a new session setup (acc_sensor_prepare with the other config,
 * the calibration reused); set_sensor_config only acts on a change. deploy.power counts each switch.
 */
#ifndef RADARGEST_THROTTLE_H
#define RADARGEST_THROTTLE_H

#include <stdint.h>

#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Phases; the values equal deploy.throttle.Phase. */
enum { RG_PHASE_IDLE = 0, RG_PHASE_ONSET = 1, RG_PHASE_ACTIVE = 2, RG_PHASE_COOLDOWN = 3 };

/* Policy parameters, in full-rate frames (deploy.throttle.ThrottleConfig converted by config.h). */
typedef struct {
    int32_t idle_decimation;   /* full-rate periods per idle frame */
    float onset_db;            /* idle onset ratio that wakes [dB] */
    float release_db;          /* ratio counted as ongoing motion [dB] */
    int32_t warmup_frames;     /* full-rate frames before the head first runs */
    int32_t hold_frames;       /* no motion and no decision this long -> IDLE */
    int32_t max_active_frames; /* awake this long without a decision -> COOLDOWN */
    int32_t cooldown_frames;   /* COOLDOWN length [full-rate periods] */
    int32_t head_hop_frames;   /* frames between head runs */
    int32_t backoff_frames;    /* after an awake period without a decision: wake at backoff_onset_db this long */
    float backoff_onset_db;    /* idle onset ratio that wakes during the back-off [dB] */
} rg_throttle_config;

/* Initialiser from config.h. */
#define RG_THROTTLE_CONFIG_DEFAULT                                                                         \
    {                                                                                                      \
        RG_THROTTLE_IDLE_DECIMATION, RG_THROTTLE_ONSET_DB, RG_THROTTLE_RELEASE_DB, RG_THROTTLE_WARMUP_FRAMES, \
            RG_THROTTLE_HOLD_FRAMES, RG_THROTTLE_MAX_ACTIVE_FRAMES, RG_THROTTLE_COOLDOWN_FRAMES,           \
            RG_THROTTLE_HEAD_HOP_FRAMES, RG_THROTTLE_BACKOFF_FRAMES, RG_THROTTLE_BACKOFF_ONSET_DB          \
    }

/* Policy state (deploy.throttle.ThrottleState); counters in full-rate frame periods. */
typedef struct {
    int32_t phase;               /* RG_PHASE_*; ONSET/ACTIVE mean the next frame comes at full rate */
    int32_t phase_frames;        /* periods spent in COOLDOWN */
    int32_t active_frames;       /* full-rate frames since the wake-up */
    int32_t since_motion_frames; /* full-rate frames since the last ratio >= release_db */
    int32_t since_onset_frames;  /* periods since the onset metric was last computed */
    int32_t hop_frames;          /* frames since the head last ran */
    int32_t backoff_frames;      /* periods left of the back-off (IDLE/COOLDOWN) */
} rg_throttle_state;

/* Observation of one sensed frame. */
typedef struct {
    float ratio_db;  /* onset ratio if rg_throttle_onset_due, else NaN [dB] */
    int32_t decided; /* the previous head run emitted a decision (any phase; clears the back-off) */
} rg_throttle_obs;

/* Actions for this frame (full_rate: for the frames that follow). */
typedef struct {
    int32_t full_rate;
    int32_t run_encoder;
    int32_t run_head;
    int32_t reset_head;
} rg_throttle_actions;

/* Start in IDLE. */
void rg_throttle_init(rg_throttle_state *st);

/* 1 if the onset metric must be computed for the next sensed frame. */
int32_t rg_throttle_onset_due(const rg_throttle_state *st, const rg_throttle_config *cfg);

/* Advance by one sensed frame: updates *st and writes *act. */
void rg_throttle_step(rg_throttle_state *st, const rg_throttle_obs *obs, const rg_throttle_config *cfg,
                      rg_throttle_actions *act);

#ifdef __cplusplus
}
#endif

#endif /* RADARGEST_THROTTLE_H */
