"""Inline float64 pow(x, y) = +-exp(y log abs(x)), with log in double-double.

An error e in y log x becomes a relative error e in the result, and abs(y log x) reaches
745 before the result under- or overflows, so log x is carried to ~2^-100 relative:

* abs(x) = 2^k m with m in [sqrt(1/2), sqrt(2)) (denormals scaled by 2^53 first);
  the top 7 bits of m pick c from a 128-entry table (a gather in vector code) with
  1/c rounded to a double and log c = -log(1/c) as two doubles (computed with Python's
  ``decimal`` at import).  r = m/c - 1, abs(r) < 2^-7.5, is formed exactly as a
  double-double (TwoProduct m * (1/c), then - 1, exact by Sterbenz).
* log1p(r) = r - r^2/2 + r^3 T(r), Taylor to r^9 (truncation < 2^-70 relative), r^2/2
  exact; log x = k log2 + log c + log1p(r) summed with TwoSum into (hi, lo).
* y (hi + lo) = ph + pl (TwoProduct), then mathlib64.exp_dd(ph, pl).

y = 1, 2 and -1 give x, x*x and 1/x exactly.  Special values are C99's (and NumPy's): pow(x, +-0) = pow(1, y) = 1 even for NaN,
pow(-1, +-inf) = 1, NaN for finite x < 0 and non-integral y, odd integral y keeps the
sign of x (including -0 and -inf), zeros and infinities give 0 or inf.
"""
import decimal
import math

import numpy as np

from xla_like.backends.llvm import mathlib
from xla_like.backends.llvm.lltypes import F64
from xla_like.backends.llvm.mathlib64 import exp_dd, fma, table_load, two_prod, two_sum

_INDEX_BITS = 7
_SQRT_HALF_BITS = int(np.array(math.sqrt(0.5)).view(np.uint64))
_MANTISSA_MASK = (1 << 52) - 1
_LOG_TAIL = [(-1) ** n / (n + 3) for n in range(7)]                 # r^3/3 - r^4/4 ... r^9/9
_LN2_HI, _LN2_LO = mathlib.CONSTANTS[F64].ln2_hi, mathlib.CONSTANTS[F64].ln2_lo


def _from_bits(bits):
    return float(np.array(bits, np.uint64).view(np.float64))


def _log_table():
    """Rows (1/c, log c high, log c low), c the middle of each of the 2^7 intervals."""
    context = decimal.Context(prec=60)
    rows = []
    for i in range(1 << _INDEX_BITS):
        start = _from_bits(_SQRT_HALF_BITS + (i << (52 - _INDEX_BITS)))
        end = _from_bits(_SQRT_HALF_BITS + ((i + 1) << (52 - _INDEX_BITS)))
        inverse = 2.0 / (start + end)
        log_c = -context.ln(decimal.Decimal(inverse))
        high = float(log_c)
        rows += [inverse, high, float(context.subtract(log_c, decimal.Decimal(high)))]
    return rows


LOG_TABLE = _log_table()


def log_dd(em, ax):
    """log(ax) as (hi, lo) for finite ax > 0 (the caller handles 0, inf and NaN)."""
    b = em.b
    tiny = em.lt(ax, em.c(F64.min_normal))
    xs = em.select(tiny, em.mul(ax, em.c(2.0 ** 53)), ax)
    ix = b.add(b.bitcast(xs, F64.ity), em.ci((1023 << 52) - _SQRT_HALF_BITS))
    k = b.sub(b.ashr(ix, em.ci(52)), b.select(tiny, em.ci(1023 + 53), em.ci(1023)))
    mantissa = b.and_(ix, em.ci(_MANTISSA_MASK))
    m = b.bitcast(b.add(mantissa, em.ci(_SQRT_HALF_BITS)), F64.ty)
    row = b.mul(b.lshr(mantissa, em.ci(52 - _INDEX_BITS)), em.ci(3))
    inverse, log_c_hi, log_c_lo = [table_load(em, "fl_log_table", LOG_TABLE, b.add(row, em.ci(i)))
                                   for i in range(3)]
    product, product_lo = two_prod(em, m, inverse)
    r, r_lo = two_sum(em, em.sub(product, em.c(1.0)), product_lo)
    half_square, half_square_lo = two_prod(em, r, em.mul(em.c(0.5), r))
    kf = em.to_float(k)
    s1, e1 = two_sum(em, em.mul(kf, em.c(_LN2_HI)), log_c_hi)       # k LN2_HI is exact
    s2, e2 = two_sum(em, s1, r)
    s3, e3 = two_sum(em, s2, em.neg(half_square))
    tail = em.mul(em.mul(r, em.mul(r, r)), em.poly(r, _LOG_TAIL))
    lo = em.add(em.add(e1, e2), em.add(e3, fma(em, kf, em.c(_LN2_LO), log_c_lo)))
    lo = em.add(lo, em.sub(em.sub(tail, half_square_lo), fma(em, r, r_lo, em.neg(r_lo))))
    return two_sum(em, s3, lo)


def _is_integral(em, v):
    return em.eq(em.unary("floor", v), v)


def pow(em, x, y):
    """x ** y for float64 x, y."""
    b = em.b
    ax = em.unary("fabs", x)
    hi, lo = log_dd(em, ax)
    regular = b.and_(em.gt(ax, em.c(0.0)), em.lt(ax, em.c(math.inf)))
    hi = em.select(regular, hi, em.select(em.eq(ax, em.c(0.0)), em.c(-math.inf), ax))
    ph, ph_err = two_prod(em, y, hi)
    pl = fma(em, y, lo, ph_err)
    # beyond +-1000 the result is 0 or inf whatever pl is (and pl may be huge or NaN)
    pl = em.select(em.lt(em.unary("fabs", ph), em.c(1000.0)), pl, em.c(0.0))
    t = exp_dd(em, ph, pl)
    odd = b.and_(_is_integral(em, y), b.not_(_is_integral(em, em.mul(y, em.c(0.5)))))
    negative_x = b.icmp_signed("<", b.bitcast(x, F64.ity), em.ci(0))
    t = em.select(b.and_(negative_x, odd), em.neg(t), t)
    finite_negative = b.and_(em.lt(x, em.c(0.0)), em.gt(x, em.c(-math.inf)))
    t = em.select(b.and_(finite_negative, b.not_(_is_integral(em, y))), em.c(math.nan), t)
    t = em.select(b.or_(em.isnan(x), em.isnan(y)), em.add(x, y), t)
    # y = 1, 2, -1 exactly as x, x*x, 1/x (correctly rounded, like a libm pow there)
    t = em.select(em.eq(y, em.c(1.0)), x, t)
    t = em.select(em.eq(y, em.c(2.0)), em.mul(x, x), t)
    t = em.select(em.eq(y, em.c(-1.0)), em.div(em.c(1.0), x), t)
    unit_to_inf = b.and_(em.eq(ax, em.c(1.0)), em.eq(em.unary("fabs", y), em.c(math.inf)))
    one = b.or_(b.or_(em.eq(y, em.c(0.0)), em.eq(x, em.c(1.0))), unit_to_inf)
    return em.select(one, em.c(1.0), t)
