/*
 * fw_math.c: single-precision log10 for the firmware, computed in double and rounded once.
 *
 * The onset level is 10 log10(metric) compared against dB thresholds; newlib's log10f can differ from the
 * host C library's (glibc) by an ulp, enough to move a threshold crossing by a frame. Rounding the double
 * result gives the correctly rounded float in all but vanishingly rare cases, as glibc does. Called once
 * per onset sample (a few thousand instructions in software double on a Cortex-M4F).
 */
#include <math.h>

float log10f(float x)
{
    return (float)log10((double)x);
}
