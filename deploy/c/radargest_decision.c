/*
 * radargest_decision.c: segmenter + decision layer, the twin of dsp.segment.Segmenter and
 * dsp.decision.DecisionPolicy (same order of operations, float32 arithmetic). See the header.
 */
#include "radargest_decision.h"

#include <math.h>
#include <string.h>

int32_t rg_event_window_end(int32_t start, int32_t end, int32_t window_frames, int32_t end_pad, int32_t pre) {
    (void)start; /* the window ends at the latest evidence (dsp.event_window_end) */
    (void)window_frames;
    (void)pre;
    return end + end_pad;
}

int32_t rg_decision_window_end(int32_t start, int32_t end, int32_t now, int32_t window_frames, int32_t end_pad,
                               int32_t pre, int32_t history) {
    int32_t w = rg_event_window_end(start, end, window_frames, end_pad, pre);
    if (w > now + 1) w = now + 1;
    if (w < now + 1 - history) w = now + 1 - history;
    return w;
}

uint32_t rg_decision_state_bytes(void) {
    return (uint32_t)sizeof(rg_decision_state);
}

void rg_decision_init(rg_decision_state *st) {
    memset(st, 0, sizeof(*st));
    st->main.peak = -INFINITY;
    st->weak.peak = -INFINITY;
    st->weak.proposes = 1;
}

/* -- segmenter ------------------------------------------------------------------------------------ */

/* The open event passes the duration and area tests (the weak pass has an area test of its own). */
static int32_t pending_passes(const rg_decision_pass *st, const rg_decision_config *cfg) {
    float min_area = st->proposes ? cfg->weak_min_area_db_frames : cfg->min_area_db_frames;
    return st->pending_end - st->pending_start >= cfg->min_duration_frames && st->area >= min_area;
}

static int32_t pending_rolled_start(const rg_decision_pass *st, const rg_decision_config *cfg) {
    int32_t s = st->pending_start - cfg->pre_roll_frames;
    if (s < st->prev_end) s = st->prev_end;
    return s < 0 ? 0 : s;
}

static void close_pending(rg_decision_pass *st, const rg_decision_config *cfg) {
    int32_t passes = pending_passes(st, cfg);
    int32_t start = pending_rolled_start(st, cfg);
    int32_t end = st->pending_end + cfg->post_roll_frames;
    st->has_pending = 0;
    st->area = 0.0f;
    if (!passes) return;
    st->kept += 1;
    if (st->ready_count < RG_DECISION_QUEUE) {
        st->ready_start[st->ready_count] = start;
        st->ready_end[st->ready_count] = end;
        st->ready_count += 1;
    }
    st->prev_end = end;
}

static void end_run(rg_decision_pass *st, const rg_decision_config *cfg, int32_t n) {
    st->active = 0;
    if (st->has_pending && st->run_start - st->pending_end < cfg->merge_gap_frames) {
        st->pending_end = n;
    } else {
        if (st->has_pending) close_pending(st, cfg);
        st->has_pending = 1;
        st->pending_start = st->run_start;
        st->pending_end = n;
    }
}

/* One frame of dsp.Segmenter.process, without the emission (done by the caller); motion starts at on_db. */
static void segment_step(rg_decision_pass *st, const rg_decision_config *cfg, float r, float on_db) {
    int32_t n = st->n;
    if (r == r) { /* not NaN */
        if (!st->active && r >= on_db) {
            st->active = 1;
            st->run_start = n;
            if (st->has_pending && n - st->pending_end >= cfg->merge_gap_frames) close_pending(st, cfg);
            if (!st->has_pending) {
                st->area = 0.0f;
                st->group += 1;
            }
        } else if (st->active && r < cfg->off_db) {
            end_run(st, cfg, n);
        }
        if (st->active && r > cfg->off_db) {
            float d = r - cfg->off_db;
            st->area = st->area + d;
        }
    }
    st->n = n + 1;
    if (st->has_pending && !st->active && st->n - st->pending_end >= cfg->merge_gap_frames) close_pending(st, cfg);
}

/* -- decision ------------------------------------------------------------------------------------- */

/* Classify [start, end) at frame n (DecisionPolicy._judge): on the window rg_decision_window_end places, or
 * (at_close, RG_DECISION_CLOSE_LOOK) on the window ending at frame n. */
