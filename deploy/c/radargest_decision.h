/*
 * radargest_decision.h: the segmenter and the decision layer (C99, no heap), the twin of
 * dsp.segment.Segmenter + dsp.decision.DecisionPolicy. Python and C decide the same events at the same
 * frames (tests/deploy/test_deploy_c_parity.py).
 *
 * Fed one onset ratio per onset frame (rg_onset_process), the policy finds motion runs (hysteresis),
 * merges runs closer than the merge gap into one event, and decides each event as soon as the evidence is
 * in: when a run has ended and no new run began for settle_frames, it asks the caller to classify the
 * event so far (a callback that runs the int8 head on the window ending at window_end). A gesture that is
 * no prefix of another is decided at once if sure (else after unsure_wait_frames unless the event grows);
 * a prefix gesture (tap_in of double_tap_in) waits prefix_wait_frames for the next part; once an event has
 * looked like a prefix or has more than sure_max_runs runs, only a longer gesture (is_longer) may be sure
 * at its checkpoints; none, a score below min_score, or an event whose ratio never peaked at
 * min_peak_db (the physical gate), waits for more runs; an event still undecided when it closes reports its
 * last checkpoint's answer, or (early = RG_DECISION_CLOSE_LOOK) is classified once more on the window ending
 * at its close frame; if that accepts nothing and fallback_superseded is set, the event is decided as the
 * latest accepted gesture that a new run superseded while it waited. With weak_on_db > 0 a second pass runs
 * the same policy on a segmenter that starts motion at weak_on_db and tests area against weak_min_area_db_frames:
 * it reports only accepted decisions, only on
 * an event of its own in which no default event passed the segmenter's tests (the default pass claims it),
 * and once it has decided one, the default events inside it are absorbed (DecisionConfig.weak_on_db). Its
 * records follow the default pass's in a step. The gate applies only to events whose
 * strongest motion is at range point gate_max_point or nearer: the first maximum of the event's onset power per range
 * point (rg_decision_step_points: num_points values per frame, float32 sums over the frames of its runs, a
 * frame with a non-finite value left out; no power fed: point 0). A decided event absorbs the runs that merge into it
 * later. Every count is in frames of the onset stream.
 *
 * Arithmetic: thresholds and the area are float32, exactly as dsp.segment does.
 *
 * Per onset frame, in an MCU main loop:
 *
 *     static rg_decision_state dec;            // rg_decision_init(&dec) once
 *     static const rg_decision_config dcfg = RG_DECISION_CONFIG_DEFAULT;   // from config.h
 *     rg_decision out[RG_DECISION_MAX_OUT];
 *     int32_t k = rg_decision_step(&dec, &dcfg, ratio_db, classify_head, &ring, out);
 *     for (int32_t i = 0; i < k; ++i)
 *         if (out[i].accepted) report(out[i].label, out[i].score, out[i].frame);
 *
 * where classify_head(&ring, start, end, window_end, probs) runs the head on the ring buffer's frames
 * [window_end - window_frames, window_end) and writes num_classes probabilities (class 0 = none).
 * window_end is never later than the current frame + 1; at a checkpoint it usually is exactly that.
 * rg_decision_flush ends a stream (a recording); a device never calls it.
 */
#ifndef RADARGEST_DECISION_H
#define RADARGEST_DECISION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef RG_DECISION_MAX_CLASSES
#define RG_DECISION_MAX_CLASSES 16 /* capacity of the class tables (none + gestures) */
#endif
#ifndef RG_DECISION_QUEUE
#define RG_DECISION_QUEUE 4 /* closed events awaiting their post-roll frames (1 is used with no post-roll) */
#endif
#define RG_DECISION_MAX_OUT 4 /* records one step or flush can return */
#ifndef RG_DECISION_MAX_POINTS
#define RG_DECISION_MAX_POINTS 32 /* capacity of the per-range-point motion power of an event */
#endif
#define RG_DECISION_GATE_ALL_POINTS 2147483647 /* gate_max_point of a gate without range condition */
/* early of DecisionConfig(close_look=True): an event that closes undecided although its last run had its
 * checkpoint is classified once more on the window ending at the close frame (window_end = frame + 1), instead
 * of reporting that checkpoint's answer. A mode of early, not a field of its own, so that the initialiser of a
 * default config (config.h) and the struct's layout stay as they were. */
