"""digamma and erf_inv, float32 (computed in float64, rounded once) and float64.

* digamma(x), x > 0: the recurrence psi(x) = psi(x + 10) - sum_{k<10} 1/(x + k) when
  x < 10, then the asymptotic series psi(y) = log y - 1/(2y) - sum B_2n / (2n y^2n)
  (7 terms: truncation < 1e-16 for y >= 10).  x < 0: the reflection
  psi(x) = psi(1 - x) - pi cot(pi x), with pi x reduced exactly to pi t, abs(t) <= 1/2,
  and cot(2h) = (c^2 - s^2) / (2 s c) from sin/cos Taylor polynomials at h = pi t/2.
  As SciPy: psi(+0) = -inf, psi(-0) = inf, NaN at negative integers and -inf.
  Branch-free and vectorizable.  Near psi's zero (x = 1.4616...) the float64 result
  has a small absolute, not relative, error (the recurrence cancels there).
* erf_inv(x): Giles' single-precision approximation ("Approximating the erfinv
  function", GPU Computing Gems, 2011) as the first guess, then Newton steps on
  erf(y) = abs(x) for abs(x) <= 1/2, and on log erfc(y) = log(1 - abs(x)) above, where
  1 - abs(x) is exact and the log keeps the steps quadratic far into the tail.
  float32: 2 steps with widemath's inline float64 erf; float64: 4 steps with erf64's
  inline erf and erfc (rules.py wires it); both vectorize.  erf_inv(+-1) = +-inf, NaN outside
  [-1, 1], erf_inv(-0) = +0 as SciPy.
"""
import math

from xla_like.backends.llvm import mathlib, widemath
from xla_like.backends.llvm.lltypes import F64
from xla_like.backends.llvm.mathlib import Emitter

_PSI_SHIFT = 10
_PSI_TAIL = [1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12]  # B_2n/2n

# Giles' coefficients, lowest degree first: in w - 2.5 for w < 5, in sqrt(w) - 3 beyond.
_GILES_CENTRAL = [1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087,
                  -4.39150654e-06, -3.5233877e-06, 3.43273939e-07, 2.81022636e-08]
_GILES_TAIL = [2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773,
               -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257]
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _digamma_positive(em, x):
    """psi(x) for x >= 0 (and +-0, whose 1/x term gives the infinities)."""
    small = em.lt(x, em.c(_PSI_SHIFT))
    acc = em.c(0.0)
    for k in reversed(range(1, _PSI_SHIFT)):
        acc = em.add(acc, em.div(em.c(1.0), em.add(x, em.c(k))))
    acc = em.add(acc, em.div(em.c(1.0), x))          # 1/x itself: 1/-0 = -inf
    y = em.select(small, em.add(x, em.c(_PSI_SHIFT)), x)
    z = em.div(em.c(1.0), em.mul(y, y))
    psi = em.sub(em.sub(mathlib.log(em, y), em.div(em.c(0.5), y)),
                 em.mul(z, em.poly(z, _PSI_TAIL)))
    return em.select(small, em.sub(psi, acc), psi)


# sin(h) = h + h^3 S(h^2), cos(h) = 1 + h^2 C(h^2) on abs(h) <= pi/4 (truncation < 1e-18)
_SIN_TAIL = [(-1) ** (n + 1) / math.factorial(2 * n + 3) for n in range(9)]
_COS_TAIL = [(-1) ** (n + 1) / math.factorial(2 * n + 2) for n in range(10)]


def _pi_cot_pi(em, x):
    """pi cot(pi x), exact argument reduction."""
    t = em.sub(x, em.unary("roundeven", x))
    h = em.mul(t, em.c(math.pi / 2))
    z = em.mul(h, h)
    s = em.fma(em.mul(h, z), em.poly(z, _SIN_TAIL), h)
    c = em.fma(z, em.poly(z, _COS_TAIL), em.c(1.0))
    cot = em.div(em.sub(em.mul(c, c), em.mul(s, s)), em.mul(em.c(2.0), em.mul(s, c)))
    return em.mul(em.c(math.pi), cot)


def digamma_wide(em, x):
    negative = em.lt(x, em.c(0.0))
    positive = _digamma_positive(em, em.select(negative, em.sub(em.c(1.0), x), x))
    value = em.select(negative, em.sub(positive, _pi_cot_pi(em, x)), positive)
    pole = em.b.and_(negative, em.eq(em.unary("floor", x), x))     # -1, -2, ..., -inf
    return em.select(pole, em.c(math.nan), value)


def _erf_inv_guess(em, a):
    w = em.neg(mathlib.log(em, em.mul(em.sub(em.c(1.0), a), em.add(em.c(1.0), a))))
    central = em.poly(em.sub(w, em.c(2.5)), _GILES_CENTRAL)
    tail = em.poly(em.sub(em.unary("sqrt", w), em.c(3.0)), _GILES_TAIL)
    return em.mul(em.select(em.lt(w, em.c(5.0)), central, tail), a)


def _erf_inv_abs(em, a, steps, erf_erfc):
    """erf_inv(a) for 0 <= a < 1; ``erf_erfc(em, y)`` gives (erf y, erfc y)."""
    y = _erf_inv_guess(em, a)
    tail = em.gt(a, em.c(0.5))
    log_t = mathlib.log(em, em.sub(em.c(1.0), a))
    for _ in range(steps):
        e, ec = erf_erfc(em, y)
        slope = em.mul(em.c(_TWO_OVER_SQRT_PI), mathlib.exp(em, em.neg(em.mul(y, y))))
        central = em.sub(y, em.div(em.sub(e, a), slope))
        log_gap = em.sub(mathlib.log(em, ec), log_t)
        y = em.select(tail, em.add(y, em.div(em.mul(log_gap, ec), slope)), central)
    return y


def _inline_erf_erfc(em, y):
    e = widemath.erf_abs_wide(em, y)
    return e, em.sub(em.c(1.0), e)


def erf_inv_wide(em, x, steps, erf_erfc):
    a = em.unary("fabs", x)
    y = em.copysign(_erf_inv_abs(em, a, steps, erf_erfc), x)
    y = em.select(em.eq(a, em.c(1.0)), em.copysign(em.c(math.inf), x), y)
    y = em.select(em.gt(a, em.c(1.0)), em.c(math.nan), y)
    y = em.select(em.isnan(x), x, y)
    return em.select(em.eq(x, em.c(0.0)), em.c(0.0), y)


def _float32(fn):
    def rule(b, x):
        return b.fptrunc(fn(Emitter(b, F64), b.fpext(x, F64.ty)), x.type)
    return rule


def _float64(fn):
    def rule(b, x):
        return fn(Emitter(b, F64), x)
    return rule


digamma_f32 = _float32(digamma_wide)
digamma_f64 = _float64(digamma_wide)
erf_inv_f32 = _float32(lambda em, x: erf_inv_wide(em, x, 2, _inline_erf_erfc))