static rg_decision judge(const rg_decision_config *cfg, int32_t start, int32_t end, int32_t n, float peak,
                         int32_t point, int32_t at_close, rg_classify_fn classify, void *ctx) {
    float probs[RG_DECISION_MAX_CLASSES];
    rg_decision d;
    int32_t w = at_close ? n + 1
                         : rg_decision_window_end(start, end, n, cfg->window_frames, cfg->end_pad_frames,
                                                  cfg->window_pre_frames, cfg->history_frames);
    int32_t k;
    memset(probs, 0, sizeof(probs));
    classify(ctx, start, end, w, probs);
    d.label = 0;
    for (k = 1; k < cfg->num_classes; ++k)
        if (probs[k] > probs[d.label]) d.label = k; /* first maximum, as numpy.argmax */
    d.start_frame = start;
    d.end_frame = end;
    d.score = probs[d.label];
    /* the physical gate, for an event whose strongest motion is near enough (DecisionPolicy.gated) */
    d.accepted = d.label > 0 && d.score >= cfg->min_score && (point > cfg->gate_max_point || peak >= cfg->min_peak_db);
    d.frame = n;
    d.window_end = w;
    return d;
}

/* Queue the tracked event if the segmenter closed and kept it (DecisionPolicy._sync). */
static void sync_closed(rg_decision_pass *st, int32_t track_closed) {
    rg_decision_track queued;
    memset(&queued, 0, sizeof(queued));
    if (track_closed && st->track.valid) {
        queued = st->track;
        st->track.valid = 0;
    }
    while (st->seen_kept < st->kept) {
        if (st->closed_count < RG_DECISION_QUEUE) st->closed[st->closed_count++] = queued;
        queued.valid = 0;
        st->seen_kept += 1;
    }
}

/* The record of an undecided event at its close, before the fallback (DecisionPolicy._closing). */
static rg_decision closing(rg_decision_pass *st, const rg_decision_config *cfg, const rg_decision_track *tr,
                           int32_t start, int32_t end, int32_t n, rg_classify_fn classify, void *ctx) {
    rg_decision d;
    if (!cfg->early || !tr->valid || !tr->has_last || tr->checked_end + cfg->post_roll_frames != end) {
        /* the event's last run had no checkpoint; an event never tracked is the segmenter's latest */
        return judge(cfg, start, end, n, tr->valid ? tr->peak : st->peak, tr->valid ? tr->point : st->point, 0,
                     classify, ctx);
    }
    if (!tr->has_prov && cfg->early == RG_DECISION_CLOSE_LOOK) {
        /* the last checkpoint decided nothing: one more look, with what followed it */
        return judge(cfg, start, end, n, tr->peak, tr->point, 1, classify, ctx);
    }
    d = tr->has_prov ? tr->prov : tr->last;
    d.frame = n;
    return d;
}

/* The segmenter emitted [start, end) at frame n (DecisionPolicy._close); returns 1 if *out was written. */
static int32_t close_event(rg_decision_pass *st, const rg_decision_config *cfg, int32_t start, int32_t end,
                           int32_t n, rg_classify_fn classify, void *ctx, rg_decision *out) {
    rg_decision_track tr;
    int32_t i;
    memset(&tr, 0, sizeof(tr));
    if (st->closed_count > 0) {
        tr = st->closed[0];
        for (i = 1; i < st->closed_count; ++i) st->closed[i - 1] = st->closed[i];
        st->closed_count -= 1;
    }
    if (tr.valid && tr.decided) return 0;
    *out = closing(st, cfg, &tr, start, end, n, classify, ctx);
    if (!out->accepted && tr.valid && tr.has_superseded) { /* fallback_superseded */
        *out = tr.superseded;
        out->frame = n;
    }
    return out->accepted || !st->proposes;
}

/* Emit the ready events whose end is <= upto (upto < 0: all) through close_event, into out[count..cap). */
static int32_t emit_ready(rg_decision_pass *st, const rg_decision_config *cfg, int32_t upto, int32_t n,
                          rg_classify_fn classify, void *ctx, rg_decision *out, int32_t count, int32_t cap) {
    while (st->ready_count > 0 && (upto < 0 || st->ready_end[0] <= upto)) {
        int32_t s = st->ready_start[0], e = st->ready_end[0], i;
        for (i = 1; i < st->ready_count; ++i) {
            st->ready_start[i - 1] = st->ready_start[i];
            st->ready_end[i - 1] = st->ready_end[i];
        }
        st->ready_count -= 1;
        if (upto < 0 && e > st->n) e = st->n; /* flush clips to the stream (an event starts before it) */
        if (count < cap && close_event(st, cfg, s, e, n, classify, ctx, &out[count])) count += 1;
    }
    return count;
}