#define RG_DECISION_CLOSE_LOOK 2

/* Configuration, in frames of the onset stream (deploy.c_config emits RG_DECISION_CONFIG_DEFAULT). */
typedef struct {
    float on_db;                 /* ratio that starts motion [dB] */
    float off_db;                /* ratio below which motion ends [dB] */
    float min_area_db_frames;    /* float32(min_area_db_s * rate) [dB*frames] */
    int32_t merge_gap_frames;    /* runs closer than this are one event */
    int32_t min_duration_frames; /* shorter events are dropped */
    int32_t pre_roll_frames;     /* frames added before an event */
    int32_t post_roll_frames;    /* frames added after an event */
    int32_t settle_frames;       /* a run has ended when no new run began for this long (<= merge gap) */
    int32_t prefix_wait_frames;  /* a prefix gesture waits this long for the next part (<= merge gap) */
    int32_t early;               /* 1: decide at the first conclusive checkpoint; 0: when the event closes;
                                    RG_DECISION_CLOSE_LOOK: as 1, and an event its last checkpoint left
                                    undecided is classified once more at its close */
    float min_score;             /* a gesture needs this probability (0: arg-max) */
    float sure_score;            /* a non-prefix gesture this sure is decided at its checkpoint */
    int32_t unsure_wait_frames;  /* a less sure one waits this long for a further part (<= merge gap) */
    int32_t sure_max_runs;       /* a gesture neither prefix nor longer is sure only on this many runs (0: any) */
    float prefix_hold_db;        /* a due prefix gesture waits on while the ratio is at least this [dB] */
    float min_peak_db;           /* physical gate: a gesture needs an event whose ratio peaked at least this [dB] */
    int32_t gate_max_point;      /* ... if its strongest motion is at this range point or nearer (ALL_POINTS: any) */
    int32_t num_points;          /* range points of the power fed per frame (<= RG_DECISION_MAX_POINTS) */
    int32_t window_frames;       /* classifier window T */
    int32_t end_pad_frames;      /* a window ends this long after the event */
    int32_t window_pre_frames;   /* unused by the window rule (it ends at the latest evidence); kept for the layout */
    int32_t history_frames;      /* a window ends at most this long before the current frame */
    int32_t num_classes;         /* classes of the head, none first */
    int32_t fallback_superseded; /* 1: an event that closes with nothing accepted is decided as the latest
                                    accepted gesture a new run of the event superseded while it waited */
    float weak_on_db;            /* the weak pass's on_db [dB] (0: off): it decides only events in which no
                                    event of the default pass (on_db) passes the duration and area tests */
    int32_t refractory_frames;   /* a gesture the same as the last one reported, on an event starting less than
                                    this after that one's end, is reported as a rejected candidate (0: off) */
    float weak_min_area_db_frames; /* the weak pass's area test, float32(weak_min_area_db_s * rate) [dB*frames] */
    int32_t refractory_window;   /* 1: refractory_frames holds a gesture back only if its classified window begins
                                    before the end of the reported one's event (0: every repeat inside it) */
    uint8_t is_prefix[RG_DECISION_MAX_CLASSES]; /* 1: the class is the start of a longer gesture */
    uint8_t is_longer[RG_DECISION_MAX_CLASSES]; /* 1: the class is the longer gesture of some prefix */
} rg_decision_config;

/* One decision (accepted) or rejected candidate. */
typedef struct {
    int32_t start_frame; /* event [start, end) as known at the decision */
    int32_t end_frame;
    int32_t label;       /* top class (0 = none) */
    float score;         /* its probability */
    int32_t accepted;    /* 1: a gesture decision; 0: a rejected candidate */
    int32_t frame;       /* frame at which it was made */
    int32_t window_end;  /* exclusive end of the classified window */
} rg_decision;

/* The decision state of one event (private to the implementation). */
typedef struct {
    int32_t valid;
    int32_t group;
    int32_t decided;
    int32_t checked_end;
    int32_t has_prov;
    int32_t prov_due;
    int32_t has_last;
    int32_t prefixed;     /* an earlier checkpoint's top class was a prefix gesture */
    int32_t runs;         /* motion runs of the event so far */
    int32_t in_run;
    float peak;           /* the event's highest ratio in a run so far [dB] */
    int32_t point;        /* the range point of its strongest motion so far */
    int32_t has_superseded;
    int32_t won;          /* decided at a checkpoint (the weak pass: the default events inside it are absorbed) */
    rg_decision prov;
    rg_decision last;
    rg_decision superseded; /* the latest accepted gesture a new run superseded (fallback_superseded) */
} rg_decision_track;

