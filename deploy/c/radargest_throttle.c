/*
 * radargest_throttle.c: see radargest_throttle.h. Mirrors deploy/throttle.py step() line by line.
 */
#include "radargest_throttle.h"

#include <string.h>

/* Counter + step, saturating at INT32_MAX: with extreme configs (frame counts near INT32_MAX) a plain
 * signed add would overflow (undefined behaviour); every comparison against a config count (<= INT32_MAX)
 * gives the same answer as Python's unbounded integers. */
static int32_t rg_add(int32_t counter, int32_t step)
{
    const int64_t sum = (int64_t)counter + (int64_t)step;
    return sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum);
}

static int32_t rg_advance(int32_t phase, const rg_throttle_config *cfg)
{
    return (phase == RG_PHASE_ONSET || phase == RG_PHASE_ACTIVE) ? 1 : cfg->idle_decimation;
}

static void rg_set_actions(rg_throttle_actions *act, int32_t full_rate, int32_t run_encoder, int32_t run_head,
                           int32_t reset_head)
{
    act->full_rate = full_rate;
    act->run_encoder = run_encoder;
    act->run_head = run_head;
    act->reset_head = reset_head;
}

void rg_throttle_init(rg_throttle_state *st)
{
    memset(st, 0, sizeof(*st));
    st->phase = RG_PHASE_IDLE;
}

int32_t rg_throttle_onset_due(const rg_throttle_state *st, const rg_throttle_config *cfg)
{
    return rg_add(st->since_onset_frames, rg_advance(st->phase, cfg)) >= cfg->idle_decimation;
}

void rg_throttle_step(rg_throttle_state *st, const rg_throttle_obs *obs, const rg_throttle_config *cfg,
                      rg_throttle_actions *act)
{
    const int32_t adv = rg_advance(st->phase, cfg);
    const int32_t due = rg_add(st->since_onset_frames, adv) >= cfg->idle_decimation;
    const int32_t since_onset = due ? 0 : rg_add(st->since_onset_frames, adv);
    /* a NaN ratio compares false everywhere, so it never wakes nor counts as motion */
    /* the back-off's periods left after this frame (IDLE and COOLDOWN; a decision clears it) */
    const int64_t left = (int64_t)st->backoff_frames - (int64_t)adv;
    const int32_t backoff = (obs->decided || left <= 0) ? 0 : (left > INT32_MAX ? INT32_MAX : (int32_t)left);
    const float level = (st->backoff_frames > 0 && !obs->decided) ? cfg->backoff_onset_db : cfg->onset_db;
    const int32_t wake = due && obs->ratio_db >= level;
    const int32_t motion = due && obs->ratio_db >= cfg->release_db;
    const int32_t phase = st->phase;
    rg_throttle_state next;
    memset(&next, 0, sizeof(next));
    next.phase = RG_PHASE_IDLE;
    next.since_onset_frames = since_onset;

    if (phase == RG_PHASE_IDLE) {
        if (wake) {
            next.phase = RG_PHASE_ONSET;
            rg_set_actions(act, 1, 0, 0, 1); /* the trigger is an IDLE frame: no map to encode */
        } else {
            next.backoff_frames = backoff;
            rg_set_actions(act, 0, 0, 0, 0);
        }
        *st = next;
        return;
    }
    if (phase == RG_PHASE_COOLDOWN) {
        const int32_t waited = rg_add(st->phase_frames, adv);
        if (waited < cfg->cooldown_frames) {
            next.phase = RG_PHASE_COOLDOWN;
            next.phase_frames = waited;
        }
        next.backoff_frames = backoff;
        rg_set_actions(act, 0, 0, 0, 0);
        *st = next;
        return;
    }
    /* ONSET or ACTIVE: a full-rate frame */
    {
        const int32_t active = rg_add(st->active_frames, 1);
        const int32_t since_motion = motion ? 0 : rg_add(st->since_motion_frames, 1);
        int32_t hop = st->hop_frames;
        int32_t new_phase = phase;
        int32_t run_head = 0;
        if (phase == RG_PHASE_ACTIVE && obs->decided) {
            next.phase = RG_PHASE_COOLDOWN;
            rg_set_actions(act, 0, 0, 0, 0);
            *st = next;
            return;
        }
        if (active >= cfg->max_active_frames) { /* no decision: everyday motion, back off */
            next.phase = RG_PHASE_COOLDOWN;
            next.backoff_frames = cfg->backoff_frames;
            rg_set_actions(act, 0, 0, 0, 0);
            *st = next;
            return;
        }
        if (since_motion >= cfg->hold_frames) {
            next.backoff_frames = cfg->backoff_frames;
            rg_set_actions(act, 0, 0, 0, 0);
            *st = next;
            return;
        }
        if (phase == RG_PHASE_ONSET && active >= cfg->warmup_frames) {
            new_phase = RG_PHASE_ACTIVE;
            hop = 0;
        }
        if (new_phase == RG_PHASE_ACTIVE) {
            hop = rg_add(hop, 1);
            if (hop >= cfg->head_hop_frames) {
                run_head = 1;
                hop = 0;
            }
        }
        next.phase = new_phase;
        next.active_frames = active;
        next.since_motion_frames = since_motion;
        next.hop_frames = hop;
        rg_set_actions(act, 1, 1, run_head, 0);
        *st = next;
    }
}
