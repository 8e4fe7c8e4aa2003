"""Inline float64 sin, cos, tan, atan, atan2, asin, acos, sinh, cosh, asinh, acosh,
atanh, cbrt (pow is in pow64.py, erf and erfc in erf64.py), and the double-double
helpers they share: straight-line, select-based IR, so loops over them vectorize like
the exp/log of mathlib.py.  Measured errors (all <= 2 ulp) are in rules.py's table.

* sin, cos, tan: Payne-Hanek reduction for every finite x.  |x| = 2^E m; bits of 2/pi
  whose weight times x is a multiple of 4 cannot change x 2/pi mod 4, so for exponent
  bucket j = max(E - 54, 0) >> 3 a table row holds the next 212 bits of 2/pi as four
  53-bit doubles (scaled by 2^8j, with x scaled by 2^-8j, so nothing underflows).  The
  products are split exactly with FMA (TwoProduct), reduced mod 4 exactly, and summed
  as a double-double: x 2/pi = 4n + q + f with abs(f) <= 1/2.  The a-priori bound on
  f's error is ~2^-100 absolute (less than full precision only within 2^-45 of a
  multiple of pi/2); measured, even the double closest to one (6381956970095103
  2^797, 2^-61 away) reduces to full precision (test_sin_cos_reduce_huge_arguments_
  exactly).  The table row is a gather, which AVX2/AVX-512 vectorize.  Then a = f pi/2 (double-double) goes into Taylor polynomials of sin and
  cos on abs(a) <= pi/4 (truncation < 2^-60), and the quadrant q picks and signs one.
  tan = sin/cos (or -cos/sin).  abs(x) <= pi/4 skips the reduction (exact for tiny x).
* atan: fdlibm's s_atan.c scheme (Sun Microsystems, 1993), branch-free: abs(x) is
  mapped by one of t = x, (2x - 1)/(2 + x), (x - 1)/(x + 1), (x - 1.5)/(1 + 1.5x),
  -1/x (every numerator exact) onto abs(t) <= 7/16, then
  atan(x) = atan(c) - ((t P(t^2) - atan(c)_lo) - t) with atan(c) as two doubles and
  fdlibm's degree-22 odd minimax polynomial P.
* atan2 = atan(abs(y/x)) reflected to pi - . (pi as two doubles) for x with its sign
  bit set; asin(x) = atan(x / sqrt((1 - x)(1 + x))) and acos(x) =
  2 atan(sqrt((1 - x)/(1 + x))), their atan arguments carried as double-doubles
  (1 -+ x, the product, the square root and the quotient all with exact FMA
  residuals) and fed in as atan(t + t_lo) = atan(t) + t_lo / (1 + t^2).
* sinh, cosh: abs(x) < 1: Taylor polynomial of sinh (10 terms); else h = e^abs(x)/2
  (mathlib's exp, scaled by 2^(k-1) so it stays finite up to sinh's own overflow at
  710.48), sinh = h - 1/(4h), cosh = h + 1/(4h).
* asinh(a) = log1p(a + a^2/(1 + sqrt(1 + a^2))) for a <= 2, log(2a + 1/(a + sqrt(a^2 +
  1))) above, log(a) + log 2 beyond 2^28; acosh(x) = log1p(t + sqrt(2t + t^2)) with
  t = x - 1 (exact) below 2, log(2x - 1/(x + sqrt(x^2 - 1))) above, log(x) + log 2
  beyond 2^28 (each form picks its operands by select before one square root, one
  division and one mathlib.log_core, which is where the time goes); atanh(a) =
  log1p(2a + 2a^2/(1 - a))/2 below 1/2, log1p(2a/(1 - a))/2 above (1 - a exact there).
* cbrt, division-free: abs(x) = 2^(3k + r) f with f in [1, 2); a quartic fit of
  f^(-1/3) times 2^(-r/3) (relative error 8e-5), two Newton steps for m^(-1/3)
  (quadratic: ~3e-16), cbrt(m) = m m^(-2/3), then one Newton step on the exact
  residual m - y^3 (FMA), which makes the result nearly correctly rounded.  Denormals
  are scaled by 2^54 first.
"""
import math

