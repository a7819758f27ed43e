/*
 * main.c: the radargest firmware main loop (Cortex-M4F), the C twin of deploy.runtime.StreamingDetector.
 *
 * Frames come from a host file over semihosting (written by deploy.firmware.write_replay from an H5
 * recording): a header, then per full-rate frame an int16 "bad frame" flag and the Sparse IQ samples
 * (RG_SWEEPS x RG_POINTS complex int16). The firmware reads only the frames the (throttled) sensor would
 * deliver, and per sensed frame runs: features (range-Doppler map + onset power) -> throttle -> int8
 * encoder (ahead-of-time compiled, radargest_models.c) into a ring buffer of embeddings -> segmenter and
 * decision layer (radargest_decision.c) -> int8 head on the window placed on each event (its probabilities
 * averaged over the windows shifted by RG_FW_HEAD_SHIFT_FRAMES). With RG_IDLE_HISTORY
 * (config.h, ThrottleConfig.idle_history) every frame sensed at idle rate is also encoded, from the map its
 * IDLE sweeps and points give (rg_features_idle_map_full_i16), into the ring slots until the next sensed frame,
 * and a wake keeps that history (no refill), as deploy.runtime does.
 *
 * Output (semihosting console), one record per line:
 *   EV start_frame end_frame label score_bits frame accepted   a decision record (score as float32 bits)
 *   CT name value                                               counters and SysTick tick totals
 *   END                                                         the stream was consumed
 * Tick totals come from SysTick on the CPU clock; under QEMU -icount the virtual clock advances a fixed
 * time per instruction, so ticks convert to instructions (the CAL record calibrates the ratio).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "fw_config.h"
#include "radargest_decision.h"
#include "radargest_features.h"
#include "radargest_models.h"
#include "radargest_throttle.h"
#include "semihost.h"

#ifndef RG_IDLE_HISTORY
#define RG_IDLE_HISTORY 0 /* a config.h from before ThrottleConfig.idle_history (write_project checks the manifest) */
#endif

#define RG_MAP_SIZE (RG_DOPPLER_BINS * RG_POINTS)
#define RG_IQ_SIZE (RG_SWEEPS * RG_POINTS * 2)
#define RG_HEADER_BYTES 32u
#define RG_RECORD_BYTES (2u + 2u * (uint32_t)RG_IQ_SIZE)

/* -- SysTick as an instruction counter ---------------------------------------------------------- */
#define RG_SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define RG_SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define RG_SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static uint32_t rg_ticks(void)
{
    return RG_SYST_CVR;
}

/* elapsed ticks of the 24-bit down counter since `since` */
static uint32_t rg_elapsed(uint32_t since)
{
    return (since - RG_SYST_CVR) & 0xFFFFFFu;
}

/* -- stack high-water mark: the stack is painted at start, the untouched words counted at the end --- */
extern uint32_t __stack_bottom;
extern uint32_t __stack_top;
#define RG_STACK_PAINT 0xA5A5A5A5u

static void rg_paint_stack(void)
{
    volatile uint32_t here = 0u;
    uint32_t *p = &__stack_bottom;
    while (p + 16 < (uint32_t *)&here) {
        *p++ = RG_STACK_PAINT;
    }
}

static int64_t rg_stack_used(void)
{
    const uint32_t *p = &__stack_bottom;
    while (p < &__stack_top && *p == RG_STACK_PAINT) {
        ++p;
    }
    return (int64_t)((const char *)&__stack_top - (const char *)p);
}

/* -- output ------------------------------------------------------------------------------------- */
static char rg_line[200];
static uint32_t rg_line_len;

static void rg_put(const char *s)
{
    while (*s && rg_line_len < sizeof(rg_line) - 2u) {
        rg_line[rg_line_len++] = *s++;
    }
}

static void rg_put_int(int64_t v)
{
    char buf[24];
    int32_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)(-v) : (uint64_t)v;
    do {
        buf[n++] = (char)('0' + (int32_t)(u % 10u));
        u /= 10u;
    } while (u && n < 22);
    if (v < 0) {
        buf[n++] = '-';
    }
    rg_put(" ");
    while (n > 0 && rg_line_len < sizeof(rg_line) - 2u) {
        rg_line[rg_line_len++] = buf[--n];
    }
}