/* One frame of one pass (DecisionPolicy._step) into out[0..cap): its segmenter starts motion at on_db (cfg->on_db,
 * or weak_on_db in the weak pass); born_decided: a track it begins now is already decided (the other pass absorbed
 * or claimed its event). */
static int32_t pass_step(rg_decision_pass *st, const rg_decision_config *cfg, float on_db, float ratio_db,
                         const float *point_power, rg_classify_fn classify, void *ctx, rg_decision *out, int32_t cap,
                         int32_t born_decided) {
    int32_t n = st->n;
    int32_t count = 0;
    int32_t points = cfg->num_points < RG_DECISION_MAX_POINTS ? cfg->num_points : RG_DECISION_MAX_POINTS;
    rg_decision_track *tr = &st->track;
    segment_step(st, cfg, ratio_db, on_db);
    if (st->group != st->peak_group) { /* a new event began: its peak and power start at this frame */
        st->peak_group = st->group;
        st->peak = -INFINITY;
        memset(st->power, 0, sizeof(st->power));
        st->point = 0;
    }
    if (st->active && ratio_db == ratio_db) {
        int32_t i, finite = point_power != NULL && points > 0;
        if (ratio_db > st->peak) st->peak = ratio_db;
        for (i = 0; finite && i < points; ++i) finite = isfinite(point_power[i]);
        if (finite) { /* the event's power per range point; its first maximum (numpy.argmax) */
            st->point = 0;
            for (i = 0; i < points; ++i) {
                st->power[i] = st->power[i] + point_power[i];
                if (st->power[i] > st->power[st->point]) st->point = i;
            }
        }
    }
    sync_closed(st, !st->has_pending || (tr->valid && st->group != tr->group));
    if (st->has_pending && !tr->valid) {
        memset(tr, 0, sizeof(*tr));
        tr->valid = 1;
        tr->group = st->group;
        tr->checked_end = -1;
        tr->runs = 1; /* the track begins when the event's first run ends */
        tr->decided = born_decided;
    }
    if (tr->valid) {
        tr->peak = st->peak;
        tr->point = st->point;
    }
    if (cfg->early && tr->valid && st->has_pending && !tr->decided) {
        if (st->active) {
            if (tr->has_prov && cfg->fallback_superseded) {
                tr->superseded = tr->prov;
                tr->has_superseded = 1;
            }
            tr->has_prov = 0; /* the next part has begun: the event grows */
            if (!tr->in_run) tr->runs += 1;
            tr->in_run = 1;
        } else {
            int32_t e = st->pending_end;
            tr->in_run = 0;
            int32_t settle = cfg->settle_frames > cfg->post_roll_frames ? cfg->settle_frames : cfg->post_roll_frames;
            if (tr->checked_end != e && n + 1 - e >= settle && pending_passes(st, cfg)) {
                rg_decision d =
                    judge(cfg, pending_rolled_start(st, cfg), e + cfg->post_roll_frames, n, tr->peak, tr->point, 0,
                          classify, ctx);
                tr->checked_end = e;
                tr->last = d;
                tr->has_last = 1;
                tr->has_prov = 0;
                if (d.accepted) { /* decided once its wait has passed (at once for a sure non-prefix) */
                    /* after a prefix checkpoint, or on more than sure_max_runs runs, only a longer gesture may
                       be sure (the first tap and half of the second is no tap_out) */
                    int32_t many = cfg->sure_max_runs > 0 && tr->runs > cfg->sure_max_runs;
                    int32_t wait = cfg->is_prefix[d.label]                             ? cfg->prefix_wait_frames
                                   : (tr->prefixed || many) && !cfg->is_longer[d.label] ? cfg->unsure_wait_frames
                                   : d.score >= cfg->sure_score                        ? 0
                                                                                       : cfg->unsure_wait_frames;
                    tr->prov = d;
                    tr->has_prov = 1;
                    tr->prov_due = e + wait;
                }
                if (cfg->is_prefix[d.label]) tr->prefixed = 1;
            }
            /* a due prefix gesture waits on while the ratio is back at prefix_hold_db (renewed motion, which
               may be the onset of the longer gesture's next part); NaN is no motion */
            int32_t renewed = tr->has_prov && cfg->is_prefix[tr->prov.label] && ratio_db >= cfg->prefix_hold_db;
            if (tr->has_prov && n + 1 >= tr->prov_due && !renewed) {
                tr->decided = 1;
                tr->won = 1;
                if (count < cap) {
                    out[count] = tr->prov;
                    out[count].frame = n;
                    count += 1;
                }
                tr->has_prov = 0;
            }
        }
    }
    return emit_ready(st, cfg, st->n, n, classify, ctx, out, count, cap);
}

