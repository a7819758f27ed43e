/*
 * radargest_nn.h: int8 kernels for the ahead-of-time compiled models (C99, no allocation).
 *
 * deploy.aot compiles the bundle's int8 TFLite flatbuffers into calls of these kernels with every shape,
 * weight and quantisation parameter fixed at compile time (radargest_models.c). The arithmetic follows
 * TFLite's integer semantics as the LiteRT builtin kernels run them, so results are bit-exact
 * (tests/deploy/test_deploy_aot.py checks 0 LSB):
 *
 * - int8 affine scheme: real = scale * (q - zero_point).
 * - CONV_2D / FULLY_CONNECTED: int32 accumulator of (x - input_zero_point) * w plus the int32 bias, then
 *   the fixed-point rescale rg_mul_q31 (the "quantized multiplier": a Q31 significand and a power-of-two
 *   exponent computed by deploy.aot from input_scale * filter_scale / output_scale, per output channel),
 *   plus output_zero_point, clamped to the fused activation's range.
 * - MAX_POOL_2D: max over the window, clamped to the activation range.
 * - MEAN (one axis): the int32 sum of (x - input_zero_point) through the fixed-point rescale with 1/n
 *   folded into the multiplier (deploy.aot.mean_multiplier), ties away from zero, as LiteRT and TFLite Micro.
 * - SOFTMAX: TFLite's lookup-table softmax; the table of exp values is computed by deploy.aot.
 */
#ifndef RADARGEST_NN_H
#define RADARGEST_NN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fixed-point rescale: round(x * multiplier * 2^(shift - 31)) with TFLite's two roundings
 * (saturating rounding doubling high multiply, then a rounding shift right; see radargest_nn.c for ties). */
int32_t rg_mul_q31(int32_t x, int32_t multiplier, int32_t shift);

/*
 * Per-channel int8 convolution, NHWC input, OHWI filter (batch 1). mult/shift: one per output channel.
 * The input zero point is folded into the bias at compile time: bias[o] = b[o] - in_zero * sum(filter[o]),
 * so the inner loop is a plain dot product over one output position's patch, copied to `scratch`
 * (k_h * k_w * in_c bytes); padding taps are filled with in_zero, which contributes exactly zero after the
 * fold. pad_h, pad_w: the padded extent (informative).
 * The integer result equals TFLite's sum((x - in_zero) * w) + b exactly.
 */
typedef struct {
    int16_t in_h, in_w, in_c, out_h, out_w, out_c;
    int16_t k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, pad_h, pad_w;
    int32_t in_zero, out_zero, act_min, act_max;
} rg_conv_params;

void rg_conv2d_s8(const rg_conv_params *p, const int8_t *in, int8_t *scratch, const int8_t *filter,
                  const int32_t *bias, const int32_t *mult, const int8_t *shift, int8_t *out);

/* int8 fully connected: out[o] for weights [out_n][in_n], bias with the input zero point folded in as
 * for the convolution; per-channel when n_mult == out_n, else one multiplier for all outputs. */
typedef struct {
    int16_t in_n, out_n, n_mult;
    int32_t out_zero, act_min, act_max;
} rg_fc_params;

void rg_fc_s8(const rg_fc_params *p, const int8_t *in, const int8_t *weights, const int32_t *bias,
              const int32_t *mult, const int8_t *shift, int8_t *out);

/* int8 max pooling, NHWC, VALID or SAME padding (pad_top/pad_left), same quantisation in and out. */
typedef struct {
    int16_t in_h, in_w, c, out_h, out_w, k_h, k_w, stride_h, stride_w, pad_top, pad_left;
    int32_t act_min, act_max;
} rg_pool_params;

void rg_maxpool_s8(const rg_pool_params *p, const int8_t *in, int8_t *out);

/* Mean over the middle axis of an (outer, n, inner) int8 tensor, in integers as TFLite's int8 MEAN:
 * y = clamp(mul_q31(sum - n * in_zero, mult, shift) + out_zero), where mult and shift (from deploy.aot)
 * are the Q31 rescale input_scale / output_scale with the division by n folded in. */
typedef struct {
    int16_t outer, n, inner;
    int32_t in_zero, mult, shift, out_zero;
} rg_mean_params;

void rg_mean_s8(const rg_mean_params *p, const int8_t *in, int8_t *out);

/* Softmax over the last axis (rows x depth). table[255 - d] = exp(-input_scale * beta * d). */
typedef struct {
    int16_t rows, depth;
    float out_scale;
    int32_t out_zero;
} rg_softmax_params;

void rg_softmax_s8(const rg_softmax_params *p, const float *table, const int8_t *in, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* RADARGEST_NN_H */
