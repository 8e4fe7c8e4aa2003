"""More float32 functions evaluated inline in float64 and rounded once: pow, tan,
sinh, cosh, asinh, acosh, atanh, atan, asin, acos, atan2, cbrt (mathlib64's without its
final residual step) and a float32 ``rsqrt``.

Each is written in float64 from the inline float64 exp/expm1/log/log1p of mathlib.py
(errors ~1e-16), widemath.py's exact sin/cos argument reduction, and an atan kernel
below, so float32 results are within a hair of correctly rounded (measured maxima in
rules.py) while staying branch-free and vectorizable.  The identities, chosen so that
no step cancels or overflows in float64 for any float32 input:

* pow(x, y) = +-exp(y log abs(x)), NaN for finite x < 0 and non-integral y, sign from
  odd integral y; y = 0 or x = 1 give 1, and (-1)^+-inf = 1, as C99 and NumPy do.
* sinh = (e + e/(e+1))/2 with e = expm1(abs(x)); cosh = (E + 1/E)/2 with E = exp(abs(x)).
* asinh = log1p(a + a^2/(1 + sqrt(1 + a^2))), acosh = log1p(t + sqrt(t (t + 2))) with
  t = x - 1 (exact), atanh = log1p(2a/(1 - a))/2; odd ones take the sign of x.
* atan: u = min(a, 1/a), then atan(u) = atan(c) + atan((u - c)/(1 + uc)) with c one
  of 0, tan(pi/8), 1, which leaves abs(s) <= tan(pi/16); an 11-term odd Taylor series
  (truncation < 1e-16); pi/2 - that for a > 1.
* asin(x) = atan(x / sqrt((1-x)(1+x))), acos(x) = 2 atan(sqrt((1-x)/(1+x))),
  atan2(y, x) = atan(abs(y)/abs(x)), reflected to pi - . for x with its sign bit set,
  with the sign of y; 0/0 gives 0 and inf/inf gives pi/4 before reflection.
* tan: the exact reduction x = q pi/2 + a of widemath.py; sin(a)/cos(a) or
  -cos(a)/sin(a) by the parity of q.
"""
import math

from xla_like.backends.llvm import mathlib, mathlib64, widemath
from xla_like.backends.llvm.lltypes import F64
from xla_like.backends.llvm.mathlib import Emitter

_ATAN_TERMS = [(-1) ** n / (2 * n + 1) for n in range(11)]
_TAN_PI_8, _TAN_PI_16, _TAN_3PI_16 = (math.tan(math.pi / 8), math.tan(math.pi / 16),
                                      math.tan(3 * math.pi / 16))


def _wide(fn):
    """A float32 rule ``(b, *xs)`` computing ``fn(em, *xs_in_float64)`` in float64."""
    def rule(b, *xs):
        em = Emitter(b, F64)
        wide = [b.fpext(x, F64.ty) for x in xs]
        return b.fptrunc(fn(em, *wide), xs[0].type)
    return rule


def _atan_01(em, u):
    """atan(u) for u in [0, 1]."""
    third = em.gt(u, em.c(_TAN_3PI_16))
    first = em.gt(u, em.c(_TAN_PI_16))
    c = em.select(third, em.c(1.0), em.select(first, em.c(_TAN_PI_8), em.c(0.0)))
    base = em.select(third, em.c(math.pi / 4),
                     em.select(first, em.c(math.pi / 8), em.c(0.0)))
    s = em.div(em.sub(u, c), em.fma(u, c, em.c(1.0)))
    z = em.mul(s, s)
    return em.add(base, em.fma(em.mul(s, z), em.poly(z, _ATAN_TERMS[1:]), s))


def _atan_abs(em, a):
    """atan(a) for a >= 0 (inf included; NaN stays NaN)."""
    large = em.gt(a, em.c(1.0))
    u = em.select(large, em.div(em.c(1.0), a), a)
    r = _atan_01(em, u)
    return em.select(large, em.sub(em.c(math.pi / 2), r), r)


def _atan(em, x):
    return em.copysign(_atan_abs(em, em.unary("fabs", x)), x)


def _asin(em, x):
    root = em.unary("sqrt", em.mul(em.sub(em.c(1.0), x), em.add(em.c(1.0), x)))
    return _atan(em, em.div(x, root))


def _acos(em, x):
    ratio = em.div(em.sub(em.c(1.0), x), em.add(em.c(1.0), x))
    return em.mul(em.c(2.0), _atan_abs(em, em.unary("sqrt", ratio)))


