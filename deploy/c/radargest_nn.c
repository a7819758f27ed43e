/*
 * radargest_nn.c: see radargest_nn.h. C99, no allocation; libm for roundf only.
 */
#include "radargest_nn.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#if defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
#include <arm_acle.h>
#endif

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

/* x / 2^e rounded to nearest, ties away from zero (gemmlowp's RoundingDivideByPOT). */
static int32_t rg_rounding_shift_away(int32_t x, int32_t e)
{
    const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
    const int32_t rem = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (rem > threshold ? 1 : 0);
}

/*
 * x / 2^e rounded to nearest. LiteRT's builtin int8 convolution and fully connected kernels (ruy) round
 * ties up, toward +infinity, which is what detect runs; TFLite Micro's reference kernels round ties away
 * from zero (build with -DRG_NN_TIES_AWAY_FROM_ZERO for those). The two differ only when x / 2^e is
 * exactly k + 0.5 with k < 0.
 */
static int32_t rg_rounding_shift(int32_t x, int32_t e)
{
#ifdef RG_NN_TIES_AWAY_FROM_ZERO
    return rg_rounding_shift_away(x, e);
#else
    /* floor(x / 2^e + 1/2) = floor(x / 2^e) + bit e-1 of x, in 32 bits without overflow */
    return e > 0 ? (x >> e) + ((x >> (e - 1)) & 1) : x;
#endif
}

int32_t rg_mul_q31(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    /* x * 2^left wraps on overflow as TFLite's int32 product does on the host */
    return rg_rounding_shift(rg_doubling_high_mul((int32_t)((uint32_t)x << left), multiplier), right);
}

/* rg_mul_q31 with the final shift's ties away from zero in every build: TFLite's reference
 * MultiplyByQuantizedMultiplier, which LiteRT's int8 MEAN calls (it does not go through ruy). */
static int32_t rg_mul_q31_away(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return rg_rounding_shift_away(rg_doubling_high_mul((int32_t)((uint32_t)x << left), multiplier), right);
}

/*
 * sum of x[i] * w[i], i < n (int8 x int8 into int32). On cores with the DSP extension (Cortex-M4) four
 * products per step: two SXTB16 unpack the even and odd bytes of a word into int16 pairs and SMLAD adds
 * both products of a pair; the integer sum is the same in any order.
 */
static int32_t rg_dot(const int8_t *x, const int8_t *w, int32_t n, int32_t acc)
{
#if defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
    while (n >= 4) {
        uint32_t xv, wv;
        memcpy(&xv, x, 4);
        memcpy(&wv, w, 4);
        acc = __smlad(__sxtb16(xv), __sxtb16(wv), acc);
        acc = __smlad(__sxtb16((xv >> 8) | (xv << 24)), __sxtb16((wv >> 8) | (wv << 24)), acc);
        x += 4;
        w += 4;
        n -= 4;
    }
#else
    while (n >= 4) {
        acc += (int32_t)x[0] * w[0] + (int32_t)x[1] * w[1] + (int32_t)x[2] * w[2] + (int32_t)x[3] * w[3];
        x += 4;
        w += 4;
        n -= 4;
    }
#endif
    while (n-- > 0) {
        acc += (int32_t)*x++ * *w++;
    }
    return acc;
}

/* Two dot products sharing x: acc[0] += x . w0, acc[1] += x . w1 (the unpacked x is reused). */
static void rg_dot2(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int32_t *acc)
{
    int32_t a0 = acc[0];
    int32_t a1 = acc[1];
#if defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
    while (n >= 4) {
        uint32_t xv, wv, vv;
        int16x2_t xe, xo;
        memcpy(&xv, x, 4);
        memcpy(&wv, w0, 4);
        memcpy(&vv, w1, 4);
        xe = __sxtb16(xv);
        xo = __sxtb16((xv >> 8) | (xv << 24));
        a0 = __smlad(xe, __sxtb16(wv), a0);
        a0 = __smlad(xo, __sxtb16((wv >> 8) | (wv << 24)), a0);
        a1 = __smlad(xe, __sxtb16(vv), a1);
        a1 = __smlad(xo, __sxtb16((vv >> 8) | (vv << 24)), a1);
        x += 4;
        w0 += 4;
        w1 += 4;
        n -= 4;
    }
#endif
    while (n-- > 0) {
        const int32_t v = *x++;
        a0 += v * *w0++;
        a1 += v * *w1++;
    }
    acc[0] = a0;
    acc[1] = a1;
}

/* n bytes of an input row starting at column ix0 (k_w taps of in_c channels, dilation 1) into a patch
 * row; taps outside [0, in_w) read as the input zero point (the padding). */
static void rg_patch_row(int8_t *dst, const int8_t *src_row, int32_t ix0, int32_t k_w, int32_t in_w, int32_t ic,
                         int8_t zero)
{
    int32_t kx0 = ix0 < 0 ? -ix0 : 0;
    int32_t kx1 = in_w - ix0 < k_w ? in_w - ix0 : k_w;
    if (kx1 < kx0) {
        kx1 = kx0;
    }
    if (kx0 > k_w) {
        kx0 = kx1 = k_w;
    }
    if (kx0 > 0) {
        memset(dst, zero, (size_t)kx0 * (size_t)ic);
    }
    memcpy(dst + (size_t)kx0 * (size_t)ic, src_row + ((ptrdiff_t)ix0 + kx0) * ic, (size_t)(kx1 - kx0) * (size_t)ic);
    if (kx1 < k_w) {
        memset(dst + (size_t)kx1 * (size_t)ic, zero, (size_t)(k_w - kx1) * (size_t)ic);
    }
}