static void rg_flush_line(void)
{
    rg_line[rg_line_len++] = '\n';
    rg_line[rg_line_len] = '\0';
    rg_semihost_write0(rg_line);
    rg_line_len = 0;
}

static void rg_counter(const char *name, int64_t value)
{
    rg_put("CT ");
    rg_put(name);
    rg_put_int(value);
    rg_flush_line();
}

/* -- state -------------------------------------------------------------------------------------- */
static int16_t iq[RG_IQ_SIZE + 1]; /* [0]: bad-frame flag, then the samples */
static float rd[RG_MAP_SIZE];
static int32_t fill_pending; /* a wake-up: the next embedding fills the ring's history */
static int8_t ring[RG_FW_RING_FRAMES][RG_EMBEDDING_SIZE];
static int32_t ring_frame[RG_FW_RING_FRAMES];
static int8_t ring_fill[RG_EMBEDDING_SIZE];
static int32_t onset_frames[RG_FW_ONSET_HISTORY]; /* full-rate frame of each onset sample */
static int32_t n_onset;
static int32_t now_frame;
static rg_onset_state onset;
static rg_throttle_state throttle;
static rg_decision_state decision;

static struct {
    int64_t sensor_frames, onset_runs, encoder_runs, head_runs, decisions;
    int64_t ticks_frames, ticks_features, ticks_encoder, ticks_head, ticks_max_frame;
    int64_t ticks_idle_frames, idle_frames, ticks_awake_frames, awake_frames, switches;
    int64_t head_input_sum; /* sum over head runs of sum_k (k + 1) * input[k]: the parity test's checksum */
} count;

/* -- network ------------------------------------------------------------------------------------ */
static int8_t rg_clamp_i8(float v)
{
    return (int8_t)(v < -128.0f ? -128.0f : (v > 127.0f ? 127.0f : v));
}

/* The map quantised to the encoder's input scale, as the host runtime does: q = round(x / in_scale) +
 * in_zero (float32, rounding half to even like numpy; non-finite values count as 0). */
static void rg_quantise_map(const float *map, int8_t *q)
{
    int32_t i;
    for (i = 0; i < RG_MAP_SIZE; ++i) {
        const float x = isfinite(map[i]) ? map[i] : 0.0f;
        q[i] = rg_clamp_i8(rintf(x / RG_ENCODER_IN_SCALE) + (float)RG_ENCODER_IN_ZERO);
    }
}

/* Encoder on a quantised map; the embedding requantised to the head's input scale:
 * real = (e - out_zero) * out_scale; h = round(real / head_scale) + head_zero (float32, half to even). */
static void rg_encode_q(const int8_t *q, int8_t *emb)
{
    const uint32_t t0 = rg_ticks();
    const int8_t *out;
    int32_t i;
    memcpy(rg_encoder_input(), q, RG_MAP_SIZE);
    rg_encoder_invoke();
    out = rg_encoder_output();
    for (i = 0; i < RG_EMBEDDING_SIZE; ++i) {
        const float real = ((float)out[i] - (float)RG_ENCODER_OUT_ZERO) * RG_ENCODER_OUT_SCALE;
        emb[i] = rg_clamp_i8(rintf(real / RG_HEAD_IN_SCALE) + (float)RG_HEAD_IN_ZERO);
    }
    count.encoder_runs += 1;
    count.ticks_encoder += rg_elapsed(t0);
}

static void rg_encode(const float *map, int8_t *emb)
{
    int8_t q[RG_MAP_SIZE];
    const uint32_t t0 = rg_ticks();
    rg_quantise_map(map, q);
    count.ticks_encoder += rg_elapsed(t0);
    rg_encode_q(q, emb);
}

static void rg_ring_reset(const int8_t *fill)
{
    int32_t i;
    for (i = 0; i < RG_FW_RING_FRAMES; ++i) {
        ring_frame[i] = -1;
    }
    if (fill != NULL) {
        memcpy(ring_fill, fill, sizeof(ring_fill));
    }
}

static void rg_ring_push(int32_t frame)
{
    const int32_t slot = frame % RG_FW_RING_FRAMES;
    rg_encode(rd, ring[slot]);
    ring_frame[slot] = frame;
}

static int32_t rg_always_on;