/* The end of the stream for one pass (DecisionPolicy._flush). */
static int32_t pass_flush(rg_decision_pass *st, const rg_decision_config *cfg, rg_classify_fn classify, void *ctx,
                          rg_decision *out, int32_t cap) {
    int32_t n = st->n > 0 ? st->n - 1 : 0;
    if (st->active) end_run(st, cfg, st->n);
    if (st->has_pending) close_pending(st, cfg);
    sync_closed(st, 1);
    return emit_ready(st, cfg, -1, n, classify, ctx, out, 0, cap);
}

/* -- the two passes ------------------------------------------------------------------------------- */

/* The weak pass decided its open event (DecisionPolicy._weak_won). */
static int32_t weak_won(const rg_decision_state *st) {
    return st->weak.track.valid && st->weak.track.won;
}

/* The default event open now passes the tests: it claims the weak pass's open event (DecisionPolicy._claims). */
static int32_t claims(const rg_decision_state *st, const rg_decision_config *cfg) {
    return st->main.has_pending && pending_passes(&st->main, cfg);
}

static void claim(rg_decision_state *st, const rg_decision_config *cfg) {
    if (st->weak.track.valid && claims(st, cfg)) st->weak.track.decided = 1;
}

/* 1 if the gesture d is held back by the refractory time (DecisionPolicy._held_back): the same class as the last one
 * reported, on an event starting less than refractory_frames after that one's end (with refractory_window, decided on
 * a window that begins before that end). */
static int32_t held_back(const rg_decision_state *st, const rg_decision_config *cfg, const rg_decision *d) {
    if (!st->has_reported || d->label != st->reported_label ||
        d->start_frame - st->reported_end >= cfg->refractory_frames)
        return 0;
    return !cfg->refractory_window || d->window_end - cfg->window_frames < st->reported_end;
}

/* Turn each gesture of out[0..count) that the refractory time holds back into a rejected candidate
 * (DecisionPolicy._refractory); returns count. */
static int32_t refractory(rg_decision_state *st, const rg_decision_config *cfg, rg_decision *out, int32_t count) {
    int32_t i;
    for (i = 0; i < count; ++i) {
        if (!out[i].accepted) continue;
        if (held_back(st, cfg, &out[i])) {
            out[i].accepted = 0;
        } else {
            st->has_reported = 1;
            st->reported_end = out[i].end_frame;
            st->reported_label = out[i].label;
        }
    }
    return count;
}

int32_t rg_decision_step(rg_decision_state *st, const rg_decision_config *cfg, float ratio_db,
                         rg_classify_fn classify, void *ctx, rg_decision *out) {
    return rg_decision_step_points(st, cfg, ratio_db, NULL, classify, ctx, out);
}

int32_t rg_decision_step_points(rg_decision_state *st, const rg_decision_config *cfg, float ratio_db,
                                const float *point_power, rg_classify_fn classify, void *ctx, rg_decision *out) {
    int32_t count = pass_step(&st->main, cfg, cfg->on_db, ratio_db, point_power, classify, ctx, out,
                              RG_DECISION_MAX_OUT, weak_won(st));
    if (cfg->weak_on_db > 0.0f) {
        claim(st, cfg);
        count += pass_step(&st->weak, cfg, cfg->weak_on_db, ratio_db, point_power, classify, ctx, out + count,
                           RG_DECISION_MAX_OUT - count, claims(st, cfg));
        claim(st, cfg);
        if (st->main.track.valid && weak_won(st)) st->main.track.decided = 1; /* absorbed */
    }
    return refractory(st, cfg, out, count);
}

int32_t rg_decision_flush(rg_decision_state *st, const rg_decision_config *cfg, rg_classify_fn classify, void *ctx,
                          rg_decision *out) {
    int32_t kept = st->main.kept, won = weak_won(st);
    int32_t count = pass_flush(&st->main, cfg, classify, ctx, out, RG_DECISION_MAX_OUT);
    if (cfg->weak_on_db > 0.0f) {
        /* both passes close their open events, which are nested: if the weak pass decided its own, the default
           pass's records are dropped, and if the default pass kept an event now, the weak pass's records are */
        int32_t k;
        if (won) count = 0;
        k = pass_flush(&st->weak, cfg, classify, ctx, out + count, RG_DECISION_MAX_OUT - count);
        if (st->main.kept == kept) count += k;
    }
    return refractory(st, cfg, out, count);
}
