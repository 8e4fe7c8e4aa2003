"""Inline float64 erf and erfc (the float32 erfc rule runs this and rounds once).

* abs(x) < 1/2: erf(x) = x sum_n c_n x^2n, the odd Taylor series (14 terms,
  truncation < 1e-19 relative); erfc = 1 - erf below 1/4 (erfc >= 0.72 there).
* erfc(a) = e^(-a^2) erfcx(a) above.  e^(-a^2) takes a^2 as a double-double
  (TwoProduct) through mathlib64.exp_dd.  erfcx (the scaled complementary error
  function) is smooth: it is a degree-18 Taylor polynomial about the middle c of the
  width-1/2 piece holding a (56 pieces up to 28, where erfc has underflowed; h = a - c
  is exact; truncation < 5e-20 relative).  The coefficients come from the ODE
  erfcx' = 2 x erfcx - 2/sqrt(pi): (n + 1) a_(n+1) = 2c a_n + 2 a_(n-1), started from
  erfcx(c) (Python ``decimal``, 60 digits: the Taylor series of erf below 3, Laplace's
  continued fraction above).  The table is built once, when a kernel first uses it, and
  its rows are gathered per element.
* erf = sign (1 - erfc(a)) for a >= 1/2; erfc(x) = 2 - erfc(-x) for x <= -1/2.
Special values as SciPy: erf(+-0) = +-0, erf(+-inf) = +-1, erfc(-inf) = 2,
erfc(inf) = 0, NaN in gives NaN out.
"""
import decimal
import functools
import math

from xla_like.backends.llvm.mathlib64 import exp_dd_parts, table_load, two_prod

_SMALL = 0.5          # erf's Taylor series below, 1 - erfc above
_SMALL_ERFC = 0.25    # erfc = 1 - erf below (erfc >= 0.72 there), the table above
_WIDTH = 0.5
_PIECES = 56
_DEGREE = 18
_ERF_SMALL = [2.0 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1))
              for n in range(14)]
_CONTEXT = decimal.Context(prec=60)
_PI = decimal.Decimal("3.14159265358979323846264338327950288419716939937510582097494459")
_SQRT_PI = _CONTEXT.sqrt(_PI)


def _erfcx_series(c):
    """erfcx(c) = (1 - erf(c)) e^(c^2) for c < 3, erf from its Taylor series (100 digits
    absorb the series' cancellation)."""
    context = decimal.Context(prec=100)
    c2, term, total, n = c * c, c, decimal.Decimal(0), 0
    while abs(term) > decimal.Decimal(10) ** -95:
        piece = context.divide(term, 2 * n + 1)
        total = context.add(total, piece if n % 2 == 0 else -piece)
        n += 1
        term = context.divide(context.multiply(term, c2), n)
    erf = context.divide(2 * total, _SQRT_PI)
    return context.multiply(1 - erf, context.exp(c2))


def _erfcx_fraction(c):
    """erfcx(c) for c >= 3: 1 / (sqrt(pi) (c + (1/2)/(c + 1/(c + (3/2)/(c + ...)))))."""
    acc = c
    for k in range(400, 0, -1):
        acc = _CONTEXT.add(c, _CONTEXT.divide(decimal.Decimal(k) / 2, acc))
    return _CONTEXT.divide(1, _CONTEXT.multiply(acc, _SQRT_PI))


def _taylor_row(c):
    c = decimal.Decimal(c)
    a = [_erfcx_series(c) if c < 3 else _erfcx_fraction(c)]
    a.append(_CONTEXT.subtract(_CONTEXT.multiply(2 * c, a[0]), _CONTEXT.divide(2, _SQRT_PI)))
    for n in range(1, _DEGREE):
        a.append(_CONTEXT.divide(_CONTEXT.add(_CONTEXT.multiply(2 * c, a[n]), 2 * a[n - 1]),
                                 n + 1))
    return [float(v) for v in a]


def _center(piece):
    return _WIDTH * (piece + 0.5)


@functools.cache
def erfcx_table():
    """Row j: the Taylor coefficients of erfcx about the middle of piece j."""
    return [v for j in range(_PIECES) for v in _taylor_row(_center(j))]


def _erfc_tail(em, a):
    """erfc(a) for a >= 1/4 (a clamped to the last piece; erfc is 0 there anyway)."""
    b = em.b
    a = em.clamp(em.finite_or_zero(a), 0.0, _WIDTH * _PIECES)
    piece = em.to_int(em.unary("floor", em.mul(a, em.c(1 / _WIDTH))))
    piece = b.select(b.icmp_signed(">", piece, em.ci(_PIECES - 1)), em.ci(_PIECES - 1), piece)
    h = em.sub(a, em.fma(em.to_float(piece), em.c(_WIDTH), em.c(_WIDTH / 2)))
    row = b.mul(piece, em.ci(_DEGREE + 1))
    table = erfcx_table()
    coefficients = [table_load(em, "fl_erfcx_table", table, b.add(row, em.ci(n)))
                    for n in range(_DEGREE + 1)]
    rest = coefficients[-1]
    for coefficient in reversed(coefficients[1:-1]):
        rest = em.fma(rest, h, coefficient)
    rest = em.mul(rest, h)                       # erfcx(a) = a_0 + rest
    square, square_lo = two_prod(em, a, a)
    k, e, e_lo = exp_dd_parts(em, em.neg(square), em.neg(square_lo))
    # 2^k (e + e_lo)(a_0 + rest) with e a_0 exact (TwoProduct) and one final rounding
    main, main_lo = two_prod(em, e, coefficients[0])
    small = em.fma(e, rest, em.fma(e_lo, em.add(coefficients[0], rest), main_lo))
    return em.scale(em.add(main, small), k)


def _erf_small(em, x):
    return em.mul(x, em.poly(em.mul(x, x), _ERF_SMALL))


def erf(em, x):
    """erf(x), odd."""
    a = em.unary("fabs", x)
    large = em.copysign(em.sub(em.c(1.0), _erfc_tail(em, a)), x)
    y = em.select(em.lt(a, em.c(_SMALL)), _erf_small(em, x), large)
    return em.select(em.isnan(x), x, y)


def erfc(em, x):
    """erfc(x) = 1 - erf(x), without cancellation for large x."""
    a = em.unary("fabs", x)
    tail = _erfc_tail(em, a)
    y = em.select(em.lt(x, em.c(0.0)), em.sub(em.c(2.0), tail), tail)
    y = em.select(em.lt(a, em.c(_SMALL_ERFC)), em.sub(em.c(1.0), _erf_small(em, x)), y)
    return em.select(em.isnan(x), x, y)


def erf_erfc(em, x):
    """(erf(x), erfc(x)) sharing one erfcx evaluation (erf_inv's Newton steps use both)."""
    a = em.unary("fabs", x)
    tail = _erfc_tail(em, a)
    small = _erf_small(em, x)
    erf_value = em.select(em.lt(a, em.c(_SMALL)), small,
                          em.copysign(em.sub(em.c(1.0), tail), x))
    erfc_value = em.select(em.lt(x, em.c(0.0)), em.sub(em.c(2.0), tail), tail)
    erfc_value = em.select(em.lt(a, em.c(_SMALL_ERFC)), em.sub(em.c(1.0), small), erfc_value)
    return erf_value, erfc_value