/* onset-stream index -> full-rate frame, as StreamingDetector._to_frames (always-on: sample i is frame i) */
static int32_t rg_onset_to_frame(int32_t i, int32_t is_end)
{
    if (is_end && i >= n_onset) {
        return now_frame + 1;
    }
    if (i < 0) {
        i = 0;
    }
    if (i > n_onset - 1) {
        i = n_onset - 1;
    }
    if (rg_always_on) {
        return i;
    }
    if (n_onset - i > RG_FW_ONSET_HISTORY) {
        i = n_onset - RG_FW_ONSET_HISTORY; /* older than the history: the oldest kept */
    }
    return onset_frames[i % RG_FW_ONSET_HISTORY];
}

/* The decision layer's classifier: the int8 head on the windows placed on the event (full-rate frames), its
 * probabilities averaged over the windows ending RG_FW_HEAD_SHIFT_FRAMES from the placed end (the manifest's
 * model.window_shifts_s, as models.evaluate and StreamingDetector._head): each dequantised in float32, summed in
 * double in the shifts' order, divided by their count and rounded to float32. */
static void rg_classify(void *ctx, int32_t start, int32_t end, int32_t window_end, float *probs)
{
    static const int32_t shifts[RG_FW_HEAD_SHIFTS] = RG_FW_HEAD_SHIFT_FRAMES;
    const uint32_t t0 = rg_ticks();
    const int32_t t = RG_FW_WINDOW_FRAMES;
    const int32_t always_on = *(const int32_t *)ctx;
    int32_t w_end = window_end; /* always-on: the policy's window, at the full rate */
    int8_t *in = rg_head_input();
    const int8_t *out;
    double acc[RG_FW_NUM_CLASSES];
    int32_t i, k;
    if (!always_on) {
        /* throttled: the policy runs at the idle rate; the window is placed on the event at the full rate */
        const int32_t s = rg_onset_to_frame(start, 0);
        const int32_t e = rg_onset_to_frame(end, 1);
        w_end = rg_decision_window_end(s, e, now_frame, t, RG_FW_END_PAD_FRAMES, RG_FW_PRE_FRAMES,
                                       RG_FW_HISTORY_FRAMES);
    }
    for (k = 0; k < RG_FW_NUM_CLASSES; ++k) {
        acc[k] = 0.0;
    }
    for (i = 0; i < RG_FW_HEAD_SHIFTS; ++i) {
        const int32_t shifted_end = w_end + shifts[i];
        /* the window keeps its end; frames before the stream read as the fill (RingBuffer.window) */
        for (k = 0; k < t; ++k) {
            const int32_t f = shifted_end - t + k;
            const int32_t have = f >= 0 && ring_frame[f % RG_FW_RING_FRAMES] == f;
            memcpy(in + k * RG_EMBEDDING_SIZE, have ? ring[f % RG_FW_RING_FRAMES] : ring_fill, RG_EMBEDDING_SIZE);
        }
        for (k = 0; k < t * RG_EMBEDDING_SIZE; ++k) {
            count.head_input_sum += (int64_t)(k + 1) * in[k];
        }
        rg_head_invoke();
        out = rg_head_output();
        for (k = 0; k < RG_FW_NUM_CLASSES; ++k) {
            const float p = ((float)out[k] - (float)RG_HEAD_OUT_ZERO) * RG_HEAD_OUT_SCALE;
            acc[k] += (double)p;
        }
        count.head_runs += 1;
    }
    for (k = 0; k < RG_FW_NUM_CLASSES; ++k) {
        probs[k] = (float)(acc[k] / (double)RG_FW_HEAD_SHIFTS);
    }
    count.ticks_head += rg_elapsed(t0);
}

/* Report the decision records; returns 1 if a gesture was decided. */
static int32_t rg_report(const rg_decision *rec, int32_t n)
{
    int32_t i, decided = 0;
    for (i = 0; i < n; ++i) {
        union {
            float f;
            uint32_t u;
        } bits;
        bits.f = rec[i].score;
        rg_put("EV");
        rg_put_int(rg_onset_to_frame(rec[i].start_frame, 0));
        rg_put_int(rg_onset_to_frame(rec[i].end_frame, 1));
        rg_put_int(rec[i].label);
        rg_put_int((int64_t)bits.u);
        rg_put_int(now_frame);
        rg_put_int(rec[i].accepted);
        rg_flush_line();
        if (rec[i].accepted) {
            decided = 1;
            count.decisions += 1;
        }
    }
    return decided;
}