/* One pass: a segmenter and its policy (private to the implementation). */
typedef struct {
    int32_t n;            /* frames seen */
    int32_t active;       /* hysteresis in motion */
    int32_t run_start;
    int32_t has_pending;  /* an event is open */
    int32_t pending_start;
    int32_t pending_end;
    float area;           /* running area of the open event [dB*frames] */
    int32_t prev_end;     /* end of the last kept event (pre-roll limit) */
    int32_t group;        /* events begun */
    int32_t peak_group;   /* the event the peak belongs to */
    float peak;           /* highest ratio in a run of the latest event [dB] */
    float power[RG_DECISION_MAX_POINTS]; /* its onset power per range point over its runs [counts^2] */
    int32_t point;        /* the first maximum of power */
    int32_t kept;         /* events closed and kept */
    int32_t ready_count;  /* kept events awaiting emission */
    int32_t ready_start[RG_DECISION_QUEUE];
    int32_t ready_end[RG_DECISION_QUEUE];
    rg_decision_track track;                      /* the open event */
    int32_t seen_kept;                            /* kept events already queued */
    int32_t closed_count;
    rg_decision_track closed[RG_DECISION_QUEUE];  /* kept events awaiting emission (valid=0: never tracked) */
    int32_t proposes;                             /* 1: the weak pass, which reports accepted decisions only */
} rg_decision_pass;

/* Whole state: the default pass and the weak pass (used when weak_on_db > 0). Zero heap; 1868 bytes with the
 * defaults (rg_decision_state_bytes). */
typedef struct {
    rg_decision_pass main;
    rg_decision_pass weak;
    int32_t has_reported;   /* a gesture has been reported (refractory_frames) */
    int32_t reported_end;   /* the end of its event */
    int32_t reported_label; /* its class */
} rg_decision_state;

/* Classifier callback: write cfg->num_classes probabilities of the window [window_end - T, window_end). */
typedef void (*rg_classify_fn)(void *ctx, int32_t start_frame, int32_t end_frame, int32_t window_end,
                               float *probs);

/* sizeof(rg_decision_state), for bindings. */
uint32_t rg_decision_state_bytes(void);

/* Start a stream at frame 0. */
void rg_decision_init(rg_decision_state *st);

/* Consume one onset ratio [dB] (NaN: a missing frame, changes nothing). Writes up to RG_DECISION_MAX_OUT
 * records to out and returns their number (usually 0). */
int32_t rg_decision_step(rg_decision_state *st, const rg_decision_config *cfg, float ratio_db,
                         rg_classify_fn classify, void *ctx, rg_decision *out);

/* rg_decision_step with the frame's onset power per range point (cfg->num_points values [counts^2], for
 * the gate's range condition; NULL: none). */
int32_t rg_decision_step_points(rg_decision_state *st, const rg_decision_config *cfg, float ratio_db,
                                const float *point_power, rg_classify_fn classify, void *ctx, rg_decision *out);

/* End of a recorded stream: close the open event; returns the records as rg_decision_step. */
int32_t rg_decision_flush(rg_decision_state *st, const rg_decision_config *cfg, rg_classify_fn classify, void *ctx,
                          rg_decision *out);

/* The window rule of dsp.event_window_end: end + end_pad, the latest evidence of the event (an event longer
 * than the window is seen by its last window_frames frames); start, window_frames and pre are not used. */
int32_t rg_event_window_end(int32_t start, int32_t end, int32_t window_frames, int32_t end_pad, int32_t pre);

/* The rule of dsp.decision_window_end: rg_event_window_end clipped to [now + 1 - history, now + 1]. */
int32_t rg_decision_window_end(int32_t start, int32_t end, int32_t now, int32_t window_frames, int32_t end_pad,
                               int32_t pre, int32_t history);

#ifdef __cplusplus
}
#endif

#endif /* RADARGEST_DECISION_H */