void rg_conv2d_s8(const rg_conv_params *p, const int8_t *in, int8_t *scratch, const int8_t *filter,
                  const int32_t *bias, const int32_t *mult, const int8_t *shift, int8_t *out)
{
    const int32_t ic = p->in_c;
    const int32_t kernel = (int32_t)p->k_h * p->k_w * ic;
    const int32_t row = (int32_t)p->k_w * ic;
    const int8_t zero = (int8_t)p->in_zero;
    int8_t *col = scratch; /* one output position's patch, kernel bytes, in filter order */
    int32_t oy, ox, oc, ky, kx;
    for (oy = 0; oy < p->out_h; ++oy) {
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int8_t *o = out + ((size_t)oy * (size_t)p->out_w + (size_t)ox) * (size_t)p->out_c;
            const int8_t *w = filter;
            /* the patch: padding reads as in_zero, which adds exactly 0 once the zero point is in the bias */
            for (ky = 0; ky < p->k_h; ++ky) {
                const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                int8_t *cr = col + (size_t)ky * (size_t)row;
                const int8_t *xr = in + (ptrdiff_t)iy * p->in_w * ic;
                if (iy < 0 || iy >= p->in_h) {
                    memset(cr, zero, (size_t)row);
                } else if (p->dil_w == 1) {
                    rg_patch_row(cr, xr, ix0, p->k_w, p->in_w, ic, zero);
                } else {
                    for (kx = 0; kx < p->k_w; ++kx) {
                        const int32_t ix = ix0 + kx * p->dil_w;
                        if (ix < 0 || ix >= p->in_w) {
                            memset(cr + (size_t)kx * (size_t)ic, zero, (size_t)ic);
                        } else {
                            memcpy(cr + (size_t)kx * (size_t)ic, xr + (ptrdiff_t)ix * ic, (size_t)ic);
                        }
                    }
                }
            }
            for (oc = 0; oc + 1 < p->out_c; oc += 2, w += 2 * kernel) {
                int32_t acc[2];
                acc[0] = bias[oc];
                acc[1] = bias[oc + 1];
                rg_dot2(col, w, w + kernel, kernel, acc);
                o[oc] = (int8_t)rg_clamp(rg_mul_q31(acc[0], mult[oc], shift[oc]) + p->out_zero, p->act_min, p->act_max);
                o[oc + 1] = (int8_t)rg_clamp(rg_mul_q31(acc[1], mult[oc + 1], shift[oc + 1]) + p->out_zero, p->act_min,
                                             p->act_max);
            }
            if (oc < p->out_c) {
                const int32_t acc = rg_mul_q31(rg_dot(col, w, kernel, bias[oc]), mult[oc], shift[oc]) + p->out_zero;
                o[oc] = (int8_t)rg_clamp(acc, p->act_min, p->act_max);
            }
        }
    }
}

void rg_fc_s8(const rg_fc_params *p, const int8_t *in, const int8_t *weights, const int32_t *bias,
              const int32_t *mult, const int8_t *shift, int8_t *out)
{
    int32_t o;
    for (o = 0; o < p->out_n; ++o) {
        const int32_t m = p->n_mult > 1 ? o : 0;
        int32_t acc = rg_dot(in, weights + (size_t)o * (size_t)p->in_n, p->in_n, bias[o]);
        acc = rg_mul_q31(acc, mult[m], shift[m]) + p->out_zero;
        out[o] = (int8_t)rg_clamp(acc, p->act_min, p->act_max);
    }
}

void rg_maxpool_s8(const rg_pool_params *p, const int8_t *in, int8_t *out)
{
    const int32_t c_n = p->c;
    const int32_t line = (int32_t)p->in_w * c_n;
    int32_t oy, ox, c, ky, kx;
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        const int32_t ky0 = y0 < 0 ? -y0 : 0;
        const int32_t ky1 = p->in_h - y0 < p->k_h ? p->in_h - y0 : p->k_h;
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t x0 = ox * p->stride_w - p->pad_left;
            const int32_t kx0 = x0 < 0 ? -x0 : 0;
            const int32_t kx1 = p->in_w - x0 < p->k_w ? p->in_w - x0 : p->k_w;
            const int8_t *base = in + (ptrdiff_t)y0 * line + (ptrdiff_t)x0 * c_n;
            for (c = 0; c < c_n; ++c) {
                int32_t best = -128;
                for (ky = ky0; ky < ky1; ++ky) {
                    const int8_t *r = base + (ptrdiff_t)ky * line + c;
                    for (kx = kx0; kx < kx1; ++kx) {
                        const int32_t v = r[kx * c_n];
                        best = v > best ? v : best;
                    }
                }
                *out++ = (int8_t)rg_clamp(best, p->act_min, p->act_max);
            }
        }
    }
}

void rg_mean_s8(const rg_mean_params *p, const int8_t *in, int8_t *out)
{
    int32_t o, i, k;
    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < p->inner; ++i) {
            int32_t sum = -(int32_t)p->n * p->in_zero;
            for (k = 0; k < p->n; ++k) {
                sum += in[((size_t)o * (size_t)p->n + (size_t)k) * (size_t)p->inner + (size_t)i];
            }
            out[(size_t)o * (size_t)p->inner + (size_t)i] =
                (int8_t)rg_clamp(rg_mul_q31_away(sum, p->mult, p->shift) + p->out_zero, -128, 127);
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