static int32_t rg_segment(const rg_decision_config *dcfg, float ratio, const float *points, int32_t t)
{
    rg_decision out[RG_DECISION_MAX_OUT];
    int32_t n;
    now_frame = t;
    onset_frames[n_onset % RG_FW_ONSET_HISTORY] = t;
    n_onset += 1;
    n = rg_decision_step_points(&decision, dcfg, ratio, points, rg_classify, &rg_always_on, out);
    return rg_report(out, n);
}

/* -- stream ------------------------------------------------------------------------------------- */
static int32_t rg_read_frame(int32_t handle, int32_t t)
{
    if (rg_semihost_seek(handle, RG_HEADER_BYTES + (uint32_t)t * RG_RECORD_BYTES) != 0) {
        return -1;
    }
    return rg_semihost_read(handle, iq, RG_RECORD_BYTES) == 0 ? 0 : -1;
}

/* features of the frame in iq: the map in rd and the onset power (NaN for a bad frame, map zeroed), and
 * its share per range point in points (NULL: not wanted) */
static float rg_frame_features(float *points)
{
    const uint32_t t0 = rg_ticks();
    float power;
    if (iq[0] != 0) {
        int32_t p;
        memset(rd, 0, sizeof(rd));
        power = NAN;
        for (p = 0; points != NULL && p < RG_POINTS; ++p) {
            points[p] = NAN;
        }
    } else {
        power = rg_features_frame_points_i16(&iq[1], rd, points);
    }
    count.ticks_features += rg_elapsed(t0);
    return power;
}

/* Model test mode (header flag bit 1): header[5] encoder inputs then header[6] head inputs follow the
 * header; each output is printed as "MO <model> <hex bytes>" (the host compares them with LiteRT). */
static void rg_put_hex(const int8_t *v, int32_t n)
{
    static const char digits[] = "0123456789abcdef";
    int32_t i;
    rg_put(" ");
    for (i = 0; i < n && rg_line_len < sizeof(rg_line) - 4u; ++i) {
        rg_line[rg_line_len++] = digits[((uint8_t)v[i]) >> 4];
        rg_line[rg_line_len++] = digits[((uint8_t)v[i]) & 15u];
    }
}

static int32_t rg_model_test(int32_t handle, int32_t n_encoder, int32_t n_head)
{
    int32_t i;
    for (i = 0; i < n_encoder + n_head; ++i) {
        const int32_t enc = i < n_encoder;
        const int32_t size = enc ? RG_ENCODER_INPUT_SIZE : RG_HEAD_INPUT_SIZE;
        uint32_t t0;
        if (rg_semihost_read(handle, enc ? rg_encoder_input() : rg_head_input(), (uint32_t)size) != 0) {
            rg_semihost_write0("ERR short model test file\n");
            return 2;
        }
        t0 = rg_ticks();
        if (enc) {
            rg_encoder_invoke();
        } else {
            rg_head_invoke();
        }
        if (enc) {
            count.ticks_encoder += rg_elapsed(t0);
        } else {
            count.ticks_head += rg_elapsed(t0);
        }
        rg_put(enc ? "MO encoder" : "MO head");
        rg_put_hex(enc ? rg_encoder_output() : rg_head_output(), enc ? RG_ENCODER_OUTPUT_SIZE : RG_HEAD_OUTPUT_SIZE);
        rg_flush_line();
    }
    rg_counter("model_ticks_encoder", count.ticks_encoder);
    rg_counter("model_ticks_head", count.ticks_head);
    rg_semihost_write0("END\n");
    return 0;
}

/* a known loop of 2 * n instructions (subs + bne), to calibrate ticks per instruction */
static uint32_t rg_calibrate(uint32_t n)
{
    const uint32_t t0 = rg_ticks();
    __asm volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    return rg_elapsed(t0);
}

