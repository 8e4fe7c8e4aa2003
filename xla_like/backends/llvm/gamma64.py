"""Inline lgamma (log abs(Gamma(x))) in float64; the float32 rule runs it and rounds once.

* 0.5 <= x <= 2.5, around lgamma's zeros at 1 and 2: with t = x - 2 (or x - 1,
  exact), lgamma(2 + t) = (1 - gamma) t + sum_k (-1)^k (zeta(k) - 1) t^k / k (Taylor,
  31 terms, truncation < 1e-18 relative for abs(t) <= 1/2), and
  lgamma(1 + t) = lgamma(2 + t) - log1p(t): relative accuracy right up to the zeros.
* other x > 0: y = x + 8 below 8, then Stirling's series
  lgamma(y) = (y - 1/2)(log y - 1) - 1/2 + log(2 pi)/2 + sum_k B_2k / (2k (2k-1) y^(2k-1))
  (10 terms, truncation < 1e-17 for y >= 8; no premature overflow), minus
  log(x (x+1) ... (x+7)) when shifted.
* x < 0: reflection lgamma(x) = log(pi / abs(sin(pi x))) - lgamma(1 - x), with
  sin(pi x) from an exact reduction x - round(x) and mathlib64's sin/cos kernel.
Errors are absolute (~1e-15 max(1, abs(value)), the "1e-13 abs" row in rules.py)
away from the zeros at 1 and 2.  As SciPy's gammaln: +inf at 0 and the negative
integers, lgamma(+-inf) = +-inf... except lgamma(-inf) = -inf, NaN stays NaN.
"""
import math

from xla_like.backends.llvm import mathlib
from xla_like.backends.llvm.mathlib64 import sin_cos_kernel, two_prod

_EULER_GAMMA = 0.57721566490153286061
_SHIFT = 8
_BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330]                           # B_2 ... B_20
_STIRLING = [b / (2 * k * (2 * k - 1)) for k, b in enumerate(_BERNOULLI, start=1)]
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LOG_PI = math.log(math.pi)
_PI_LO = 1.2246467991473532e-16                                    # pi - float(pi)


def _zeta_minus_one(s):
    """zeta(s) - 1 = sum_{n >= 2} n^-s by Euler-Maclaurin at N = 1000 (error < 1e-25)."""
    n = 1000
    head = math.fsum(k ** -s for k in range(2, n))
    tail = n ** (1 - s) / (s - 1) + 0.5 * n ** -s + s * n ** (-s - 1) / 12
    return head + tail - s * (s + 1) * (s + 2) * n ** (-s - 3) / 720


# lgamma(2 + t) = t P(t), P = (1 - gamma) + sum_k (-1)^k (zeta(k) - 1) t^(k-1) / k
_NEAR_TWO = [1 - _EULER_GAMMA] + [(-1) ** k * _zeta_minus_one(k) / k for k in range(2, 32)]


def _lgamma_positive(em, x):
    """lgamma(x) for x > 0 (inf gives inf)."""
    b = em.b
    small = em.lt(x, em.c(_SHIFT))
    product = x
    for k in range(1, _SHIFT):
        product = em.mul(product, em.add(x, em.c(k)))
    y = em.select(small, em.add(x, em.c(_SHIFT)), x)
    log_y = mathlib.log(em, y)
    inverse = em.div(em.c(1.0), y)
    series = em.mul(inverse, em.poly(em.mul(inverse, inverse), _STIRLING))
    main = em.fma(em.sub(y, em.c(0.5)), em.sub(log_y, em.c(1.0)), em.c(_HALF_LOG_2PI - 0.5))
    stirling = em.add(main, series)
    far = em.sub(stirling, em.select(small, mathlib.log(em, product), em.c(0.0)))
    below = em.lt(x, em.c(1.5))
    t = em.sub(x, em.select(below, em.c(1.0), em.c(2.0)))
    near_two = em.mul(t, em.poly(t, _NEAR_TWO))
    near = em.sub(near_two, em.select(below, mathlib.log1p(em, t), em.c(0.0)))
    window = b.and_(b.fcmp_ordered(">=", x, em.c(0.5)), b.fcmp_ordered("<=", x, em.c(2.5)))
    return em.select(window, near, far)


def _log_pi_over_sin_pi(em, x):
    """log(pi / abs(sin(pi x))): x - round(x) is exact, and sin(pi u) for u in [0, 1/2]
    is sin(pi u) below 1/4 and cos(pi (1/2 - u)) above (both arguments <= pi/4)."""
    u = em.unary("fabs", em.sub(x, em.unary("roundeven", x)))
    upper = em.gt(u, em.c(0.25))
    v = em.select(upper, em.sub(em.c(0.5), u), u)
    a, a_err = two_prod(em, v, em.c(math.pi))
    (sin_a, _), (cos_a, _) = sin_cos_kernel(em, a, em.fma(v, em.c(_PI_LO), a_err))
    return em.sub(em.c(_LOG_PI), mathlib.log(em, em.select(upper, cos_a, sin_a)))


def lgamma(em, x):
    """log abs(Gamma(x))."""
    negative = em.lt(x, em.c(0.0))
    positive = _lgamma_positive(em, em.select(negative, em.sub(em.c(1.0), x), x))
    reflected = em.sub(_log_pi_over_sin_pi(em, x), positive)
    y = em.select(negative, reflected, positive)
    pole = em.b.and_(em.b.fcmp_ordered("<=", x, em.c(0.0)), em.eq(em.unary("floor", x), x))
    y = em.select(pole, em.c(math.inf), y)
    y = em.select(em.eq(x, em.c(-math.inf)), x, y)
    return em.select(em.isnan(x), x, y)
