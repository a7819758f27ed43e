/*
 * radargest_nn.c: see radargest_nn.h. C99, no allocation, no libm beyond roundf.
 */
#include "radargest_nn.h"

#include <math.h>
#include <stddef.h>

static int32_t rg_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* (a * b * 2) / 2^32 rounded to nearest (ties away from zero), saturating the one overflow case. */
static int32_t rg_doubling_high_mul(int32_t a, int32_t b)
{
    int64_t ab;
    int64_t v;
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    v = ab + (ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30)));
    /* division by 2^31 truncating toward zero, without a 64-bit division call */
    return (int32_t)(v >= 0 ? (v >> 31) : -((-v) >> 31));
}

/*
 * x / 2^e rounded to nearest. LiteRT's builtin int8 kernels (ruy) round ties up, toward +infinity, which
 * is what detect runs; TFLite Micro's reference kernels round ties away from zero (build with
 * -DRG_NN_TIES_AWAY_FROM_ZERO for those). The two differ only when x / 2^e is exactly k + 0.5 with k < 0.
 */
static int32_t rg_rounding_shift(int32_t x, int32_t e)
{
#ifdef RG_NN_TIES_AWAY_FROM_ZERO
    const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
    const int32_t rem = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (rem > threshold ? 1 : 0);
#else
    return e > 0 ? (int32_t)(((int64_t)x + ((int64_t)1 << (e - 1))) >> e) : x;
#endif
}

int32_t rg_mul_q31(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return rg_rounding_shift(rg_doubling_high_mul((int32_t)((int64_t)x * ((int64_t)1 << left)), multiplier), right);
}

void rg_conv2d_s8(const rg_conv_params *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                  const int32_t *mult, const int8_t *shift, int8_t *out)
{
    const int32_t ic = p->in_c;
    const int32_t kernel = (int32_t)p->k_h * p->k_w * ic;
    int32_t oy, ox, oc, ky, kx, ci;
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t x0 = ox * p->stride_w - p->pad_left;
            for (oc = 0; oc < p->out_c; ++oc) {
                const int8_t *w = filter + (size_t)oc * (size_t)kernel;
                int32_t acc = 0;
                for (ky = 0; ky < p->k_h; ++ky) {
                    const int32_t iy = y0 + ky * p->dil_h;
                    if (iy < 0 || iy >= p->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < p->k_w; ++kx) {
                        const int32_t ix = x0 + kx * p->dil_w;
                        const int8_t *xi;
                        const int8_t *wk;
                        if (ix < 0 || ix >= p->in_w) {
                            continue;
                        }
                        xi = in + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)ic;
                        wk = w + ((size_t)ky * (size_t)p->k_w + (size_t)kx) * (size_t)ic;
                        for (ci = 0; ci < ic; ++ci) {
                            acc += ((int32_t)xi[ci] - p->in_zero) * (int32_t)wk[ci];
                        }
                    }
                }
                if (bias != NULL) {
                    acc += bias[oc];
                }
                acc = rg_mul_q31(acc, mult[oc], shift[oc]) + p->out_zero;
                out[((size_t)oy * (size_t)p->out_w + (size_t)ox) * (size_t)p->out_c + (size_t)oc] =
                    (int8_t)rg_clamp(acc, p->act_min, p->act_max);
            }
        }
    }
}

void rg_fc_s8(const rg_fc_params *p, const int8_t *in, const int8_t *weights, const int32_t *bias,
              const int32_t *mult, const int8_t *shift, int8_t *out)
{
    int32_t o, i;
    for (o = 0; o < p->out_n; ++o) {
        const int8_t *w = weights + (size_t)o * (size_t)p->in_n;
        const int32_t m = p->n_mult > 1 ? o : 0;
        int32_t acc = 0;
        for (i = 0; i < p->in_n; ++i) {
            acc += ((int32_t)in[i] - p->in_zero) * (int32_t)w[i];
        }
        if (bias != NULL) {
            acc += bias[o];
        }
        acc = rg_mul_q31(acc, mult[m], shift[m]) + p->out_zero;
        out[o] = (int8_t)rg_clamp(acc, p->act_min, p->act_max);
    }
}

void rg_maxpool_s8(const rg_pool_params *p, const int8_t *in, int8_t *out)
{
    int32_t oy, ox, c, ky, kx;
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        const int32_t ky0 = y0 < 0 ? -y0 : 0;
        const int32_t ky1 = p->in_h - y0 < p->k_h ? p->in_h - y0 : p->k_h;
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t x0 = ox * p->stride_w - p->pad_left;
            const int32_t kx0 = x0 < 0 ? -x0 : 0;
            const int32_t kx1 = p->in_w - x0 < p->k_w ? p->in_w - x0 : p->k_w;
            for (c = 0; c < p->c; ++c) {
                int32_t best = -128;
                for (ky = ky0; ky < ky1; ++ky) {
                    for (kx = kx0; kx < kx1; ++kx) {
                        const int32_t v =
                            in[(((size_t)(y0 + ky)) * (size_t)p->in_w + (size_t)(x0 + kx)) * (size_t)p->c + (size_t)c];
                        best = v > best ? v : best;
                    }
                }
                out[((size_t)oy * (size_t)p->out_w + (size_t)ox) * (size_t)p->c + (size_t)c] =
                    (int8_t)rg_clamp(best, p->act_min, p->act_max);
            }
        }
    }
}

void rg_mean_s8(const rg_mean_params *p, const int8_t *in, int8_t *out)
{
    int32_t o, i, k;
    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->inner; ++i) {
            int32_t sum = 0;
            for (k = 0; k < p->n; ++k) {
                sum += in[((size_t)o * (size_t)p->n + (size_t)k) * (size_t)p->inner + (size_t)i];
            }
            if (p->requant) {
                /* TFLite: round(sum / n * scale + bias) + zero_point in float32, clamped */
                const float mean = (float)sum / (float)p->n;
                float r = roundf(mean * p->scale + p->bias) + (float)p->out_zero;
                r = r > 127.0f ? 127.0f : r;
                r = r < -128.0f ? -128.0f : r;
                out[(size_t)o * (size_t)p->inner + (size_t)i] = (int8_t)r;
            } else {
                out[(size_t)o * (size_t)p->inner + (size_t)i] = (int8_t)(sum / p->n);
            }
        }
    }
}

void rg_softmax_s8(const rg_softmax_params *p, const float *table, const int8_t *in, int8_t *out)
{
    int32_t r, j;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *x = in + (size_t)r * (size_t)p->depth;
        int8_t *y = out + (size_t)r * (size_t)p->depth;
        int32_t top = -128;
        float sum = 0.0f;
        float inv;
        for (j = 0; j < p->depth; ++j) {
            top = x[j] > top ? x[j] : top;
        }
        /* table[255 - (top - x)] = exp(input_scale * beta * (x - top)) */
        for (j = 0; j < p->depth; ++j) {
            sum += table[255 - (top - x[j])];
        }
        inv = 1.0f / (sum * p->out_scale);
        for (j = 0; j < p->depth; ++j) {
            const int32_t q = (int32_t)roundf(table[255 - (top - x[j])] * inv) + p->out_zero;
            y[j] = (int8_t)rg_clamp(q, -128, 127);
        }
    }
}