int main(void)
{
    static const rg_throttle_config tcfg = RG_THROTTLE_CONFIG_DEFAULT;
    static const rg_decision_config dcfg_full = RG_FW_DECISION_FULL;
    static const rg_decision_config dcfg_idle = RG_FW_DECISION_IDLE;
    uint32_t header[8];
    int32_t handle, n_frames, always_on, t = 0, pending_decided = 0, block_frames = 0;
    float block_power = 0.0f;
    static float points[RG_POINTS];                /* a frame's onset power per range point */
    static float block_points[RG_IDLE_POINTS];     /* the idle block's sum of it on the IDLE points */
    const rg_decision_config *dcfg;
    rg_decision out[RG_DECISION_MAX_OUT];

    rg_paint_stack();
    RG_SYST_RVR = 0xFFFFFFu;
    RG_SYST_CVR = 0u;
    RG_SYST_CSR = 5u; /* enabled, processor clock, no interrupt */

    handle = rg_semihost_open(RG_FW_FRAME_FILE);
    if (handle < 0 || rg_semihost_read(handle, header, sizeof(header)) != 0) {
        rg_semihost_write0("ERR cannot read " RG_FW_FRAME_FILE "\n");
        return 2;
    }
    if (header[0] == 0x52464752u && (header[4] & 2u)) {
        rg_put("CAL");
        rg_put_int(rg_calibrate(100000u));
        rg_put_int(200000);
        rg_flush_line();
        return rg_model_test(handle, (int32_t)header[5], (int32_t)header[6]);
    }
    if (header[0] != 0x52464752u || header[2] != (uint32_t)RG_SWEEPS || header[3] != (uint32_t)RG_POINTS) {
        rg_semihost_write0("ERR frame file does not match the firmware's sweeps and points\n");
        return 2;
    }
    n_frames = (int32_t)header[1];
    always_on = (int32_t)(header[4] & 1u);
    rg_always_on = always_on;
    dcfg = always_on ? &dcfg_full : &dcfg_idle;
    rg_put("CAL");
    rg_put_int(rg_calibrate(100000u));
    rg_put_int(200000);
    rg_flush_line();

    rg_decision_init(&decision);
    rg_throttle_init(&throttle);
    if (always_on) {
        rg_onset_init_full(&onset);
    } else {
        rg_onset_init_idle(&onset);
    }
    memset(rd, 0, sizeof(rd));
    {
        int8_t zero_emb[RG_EMBEDDING_SIZE];
        rg_encode(rd, zero_emb); /* the ring's fill: the embedding of an empty map (not counted) */
        count.encoder_runs -= 1;
        rg_ring_reset(zero_emb);
    }
    count.ticks_encoder = 0;
    count.ticks_features = 0;

    while (t < n_frames) {
        uint32_t t0, dt;
        int32_t awake = throttle.phase == RG_PHASE_ONSET || throttle.phase == RG_PHASE_ACTIVE;
        int32_t next;
        if (rg_read_frame(handle, t) != 0) {
            rg_semihost_write0("ERR short frame file\n");
            return 2;
        }
        t0 = rg_ticks();
        count.sensor_frames += 1;
        if (always_on) {
            rg_onset_result r;
            const float power = rg_frame_features(points);
            rg_ring_push(t);
            rg_onset_process(&onset, power, &r);
            count.onset_runs += 1;
            (void)rg_segment(dcfg, r.ratio_db, points, t);
            next = t + 1;
            awake = 1;
        } else {
            /* StreamingDetector (throttled): every frame's onset power on its first RG_IDLE_SWEEPS sweeps
             * (an IDLE frame has no more); the map and the encoder on full-rate frames; at a wake-up the
             * ring's history is the first embedding the device encodes after it, or, with RG_IDLE_HISTORY,
             * the embeddings of the IDLE frames' own maps (each held until the next sensed frame). */
            rg_throttle_obs obs;
            rg_throttle_actions act;
            float power;
            const int32_t due = rg_throttle_onset_due(&throttle, &tcfg);
            const uint32_t tf = rg_ticks();
            /* a full frame's IDLE samples, and their power per IDLE point */
            power = iq[0] != 0 ? NAN : rg_features_idle_points_full_i16(&iq[1], points);
            count.ticks_features += rg_elapsed(tf);
            if (awake) {
                (void)rg_frame_features(NULL); /* the map (its own ticks) */
            }
            obs.ratio_db = NAN;
            if (isfinite(power)) {
                int32_t p;
                block_power += power;
                for (p = 0; p < RG_IDLE_POINTS; ++p) {
                    block_points[p] += points[p];
                }
                block_frames += 1;
            }
            if (due) {
                rg_onset_result r;
                int32_t p;
                rg_onset_process(&onset, block_frames ? block_power / (float)block_frames : NAN, &r);
                obs.ratio_db = r.ratio_db;
                for (p = 0; p < RG_IDLE_POINTS; ++p) { /* the block's mean (NaN if empty: no power fed) */
                    points[p] = block_frames ? block_points[p] / (float)block_frames : NAN;
                    block_points[p] = 0.0f;
                }
                block_power = 0.0f;
                block_frames = 0;
                count.onset_runs += 1;
            }
            obs.decided = pending_decided;
            rg_throttle_step(&throttle, &obs, &tcfg, &act);
            pending_decided = 0;
#if RG_IDLE_HISTORY
            if (!awake) {
                /* a frame sensed at idle rate: its IDLE map (a bad frame: an empty map, as nan_to_num on the host),
                 * encoded once, held in the ring for the frames up to the next sensed one (later pushes overwrite) */
                int8_t emb[RG_EMBEDDING_SIZE];
                int32_t k;
                const uint32_t ti = rg_ticks();
                if (iq[0] != 0) {
                    memset(rd, 0, sizeof(rd));
                } else {
                    rg_features_idle_map_full_i16(&iq[1], rd);
                }
                count.ticks_features += rg_elapsed(ti);
                rg_encode(rd, emb);
                for (k = 0; k < tcfg.idle_decimation; ++k) {
                    const int32_t slot = (t + k) % RG_FW_RING_FRAMES;
                    memcpy(ring[slot], emb, RG_EMBEDDING_SIZE);
                    ring_frame[slot] = t + k;
                }
            }
#else
            if (act.reset_head) {
                fill_pending = 1; /* the history is the first embedding encoded after the wake */
            }
#endif
            if (act.run_encoder && awake) {
                const int32_t slot = t % RG_FW_RING_FRAMES;
                rg_encode(rd, ring[slot]);
                if (fill_pending) {
                    rg_ring_reset(ring[slot]);
                    fill_pending = 0;
                }
                ring_frame[slot] = t;
            }
            if (due) {
                pending_decided = rg_segment(dcfg, obs.ratio_db, points, t);
            }
            next = t + (act.full_rate ? 1 : tcfg.idle_decimation);
            count.switches += act.full_rate != awake; /* a session reconfiguration on the device */
        }
        dt = rg_elapsed(t0);
        count.ticks_frames += dt;
        count.ticks_max_frame = dt > count.ticks_max_frame ? dt : count.ticks_max_frame;
        if (awake) {
            count.ticks_awake_frames += dt;
            count.awake_frames += 1;
        } else {
            count.ticks_idle_frames += dt;
            count.idle_frames += 1;
        }
        t = next;
    }
    now_frame = t - 1 > 0 ? t - 1 : 0;
    (void)rg_report(out, rg_decision_flush(&decision, dcfg, rg_classify, &rg_always_on, out));

    rg_counter("frames", n_frames);
    rg_counter("sensor_frames", count.sensor_frames);
    rg_counter("onset_runs", count.onset_runs);
    rg_counter("encoder_runs", count.encoder_runs);
    rg_counter("head_runs", count.head_runs);
    rg_counter("head_input_sum", count.head_input_sum);
    rg_counter("decisions", count.decisions);
    rg_counter("ticks_frames", count.ticks_frames);
    rg_counter("ticks_max_frame", count.ticks_max_frame);
    rg_counter("ticks_features", count.ticks_features);
    rg_counter("ticks_encoder", count.ticks_encoder);
    rg_counter("ticks_head", count.ticks_head);
    rg_counter("idle_frames", count.idle_frames);
    rg_counter("ticks_idle_frames", count.ticks_idle_frames);
    rg_counter("awake_frames", count.awake_frames);
    rg_counter("ticks_awake_frames", count.ticks_awake_frames);
    rg_counter("switches", count.switches);
    rg_counter("stack_bytes", rg_stack_used());
    rg_semihost_write0("END\n");
    return 0;
}