def _atan2(em, y, x):
    ay, ax = em.unary("fabs", y), em.unary("fabs", x)
    a = _atan_abs(em, em.div(ay, ax))
    a = em.select(em.eq(ay, em.c(0.0)), em.c(0.0), a)                   # 0/0, 0/x
    both_inf = em.b.and_(em.eq(ay, em.c(math.inf)), em.eq(ax, em.c(math.inf)))
    a = em.select(both_inf, em.c(math.pi / 4), a)
    negative_x = em.b.icmp_signed("<", em.b.bitcast(x, F64.ity), em.ci(0))
    a = em.select(negative_x, em.sub(em.c(math.pi), a), a)
    a = em.select(em.b.or_(em.isnan(x), em.isnan(y)), em.add(x, y), a)
    return em.copysign(a, y)


def _sinh(em, x):
    # float32 sinh overflows from 89.4; the clamp keeps e finite (so e/(e+1) is not NaN)
    a = em.unary("fabs", x)
    e = mathlib.expm1(em, em.select(em.gt(a, em.c(100.0)), em.c(100.0), a))
    return em.copysign(em.mul(em.c(0.5), em.add(e, em.div(e, em.add(e, em.c(1.0))))), x)


def _cosh(em, x):
    e = mathlib.exp(em, em.unary("fabs", x))
    return em.mul(em.c(0.5), em.add(e, em.div(em.c(1.0), e)))


def _asinh(em, x):
    a = em.unary("fabs", x)
    a2 = em.mul(a, a)
    root = em.add(em.c(1.0), em.unary("sqrt", em.add(em.c(1.0), a2)))
    y = mathlib.log1p(em, em.add(a, em.div(a2, root)))
    # beyond 2^30, asinh(a) = log(2a) to double precision (and inf stays inf, not NaN)
    huge = em.gt(a, em.c(2.0 ** 30))
    y = em.select(huge, em.add(mathlib.log(em, a), em.c(math.log(2.0))), y)
    return em.copysign(y, x)


def _acosh(em, x):
    t = em.sub(x, em.c(1.0))
    y = mathlib.log1p(em, em.add(t, em.unary("sqrt", em.mul(t, em.add(t, em.c(2.0))))))
    return em.select(em.lt(x, em.c(1.0)), em.c(math.nan), y)


def _atanh(em, x):
    a = em.unary("fabs", x)
    y = em.mul(em.c(0.5), mathlib.log1p(em, em.div(em.add(a, a), em.sub(em.c(1.0), a))))
    return em.copysign(y, x)


def _tan(em, x):
    quadrant, a = widemath.reduce_quarter_turns(em, x)
    sin_a, cos_a = widemath.sin_cos_poly(em, a)
    odd = em.b.icmp_unsigned("!=", em.b.and_(quadrant, em.ci(1)), em.ci(0))
    value = em.select(odd, em.neg(em.div(cos_a, sin_a)), em.div(sin_a, cos_a))
    return em.select(em.eq(x, em.c(0.0)), x, value)             # tan(-0) = -0


def _is_integral(em, v):
    return em.eq(em.unary("floor", v), v)


def _pow(em, x, y):
    ax = em.unary("fabs", x)
    t = mathlib.exp(em, em.mul(y, mathlib.log(em, ax)))
    b = em.b
    half = em.mul(y, em.c(0.5))
    odd = b.and_(_is_integral(em, y), b.not_(_is_integral(em, half)))
    negative_x = b.icmp_signed("<", b.bitcast(x, F64.ity), em.ci(0))
    t = em.select(b.and_(negative_x, odd), em.neg(t), t)
    finite_negative = b.and_(em.lt(x, em.c(0.0)), em.gt(x, em.c(-math.inf)))
    t = em.select(b.and_(finite_negative, b.not_(_is_integral(em, y))), em.c(math.nan), t)
    unit_to_inf = b.and_(em.eq(ax, em.c(1.0)), em.eq(em.unary("fabs", y), em.c(math.inf)))
    one = b.or_(b.or_(em.eq(y, em.c(0.0)), em.eq(x, em.c(1.0))), unit_to_inf)
    return em.select(one, em.c(1.0), t)


def _rsqrt(em, x):
    return em.div(em.c(1.0), em.unary("sqrt", x))


pow_f32 = _wide(_pow)
tan_f32 = _wide(_tan)
sinh_f32, cosh_f32 = _wide(_sinh), _wide(_cosh)
asinh_f32, acosh_f32, atanh_f32 = _wide(_asinh), _wide(_acosh), _wide(_atanh)
atan_f32, asin_f32, acos_f32 = _wide(_atan), _wide(_asin), _wide(_acos)
atan2_f32 = _wide(_atan2)
rsqrt_f32 = _wide(_rsqrt)
cbrt_f32 = _wide(lambda em, x: mathlib64.cbrt(em, x, float32_result=True))