from llvmlite import ir

from xla_like.backends.llvm import mathlib
from xla_like.backends.llvm.lltypes import F64, call_intrinsic


def _pi_fixed(bits):
    """floor(pi 2^bits), from Machin's formula pi = 16 atan(1/5) - 4 atan(1/239) in
    integer fixed point (8 guard bits)."""
    scale = 1 << (bits + 8)

    def atan_inv(n):
        total, term, k, sign = 0, scale // n, 1, 1
        while term:
            total += sign * (term // k)
            term //= n * n
            k, sign = k + 2, -sign
        return total
    return (16 * atan_inv(5) - 4 * atan_inv(239)) >> 8


_FRACTION_BITS = 1300
_TWO_OVER_PI = (1 << (2 * _FRACTION_BITS + 1)) // _pi_fixed(_FRACTION_BITS)  # 2/pi 2^1300
_BUCKET_SHIFT, _CHUNKS, _CHUNK_BITS = 3, 4, 53
_BUCKETS = ((1024 - 54) >> _BUCKET_SHIFT) + 1      # exponents up to inf's (1024)


def _reduction_table():
    """Row j: bits of 2/pi below weight 2^-8j, in four 53-bit doubles, times 2^8j."""
    rows = []
    for j in range(_BUCKETS):
        top = _FRACTION_BITS - (j << _BUCKET_SHIFT)        # bit index of weight 2^-8j
        for i in range(_CHUNKS):
            shift = top - _CHUNK_BITS * (i + 1)
            chunk = (_TWO_OVER_PI >> shift) & ((1 << _CHUNK_BITS) - 1)
            rows.append(math.ldexp(chunk, -_CHUNK_BITS * (i + 1)))
    return rows


REDUCTION_TABLE = _reduction_table()
_PIO2_HI = math.pi / 2
_PIO2_LO = 6.123233995736766e-17                  # pi/2 - _PIO2_HI
_PI_LO = 2 * _PIO2_LO

# sin(a) = a + a^3 S(a^2), cos(a) = 1 - a^2/2 + a^4 C(a^2): Taylor, abs(a) <= pi/4
_SIN_TAIL = [(-1) ** (n + 1) / math.factorial(2 * n + 3) for n in range(8)]
_COS_TAIL = [(-1) ** n / math.factorial(2 * n + 4) for n in range(8)]


# ---- helpers ---------------------------------------------------------------------------

def fma(em, a, b, c):
    """a*b + c with one rounding (``llvm.fma``: exact products need a true FMA)."""
    return call_intrinsic(em.b, "fma", F64.ty, [a, b, c])


def two_prod(em, a, b):
    """(p, e) with p = fl(a b) and a b = p + e exactly."""
    p = em.mul(a, b)
    return p, fma(em, a, b, em.neg(p))


def two_sum(em, a, b):
    """(s, e) with s = fl(a + b) and a + b = s + e exactly (Knuth)."""
    s = em.add(a, b)
    bb = em.sub(s, a)
    return s, em.add(em.sub(a, em.sub(s, bb)), em.sub(b, bb))


def _mod4(em, t):
    """t - 4 round(t/4), exact."""
    return fma(em, em.c(-4.0), em.unary("roundeven", em.mul(t, em.c(0.25))), t)


def table_load(em, name, values, index):
    """values[index] from a private constant array in the module (a gather in vector code)."""
    module = em.b.module
    table = module.globals.get(name)
    if table is None:
        ty = ir.ArrayType(F64.ty, len(values))
        table = ir.GlobalVariable(module, ty, name)
        table.initializer = ir.Constant(ty, [float(v) for v in values])
        table.global_constant = True
        table.linkage = "private"
    zero = ir.Constant(ir.IntType(64), 0)
    pointer = em.b.gep(table, [zero, index], inbounds=True, source_etype=table.value_type)
    return em.b.load(pointer, typ=F64.ty)


def exponent_of(em, x):
    """The unbiased exponent field of x as i64 (-1023 for zeros and denormals)."""
    bits = em.b.bitcast(x, F64.ity)
    field = em.b.and_(em.b.lshr(bits, em.ci(52)), em.ci(0x7FF))
    return em.b.sub(field, em.ci(1023))


def exp_dd_parts(em, hi, lo):
    """(k, e, e_lo) with exp(hi + lo) = 2^k (e + e_lo), for lo below an ulp of hi:
    mathlib's exp reduction with lo added to the reduced argument."""
    k, r = mathlib.reduce_ln2(em, hi, em.k.exp_range)
    p = mathlib.expm1_poly(em, em.add(r, lo))
    e = em.add(em.c(1.0), p)
    return k, e, em.add(em.sub(em.c(1.0), e), p)          # 1 >= abs(p): exact error


def exp_dd(em, hi, lo):
    """exp(hi + lo) (so e^(y log x) keeps the low part of y log x)."""
    k, e, _ = exp_dd_parts(em, hi, lo)
    return em.scale(e, k)


# ---- sin, cos, tan -----------------------------------------------------------------------

def _quarter_turns(em, ax):
    """(hi, lo): ax 2/pi mod 4 as a double-double (ax >= 0, finite)."""
    b = em.b
    e = exponent_of(em, ax)
    over = b.sub(e, em.ci(54))
    j = b.ashr(b.select(b.icmp_signed(">", over, em.ci(0)), over, em.ci(0)), em.ci(_BUCKET_SHIFT))
    xs = em.mul(ax, em.pow2i(b.neg(b.shl(j, em.ci(_BUCKET_SHIFT)))))
    row = b.mul(j, em.ci(_CHUNKS))
    products = [two_prod(em, xs, table_load(em, "fl_two_over_pi", REDUCTION_TABLE,
                                            b.add(row, em.ci(i)))) for i in range(_CHUNKS)]
    (p0, e0), (p1, e1), (p2, e2), (p3, _) = products
    hi, lo = _mod4(em, p0), em.c(0.0)
    for term in (_mod4(em, p1), _mod4(em, e0)):
        hi, err = two_sum(em, hi, term)
        lo = em.add(lo, err)
        hi = _mod4(em, hi)
    for term in (p2, e1):            # below 2^-40: hi stays within [-2, 2] + a hair
        hi, err = two_sum(em, hi, term)
        lo = em.add(lo, err)
    return hi, em.add(lo, em.add(p3, e2))


def reduce_pio2(em, x):
    """(quadrant i64 in 0..3, a_hi, a_lo): x = (4n + quadrant) pi/2 + a_hi + a_lo."""
    b = em.b
    ax = em.unary("fabs", x)
    hi, lo = _quarter_turns(em, em.finite_or_zero(em.select(em.eq(ax, em.c(math.inf)),
                                                            em.c(0.0), ax)))
    q = em.unary("roundeven", hi)
    f, f_lo = two_sum(em, em.sub(hi, q), lo)
    a_hi, a_err = two_prod(em, f, em.c(_PIO2_HI))
    a_lo = em.add(a_err, fma(em, f, em.c(_PIO2_LO), em.mul(f_lo, em.c(_PIO2_HI))))
    negative = b.fcmp_ordered("<", x, em.c(0.0))
    a_hi = em.select(negative, em.neg(a_hi), a_hi)
    a_lo = em.select(negative, em.neg(a_lo), a_lo)
    quadrant = b.and_(em.to_int(q), em.ci(3))
    quadrant = b.select(negative, b.and_(b.neg(quadrant), em.ci(3)), quadrant)
    small = em.lt(ax, em.c(math.pi / 4))
    return (b.select(small, em.ci(0), quadrant), em.select(small, x, a_hi),
            em.select(small, em.c(0.0), a_lo))


def sin_cos_kernel(em, a, a_lo):
    """((sin, its low part), (cos, its low part)) of a + a_lo for abs(a) <= ~pi/4, with
    a_lo below half an ulp of a."""
    z, z_lo = two_prod(em, a, a)
    v = em.mul(a, z)
    sin_tail = fma(em, v, em.poly(z, _SIN_TAIL), em.mul(a_lo, fma(em, z, em.c(-0.5), em.c(1.0))))
    hz = em.mul(z, em.c(0.5))
    w = em.sub(em.c(1.0), hz)
    # cos = w + ((1 - w) - hz) - z_lo/2 + z^2 C(z) - a a_lo; (1 - w) - hz is w's rounding error
    correction = em.sub(em.sub(em.c(1.0), w), hz)
    small = em.sub(em.mul(em.mul(z, z), em.poly(z, _COS_TAIL)),
                   fma(em, a, a_lo, em.mul(z_lo, em.c(0.5))))
    return two_sum(em, a, sin_tail), two_sum(em, w, em.add(correction, small))


def _bit(em, quadrant, offset, mask):
    shifted = em.b.add(quadrant, em.ci(offset))
    return em.b.icmp_unsigned("!=", em.b.and_(shifted, em.ci(mask)), em.ci(0))


def _sin_or_cos(em, x, offset):
    quadrant, a, a_lo = reduce_pio2(em, x)
    (sin_a, _), (cos_a, _) = sin_cos_kernel(em, a, a_lo)
    value = em.select(_bit(em, quadrant, offset, 1), cos_a, sin_a)
    value = em.select(_bit(em, quadrant, offset, 2), em.neg(value), value)
    return _nan_unless_finite(em, x, value)


def _nan_unless_finite(em, x, value):
    """value, or NaN (x - x) where x is infinite or NaN."""
    return em.select(em.lt(em.unary("fabs", x), em.c(math.inf)), value, em.sub(x, x))


def sin(em, x):
    """sin(x); sin(-0) = -0, sin(+-inf) = NaN."""
    return em.select(em.eq(x, em.c(0.0)), x, _sin_or_cos(em, x, 0))


def cos(em, x):
    """cos(x); cos(+-inf) = NaN."""
    return _sin_or_cos(em, x, 1)


def _divide(em, num, num_lo, den, den_lo):
    """(num + num_lo) / (den + den_lo): num/den from one reciprocal, plus one correction
    step on the exact residual (FMA)."""
    inverse = em.div(em.c(1.0), den)
    t = em.mul(num, inverse)
    residual = em.sub(em.add(fma(em, em.neg(t), den, num), num_lo), em.mul(t, den_lo))
    return fma(em, residual, inverse, t)


def tan(em, x):
    """tan(x) = sin/cos or -cos/sin by the quadrant's parity; tan(-0) = -0."""
    quadrant, a, a_lo = reduce_pio2(em, x)
    (sin_a, sin_lo), (cos_a, cos_lo) = sin_cos_kernel(em, a, a_lo)
    odd = _bit(em, quadrant, 0, 1)
    num, num_lo = em.select(odd, cos_a, sin_a), em.select(odd, cos_lo, sin_lo)
    den, den_lo = em.select(odd, sin_a, cos_a), em.select(odd, sin_lo, cos_lo)
    value = _divide(em, num, num_lo, den, den_lo)
    value = em.select(odd, em.neg(value), value)
    return em.select(em.eq(x, em.c(0.0)), x, _nan_unless_finite(em, x, value))


# ---- atan, atan2, asin, acos ---------------------------------------------------------------

# fdlibm s_atan.c: atan(c) for c = 1/2, 1, 3/2, inf as high and low doubles, and the odd
# minimax polynomial atan(t) = t - t z P(z), z = t^2, on abs(t) <= 7/16.
_ATAN_HI = (4.63647609000806093515e-01, 7.85398163397448278999e-01,
            9.82793723247329054082e-01, 1.57079632679489655800e+00)
_ATAN_LO = (2.26987774529616870924e-17, 3.06161699786838301793e-17,
            1.39033110312309984516e-17, 6.12323399573676603587e-17)
_ATAN_POLY = (3.33333333333329318027e-01, -1.99999999998764832476e-01,
              1.42857142725034663711e-01, -1.11111104054623557880e-01,
              9.09088713343650656196e-02, -7.69187620504482999495e-02,
              6.66107313738753120669e-02, -5.83357013379057348645e-02,
              4.97687799461593236017e-02, -3.65315727442169155270e-02,
              1.62858201153657823623e-02)
# interval lower bounds and t = (a A - B) / (a D + C) on each: (bound, A, B, C, D, index)
_ATAN_PIECES = ((7 / 16, 2.0, 1.0, 2.0, 1.0, 0), (11 / 16, 1.0, 1.0, 1.0, 1.0, 1),
                (19 / 16, 1.0, 1.5, 1.0, 1.5, 2), (39 / 16, 0.0, 1.0, 0.0, 1.0, 3))


def atan_abs(em, a, a_lo=None):
    """atan(a + a_lo) for a >= 0 (inf gives pi/2 rounded, NaN stays NaN)."""
    coefficients = [em.c(v) for v in (1.0, 0.0, 1.0, 0.0, 0.0, 0.0)]    # t = a, atan(c) = 0
    for bound, *values, index in _ATAN_PIECES:
        inside = em.b.fcmp_ordered(">=", a, em.c(bound))
        values += [_ATAN_HI[index], _ATAN_LO[index]]
        coefficients = [em.select(inside, em.c(v), old) for v, old in zip(values, coefficients)]
    mul_a, minus, plus, mul_d, base_hi, base_lo = coefficients
    a = em.clamp(a, 0.0, 2.0 ** 66)      # atan rounds to pi/2 beyond; keeps inf * 0 out
    if a_lo is not None:                 # atan(a + a_lo) = atan(a) + a_lo / (1 + a^2)
        slope_term = em.div(a_lo, fma(em, a, a, em.c(1.0)))
        base_lo = em.add(base_lo, em.select(em.lt(a, em.c(2.0 ** 66)), slope_term, em.c(0.0)))
    t = em.div(fma(em, a, mul_a, em.neg(minus)), fma(em, a, mul_d, plus))
    z = em.mul(t, t)
    tail = em.mul(em.mul(t, z), em.poly(z, _ATAN_POLY))
    return em.sub(base_hi, em.sub(em.sub(tail, base_lo), t))


def atan(em, x):
    """atan(x), odd."""
    return em.copysign(atan_abs(em, em.unary("fabs", x)), x)


def atan2(em, y, x):
    """atan2(y, x) with C99's special values (as NumPy)."""
    b = em.b
    ay, ax = em.unary("fabs", y), em.unary("fabs", x)
    a = atan_abs(em, em.div(ay, ax))
    a = em.select(em.eq(ay, em.c(0.0)), em.c(0.0), a)                     # 0/0, 0/x
    both_inf = b.and_(em.eq(ay, em.c(math.inf)), em.eq(ax, em.c(math.inf)))
    a = em.select(both_inf, em.c(math.pi / 4), a)
    negative_x = b.icmp_signed("<", b.bitcast(x, F64.ity), em.ci(0))
    a = em.select(negative_x, em.sub(em.c(math.pi), em.sub(a, em.c(_PI_LO))), a)
    a = em.select(b.or_(em.isnan(x), em.isnan(y)), em.add(x, y), a)
    return em.copysign(a, y)


def _one_minus_plus(em, a):
    """((1 - a), its low part), ((1 + a), its low part)."""
    return two_sum(em, em.c(1.0), em.neg(a)), two_sum(em, em.c(1.0), a)


def _sqrt_dd(em, v, v_lo):
    """sqrt(v + v_lo) as (root, low part, 1/root)."""
    root = em.unary("sqrt", v)
    inverse = em.div(em.c(1.0), root)
    residual = em.add(fma(em, em.neg(root), root, v), v_lo)
    low = em.mul(residual, em.mul(em.c(0.5), inverse))
    return root, em.select(em.eq(root, em.c(0.0)), em.c(0.0), low), inverse


def asin(em, x):
    """asin(x) = atan(x / sqrt((1 - x)(1 + x))), the quotient carried as a double-double
    (its rounding error recovered exactly with FMA); NaN outside [-1, 1]."""
    a = em.unary("fabs", x)
    (w, w_lo), (u, u_lo) = _one_minus_plus(em, a)
    d, d_lo = two_prod(em, w, u)
    root, root_lo, inverse = _sqrt_dd(em, d, em.add(d_lo, fma(em, w, u_lo, em.mul(w_lo, u))))
    t = em.div(a, root)
    t_lo = em.mul(em.sub(fma(em, em.neg(t), root, a), em.mul(t, root_lo)), inverse)
    return em.copysign(atan_abs(em, t, t_lo), x)


def acos(em, x):
    """acos(x) = 2 atan(sqrt((1 - x) / (1 + x))), the root carried as a double-double;
    NaN outside [-1, 1]."""
    (w, w_lo), (u, u_lo) = _one_minus_plus(em, x)
    q = em.div(w, u)
    q_lo = em.div(em.sub(em.add(fma(em, em.neg(q), u, w), w_lo), em.mul(q, u_lo)), u)
    root, root_lo, _ = _sqrt_dd(em, q, q_lo)
    return em.mul(em.c(2.0), atan_abs(em, root, root_lo))


# ---- sinh, cosh, asinh, acosh, atanh -----------------------------------------------------------

_SINH_TAIL = [1.0 / math.factorial(2 * n + 3) for n in range(9)]     # a^3/3! ... a^19/19!
_LN2 = math.log(2.0)


def _half_exp(em, a):
    """e^a / 2 for a >= 0, finite up to 710.47 (where e^a itself overflows)."""
    k, r = mathlib.reduce_ln2(em, a, (0.0, 711.0))
    p = em.add(em.c(1.0), mathlib.expm1_poly(em, r))
    return em.scale(p, em.b.sub(k, em.ci(1)))


def sinh(em, x):
    """sinh(x): a Taylor polynomial below 1, e^a/2 - 1/(4 (e^a/2)) above; odd."""
    a = em.unary("fabs", x)
    small = fma(em, em.mul(a, em.mul(a, a)), em.poly(em.mul(a, a), _SINH_TAIL), a)
    h = _half_exp(em, a)
    large = em.sub(h, em.div(em.c(0.25), h))
    y = em.copysign(em.select(em.lt(a, em.c(1.0)), small, large), x)
    return em.select(em.isnan(x), x, y)


def cosh(em, x):
    """cosh(x) = e^a/2 + 1/(4 (e^a/2))."""
    h = _half_exp(em, em.unary("fabs", x))
    return em.select(em.isnan(x), x, em.add(h, em.div(em.c(0.25), h)))


def _log_or_log1p(em, far, v, u, huge):
    """log(v) where ``far`` (plus log 2 where ``huge``), else log1p(u): one log core.
    log1p(u) = log(1 + u) + (u - ((1 + u) - 1)) / (1 + u), as mathlib.log1p."""
    one_plus = em.add(em.c(1.0), u)
    correction = em.div(em.sub(u, em.sub(one_plus, em.c(1.0))), one_plus)
    y = mathlib.log_core(em, em.select(far, v, one_plus),
                         em.select(far, em.c(0.0), correction))
    return em.add(y, em.select(huge, em.c(_LN2), em.c(0.0)))


def asinh(em, x):
    """asinh(x), odd: one square root, one quotient and one log core for both forms."""
    a = em.unary("fabs", x)
    a2 = em.mul(a, a)
    root = em.unary("sqrt", em.add(em.c(1.0), a2))
    far, huge = em.gt(a, em.c(2.0)), em.gt(a, em.c(2.0 ** 28))
    # near: a^2 / (1 + root); far: 1 / (root + a)
    quotient = em.div(em.select(far, em.c(1.0), a2), em.add(root, em.select(far, a, em.c(1.0))))
    v = em.select(huge, a, em.add(em.add(a, a), quotient))
    y = _log_or_log1p(em, far, v, em.add(a, quotient), huge)
    y = em.select(em.eq(a, em.c(math.inf)), a, y)
    return em.select(em.isnan(x), x, em.copysign(y, x))


def acosh(em, x):
    """acosh(x); NaN below 1: one square root, one quotient and one log core."""
    t = em.sub(x, em.c(1.0))
    far, huge = em.gt(x, em.c(2.0)), em.gt(x, em.c(2.0 ** 28))
    # sqrt(x^2 - 1), as sqrt(2t + t^2) near 1 (t exact)
    root = em.unary("sqrt", em.select(far, fma(em, x, x, em.c(-1.0)), fma(em, t, t, em.add(t, t))))
    v = em.select(huge, x, em.sub(em.add(x, x), em.div(em.c(1.0), em.add(x, root))))
    y = _log_or_log1p(em, far, v, em.add(t, root), huge)
    y = em.select(em.eq(x, em.c(math.inf)), x, y)
    y = em.select(em.lt(x, em.c(1.0)), em.c(math.nan), y)
    return em.select(em.isnan(x), x, y)


def atanh(em, x):
    """atanh(x) = log1p(2a/(1 - a))/2, with 2a/(1 - a) = 2a + 2a^2/(1 - a) below 1/2."""
    a = em.unary("fabs", x)
    twice = em.add(a, a)
    below = em.lt(a, em.c(0.5))
    quotient = em.div(em.select(below, a, twice), em.sub(em.c(1.0), a))
    argument = em.select(below, fma(em, twice, quotient, twice), quotient)
    return em.copysign(em.mul(em.c(0.5), mathlib.log1p(em, argument)), x)


# ---- cbrt --------------------------------------------------------------------------------

# least-squares quartic for f^(-1/3) on [1, 2] (max relative error 8e-5), and 2^(-r/3)
_INVERSE_CBRT_GUESS = [1.6657572, -1.16231727, 0.68595072, -0.21754418, 0.02807407]
_INVERSE_CBRT_2, _INVERSE_CBRT_4 = 2.0 ** (-1 / 3), 4.0 ** (-1 / 3)


def _inverse_cbrt_guess(em, scaled, r):
    """m^(-1/3) to ~8e-5 for m = 2^r f, r in 0..2, f in [1, 2) the mantissa of scaled."""
    b = em.b
    bits = b.or_(b.and_(b.bitcast(scaled, F64.ity), em.ci((1 << 52) - 1)), em.ci(1023 << 52))
    guess = em.poly(b.bitcast(bits, F64.ty), _INVERSE_CBRT_GUESS)
    factor = em.select(b.icmp_signed("==", r, em.ci(0)), em.c(1.0),
                       em.select(b.icmp_signed("==", r, em.ci(1)), em.c(_INVERSE_CBRT_2),
                                 em.c(_INVERSE_CBRT_4)))
    return em.mul(guess, factor)


def cbrt(em, x, float32_result=False):
    """Cube root, division-free: a = 2^3k m with m in [1, 8); two Newton steps for
    m^(-1/3) (r <- r (4 - m r^3)/3, from a quartic guess) give cbrt(m) = m r^2, then one
    Newton step on the exact residual m - y^3 (FMA) rounds it nearly correctly, and 2^k.
    ``float32_result`` skips the residual step (relative error ~1e-15 is plenty there).
    Odd; keeps +-0, +-inf, NaN."""
    b = em.b
    a = em.unary("fabs", x)
    tiny = em.lt(a, em.c(F64.min_normal))
    scaled = em.select(tiny, em.mul(a, em.c(2.0 ** 54)), a)
    exponent = b.sub(exponent_of(em, scaled), b.select(tiny, em.ci(54), em.ci(0)))
    # floor(e/3): (e + 1/2)/3 is at least 1/6 away from an integer, so 1/3's rounding is harmless
    third = em.mul(em.add(em.to_float(exponent), em.c(0.5)), em.c(1 / 3))
    k = em.to_int(em.unary("floor", third))
    m = em.scale(a, b.mul(k, em.ci(-3)))
    inverse = _inverse_cbrt_guess(em, scaled, b.sub(exponent, b.mul(k, em.ci(3))))
    for _ in range(2):
        cube = em.mul(em.mul(inverse, inverse), inverse)
        inverse = em.mul(em.mul(inverse, fma(em, em.neg(m), cube, em.c(4.0))), em.c(1 / 3))
    inverse_square = em.mul(inverse, inverse)
    y = em.mul(m, inverse_square)
    if not float32_result:
        square, square_lo = two_prod(em, y, y)
        residual = em.sub(fma(em, em.neg(square), y, m), em.mul(square_lo, y))
        y = fma(em, residual, em.mul(inverse_square, em.c(1 / 3)), y)
    y = em.copysign(em.mul(y, em.pow2i(k)), x)
    special = b.or_(em.eq(a, em.c(0.0)), b.fcmp_unordered("==", a, em.c(math.inf)))
    return em.select(special, x, y)
