"""Per-element LLVM lowering of the elementwise primitives: one table, ``LOWERINGS``.

A rule is ``rule(site, *args) -> ir.Value``: ``args`` are the operands' register
values (see lltypes.py: bool is ``i1``), ``site`` carries the builder, the operand and
result dtypes and the equation's params.  Semantics follow each primitive's NumPy
``impl`` exactly (integer division by zero gives 0, float->int conversion saturates
and sends NaN to 0, max/min propagate NaN...).

Where the code comes from:
* inline IR: arithmetic, comparisons, select_n, clamp, conversions, integer_pow,
  sign, abs, floor/ceil/round/sqrt (single instructions); exp, exp2, log, log1p,
  expm1, tanh, logistic (mathlib.py, float32 and float64); float32 sin, cos, erf
  (widemath.py) and pow, tan, atan, asin, acos, atan2, sinh, cosh, asinh, acosh,
  atanh, cbrt, rsqrt (widemath32.py), all computed in float64 and rounded once; float64 sin,
  cos, tan, atan, atan2, asin, acos, sinh, cosh, asinh, acosh, atanh, cbrt
  (mathlib64.py), pow (pow64.py), erf, erfc (erf64.py), lgamma (gamma64.py), and
  float32 erfc and lgamma through those, rounded once.  All branch-free: these
  loops vectorize (sin, cos, tan, pow, erf and erfc gather table rows, which needs
  AVX2 or AVX-512).
  Special values follow C99 and NumPy (lgamma(-inf) = -inf, as SciPy's gammaln).
  nextafter steps the bits (both widths).
* libm, called per element (the loop then does not vectorize): ``frem`` (fmod) for
  float rem.
* specialmath.py: digamma (inline, both widths) and erf_inv (inline, both widths; the
  float64 Newton steps use erf64's erf and erfc).
* not supported: threefry2x32 (two results; the standalone kernels lower it).

Measured maximum error (``pytest tests/test_llvm_math.py -m slow -s``: 1M points per
function -- a dense grid over the range below, random bit patterns over all floats,
+-[tiny, 1e-3] and special values -- plus every 97th float32 bit pattern for exp
... erf, cbrt and lgamma).  float32 against the exact value (float64 NumPy/SciPy; mpmath for erfc
and digamma), in float32 ulps; every float32 maximum keeps the relative error of
normal results <= 5e-7.  float64 "exact": against long double NumPy (11 more bits) or
mpmath (erf, erfc: every 8th point), in float64 ulps (test_float64_accuracy_against_
exact*); float64 "NumPy": against NumPy/SciPy float64 (two libraries' errors combined;
NumPy uses AVX-512 SVML code with up to 4 ulp of its own for some functions).

    function  grid        f32 ulp  f64 ulp           function  grid       f32 ulp  f64 ulp
    exp       -110..90    0.97     1 NumPy           sqrt      0..100     0.50     0
    exp2      -155..130   0.99     1 NumPy           rsqrt     0..100     0.50     0
    expm1     -20..90     1.41     2 NumPy           tan       -10..10    0.50     0.87 exact
    log       0..100      0.79     1 NumPy           asin      -1..1      0.50     0.85 exact
    log1p     -1..10      0.80     1 NumPy           acos      -1..1      0.50     0.84 exact
    tanh      -12..12     2.21     3 NumPy           atan      -50..50    0.50     0.80 exact
    logistic  -110..110   2.19     2 NumPy           sinh      -90..90    0.50     1.47 exact
    sin       -20..20     0.50     0.72 exact        cosh      -90..90    0.50     1.38 exact
    cos       -20..20     0.50     0.72 exact        asinh     -50..50    0.50     1.54 exact
    erf       -6..6       0.50     1.56 exact        acosh     1..50      0.50     1.78 exact
    erfc      -6..28      0.50     1.69 exact        atanh     -1..1      0.50     1.50 exact
    cbrt      -50..50     0.50     0.50 exact        lgamma    -20..30    0.50     1e-13 abs
    erf_inv   -1..1       0.50     1.95 exact        digamma   -10..30    0.50     1e-13 abs
    pow, atan2 (20k random pairs + special pairs, + 5000 pow pairs with abs(y log x) up
    to 700): 0.50 float32; float64 1.10 (pow), 1.40 (atan2) exact
("1e-13 abs": abs(error) <= 1e-13 max(1, abs(value)); ulps mean nothing next to the
zeros of lgamma and digamma.  lgamma float64 measures 6e-15 abs against mpmath, and
4.4 ulp relative on [0.5, 2.5] around its zeros at 1 and 2.  digamma float64 is within 1 ulp of mpmath next to its
poles, where SciPy's psi is off by thousands of ulps.  sin, cos and tan keep these
bounds for huge arguments too: test_sin_cos_reduce_huge_arguments_exactly.)
"""
from typing import NamedTuple

import numpy as np
from llvmlite import ir

from xla_like import primitives as P
from xla_like.backends.llvm import (erf64, gamma64, mathlib, mathlib64, pow64, specialmath,
                                    widemath, widemath32)
from xla_like.backends.llvm.lltypes import call_intrinsic, float_format, register_type


class Site(NamedTuple):
    """Where a rule runs: builder, operand dtypes, result dtype, equation params."""
    b: ir.IRBuilder
    in_dtypes: tuple
    out_dtype: np.dtype
    params: dict


LOWERINGS = {}
# prim -> the operand dtype kinds its rule handles (absent: every supported dtype)
LOWERING_KINDS = {}


def _kind(dtype):
    """'f' float, 'i' signed, 'u' unsigned, 'b' bool."""
    return np.dtype(dtype).kind


def lower(prim, site, args):
    """Apply ``prim``'s rule, or raise a NotImplementedError naming it."""
    rule = LOWERINGS.get(prim)
    if rule is None:
        raise NotImplementedError(f"LLVM backend: no lowering for primitive '{prim.name}'")
    return rule(site, *args)


def by_kind(prim, **impls):
    """Register ``prim`` with one ``impl(builder, *args)`` per operand kind (f/i/u/b)."""
    def rule(site, *args):
        kind = _kind(site.in_dtypes[0])
        if kind not in impls:
            raise NotImplementedError(f"LLVM backend: primitive '{prim.name}' has no lowering "
                                      f"for dtype {site.in_dtypes[0]}")
        return impls[kind](site.b, *args)
    LOWERINGS[prim] = rule
    LOWERING_KINDS[prim] = frozenset(impls)


def _intrinsic(name):
    def impl(b, *args):
        return call_intrinsic(b, name, args[0].type, list(args))
    return impl


def _emitted(fn):
    """A mathlib function ``fn(emitter, x)`` as a float impl."""
    def impl(b, x):
        fmt = float_format(np.float32 if x.type == ir.FloatType() else np.float64)
        return fn(mathlib.Emitter(b, fmt), x)
    return impl


def _inline64(fn):
    """A mathlib64 function ``fn(emitter, *xs)`` as a float64 impl."""
    def impl(b, *args):
        return fn(mathlib.Emitter(b, float_format(np.float64)), *args)
    return impl


def _widened(f64_impl):
    """A float32 impl that runs ``f64_impl`` on the widened arguments, rounding once."""
    def impl(b, *args):
        wide = [b.fpext(a, ir.DoubleType()) for a in args]
        return b.fptrunc(f64_impl(b, *wide), args[0].type)
    return impl


def _per_width(f32_impl, f64_impl):
    def impl(b, *args):
        return (f32_impl if args[0].type == ir.FloatType() else f64_impl)(b, *args)
    return impl


def _const_like(value, like):
    return ir.Constant(like.type, value)


# ---- arithmetic ----------------------------------------------------------------------

def _int_div_or_rem(signed, divide):
    """x / y (toward zero) or fmod(x, y); 0 when y == 0 and no trap on MIN / -1."""
    def impl(b, x, y):
        zero, one = _const_like(0, x), _const_like(1, x)
        y_zero = b.icmp_unsigned("==", y, zero)
        bad = y_zero
        if signed:
            y_minus_one = b.icmp_signed("==", y, _const_like(-1, x))
            bad = b.or_(y_zero, y_minus_one)
        safe = b.select(bad, one, y)
        op = (b.sdiv if signed else b.udiv) if divide else (b.srem if signed else b.urem)
        out = op(x, safe)
        if signed:      # x / -1 = -x (wrapping), x % -1 = 0
            out = b.select(y_minus_one, b.neg(x) if divide else zero, out)
        return b.select(y_zero, zero, out)
    return impl


def _fmax(b, x, y):
    """np.maximum: NaN if either is NaN."""
    pick = b.select(b.fcmp_ordered(">=", x, y), x, y)
    return b.select(b.fcmp_unordered("uno", x, x), x, pick)


def _fmin(b, x, y):
    pick = b.select(b.fcmp_ordered("<=", x, y), x, y)
    return b.select(b.fcmp_unordered("uno", x, x), x, pick)


def _int_extreme(cmp, op):
    def impl(b, x, y):
        return b.select(cmp(b)(op, x, y), x, y)
    return impl


def _signed(b):
    return b.icmp_signed


def _unsigned(b):
    return b.icmp_unsigned


_MAX = dict(f=_fmax, i=_int_extreme(_signed, ">="), u=_int_extreme(_unsigned, ">="),
            b=_int_extreme(_unsigned, ">="))
_MIN = dict(f=_fmin, i=_int_extreme(_signed, "<="), u=_int_extreme(_unsigned, "<="),
            b=_int_extreme(_unsigned, "<="))

_INT = ("i", "u")
by_kind(P.add_p, f=lambda b, x, y: b.fadd(x, y), **dict.fromkeys(_INT, lambda b, x, y: b.add(x, y)))
by_kind(P.sub_p, f=lambda b, x, y: b.fsub(x, y), **dict.fromkeys(_INT, lambda b, x, y: b.sub(x, y)))
by_kind(P.mul_p, f=lambda b, x, y: b.fmul(x, y), **dict.fromkeys(_INT, lambda b, x, y: b.mul(x, y)))
by_kind(P.div_p, f=lambda b, x, y: b.fdiv(x, y), i=_int_div_or_rem(True, True),
        u=_int_div_or_rem(False, True))
by_kind(P.rem_p, f=lambda b, x, y: b.frem(x, y), i=_int_div_or_rem(True, False),
        u=_int_div_or_rem(False, False))
by_kind(P.max_p, **_MAX)
by_kind(P.min_p, **_MIN)
by_kind(P.pow_p, f=_per_width(widemath32.pow_f32, _inline64(pow64.pow)))
by_kind(P.atan2_p, f=_per_width(widemath32.atan2_f32, _inline64(mathlib64.atan2)))
def _nextafter(b, x, y):
    """C99 nextafter on the bits: one step of the integer representation toward y; from
    +-0 the smallest denormal with y's sign; y itself when x == y; NaN if either is."""
    ity = ir.IntType(x.type.width if isinstance(x.type, ir.IntType) else
                     (32 if x.type == ir.FloatType() else 64))
    bits = b.bitcast(x, ity)
    up = b.fcmp_ordered("<", x, y)
    negative = b.icmp_signed("<", bits, ir.Constant(ity, 0))
    step = b.select(b.xor(up, negative), ir.Constant(ity, 1), ir.Constant(ity, -1))
    out = b.bitcast(b.add(bits, step), x.type)
    sign_of_y = b.and_(b.bitcast(y, ity), ir.Constant(ity, -(1 << (ity.width - 1))))
    smallest = b.bitcast(b.or_(sign_of_y, ir.Constant(ity, 1)), x.type)
    out = b.select(b.fcmp_ordered("==", x, _const_like(0.0, x)), smallest, out)
    out = b.select(b.fcmp_ordered("==", x, y), y, out)
    return b.select(b.fcmp_unordered("uno", x, y), b.fadd(x, y), out)


by_kind(P.nextafter_p, f=_nextafter)

_BITWISE = ("i", "u", "b")
by_kind(P.and_p, **dict.fromkeys(_BITWISE, lambda b, x, y: b.and_(x, y)))
by_kind(P.or_p, **dict.fromkeys(_BITWISE, lambda b, x, y: b.or_(x, y)))
by_kind(P.xor_p, **dict.fromkeys(_BITWISE, lambda b, x, y: b.xor(x, y)))
by_kind(P.not_p, **dict.fromkeys(_BITWISE, lambda b, x: b.not_(x)))


def _shift(op, fill):
    """Shift by y; amounts outside [0, bits) give ``fill(b, x)`` (0 or the sign)."""
    def impl(b, x, y):
        bits = _const_like(x.type.width, x)
        out_of_range = b.icmp_unsigned(">=", y, bits)   # negative y is huge unsigned
        safe = b.select(out_of_range, _const_like(0, x), y)
        return b.select(out_of_range, fill(b, x), op(b, x, safe))
    return impl


def _zero_fill(b, x):
    return _const_like(0, x)


def _sign_fill(b, x):
    return b.ashr(x, _const_like(x.type.width - 1, x))


_SHIFTS = {P.shift_left_p: _shift(lambda b, x, s: b.shl(x, s), _zero_fill),
           P.shift_right_arithmetic_p: _shift(lambda b, x, s: b.ashr(x, s), _sign_fill),
           P.shift_right_logical_p: _shift(lambda b, x, s: b.lshr(x, s), _zero_fill)}
for _prim, _impl in _SHIFTS.items():
    by_kind(_prim, **dict.fromkeys(_INT, _impl))


# ---- comparisons ---------------------------------------------------------------------

def _compare(op, float_unordered=False):
    """NumPy comparison: false with a NaN operand, except ``!=`` which is true."""
    def fcmp(b, x, y):
        return (b.fcmp_unordered if float_unordered else b.fcmp_ordered)(op, x, y)
    return dict(f=fcmp, i=lambda b, x, y: b.icmp_signed(op, x, y),
                u=lambda b, x, y: b.icmp_unsigned(op, x, y),
                b=lambda b, x, y: b.icmp_unsigned(op, x, y))


by_kind(P.eq_p, **_compare("=="))
by_kind(P.ne_p, **_compare("!=", float_unordered=True))
by_kind(P.lt_p, **_compare("<"))
by_kind(P.le_p, **_compare("<="))
by_kind(P.gt_p, **_compare(">"))
by_kind(P.ge_p, **_compare(">="))


# ---- unary ---------------------------------------------------------------------------

def _fsign(b, x):
    """np.sign: -1, 0 (+0.0 for either zero), 1, NaN for NaN."""
    zero = _const_like(0.0, x)
    out = b.select(b.fcmp_ordered("<", x, zero), _const_like(-1.0, x), zero)
    out = b.select(b.fcmp_ordered(">", x, zero), _const_like(1.0, x), out)
    return b.select(b.fcmp_unordered("uno", x, x), x, out)


def _isign(b, x):
    zero = _const_like(0, x)
    out = b.select(b.icmp_signed("<", x, zero), _const_like(-1, x), zero)
    return b.select(b.icmp_signed(">", x, zero), _const_like(1, x), out)


def _iabs(b, x):
    return b.select(b.icmp_signed("<", x, _const_like(0, x)), b.neg(x), x)


def _is_finite(b, x):
    magnitude = call_intrinsic(b, "fabs", x.type, [x])
    return b.fcmp_ordered("!=", magnitude, _const_like(float("inf"), x))


def _round_away(b, x):
    """sign(x) * floor(abs(x) + 0.5), exactly as the reference computes it."""
    magnitude = call_intrinsic(b, "fabs", x.type, [x])
    floor = call_intrinsic(b, "floor", x.type, [b.fadd(magnitude, _const_like(0.5, x))])
    return b.fmul(_fsign(b, x), floor)


_ROUNDING = {"to_nearest_even": _intrinsic("roundeven"), "away_from_zero": _round_away}


def _round_rule(site, x):
    return _ROUNDING[site.params["rounding_method"]](site.b, x)


LOWERINGS[P.round_p] = _round_rule

by_kind(P.neg_p, f=lambda b, x: b.fneg(x), **dict.fromkeys(_INT, lambda b, x: b.neg(x)))
by_kind(P.abs_p, f=_intrinsic("fabs"), i=_iabs, u=lambda b, x: x)
by_kind(P.sign_p, f=_fsign, i=_isign,
        u=lambda b, x: b.zext(b.icmp_unsigned("!=", x, _const_like(0, x)), x.type))
by_kind(P.floor_p, f=_intrinsic("floor"))
by_kind(P.ceil_p, f=_intrinsic("ceil"))
by_kind(P.sqrt_p, f=_intrinsic("sqrt"))
by_kind(P.rsqrt_p, f=_per_width(widemath32.rsqrt_f32, lambda b, x: b.fdiv(
    _const_like(1.0, x), call_intrinsic(b, "sqrt", x.type, [x]))))
by_kind(P.is_finite_p, f=_is_finite)

_INLINE_MATH = {P.exp_p: mathlib.exp, P.exp2_p: mathlib.exp2, P.log_p: mathlib.log,
                P.log1p_p: mathlib.log1p, P.expm1_p: mathlib.expm1, P.tanh_p: mathlib.tanh,
                P.logistic_p: mathlib.logistic}
for _prim, _fn in _INLINE_MATH.items():
    by_kind(_prim, f=_emitted(_fn))

by_kind(P.sin_p, f=_per_width(widemath.sin_f32, _inline64(mathlib64.sin)))
by_kind(P.cos_p, f=_per_width(widemath.cos_f32, _inline64(mathlib64.cos)))
by_kind(P.erf_p, f=_per_width(widemath.erf_f32, _inline64(erf64.erf)))

# prim: (inline float32 rule, or None to run the float64 code and round once;
#        the float64 function ``fn(emitter, x)``)
_INLINE_BY_WIDTH = {
    P.tan_p: (widemath32.tan_f32, mathlib64.tan),
    P.asin_p: (widemath32.asin_f32, mathlib64.asin),
    P.acos_p: (widemath32.acos_f32, mathlib64.acos),
    P.atan_p: (widemath32.atan_f32, mathlib64.atan),
    P.sinh_p: (widemath32.sinh_f32, mathlib64.sinh),
    P.cosh_p: (widemath32.cosh_f32, mathlib64.cosh),
    P.asinh_p: (widemath32.asinh_f32, mathlib64.asinh),
    P.acosh_p: (widemath32.acosh_f32, mathlib64.acosh),
    P.atanh_p: (widemath32.atanh_f32, mathlib64.atanh),
    P.cbrt_p: (widemath32.cbrt_f32, mathlib64.cbrt),
    P.erfc_p: (None, erf64.erfc), P.lgamma_p: (None, gamma64.lgamma)}
for _prim, (_f32, _f64) in _INLINE_BY_WIDTH.items():
    by_kind(_prim, f=_per_width(_f32 or _widened(_inline64(_f64)), _inline64(_f64)))


by_kind(P.digamma_p, f=_per_width(specialmath.digamma_f32, specialmath.digamma_f64))
def _erf_inv64(b, x):
    """specialmath's erf_inv with 4 Newton steps on erf64's inline erf and erfc."""
    em = mathlib.Emitter(b, float_format(np.float64))
    return specialmath.erf_inv_wide(em, x, 4, erf64.erf_erfc)


by_kind(P.erf_inv_p, f=_per_width(specialmath.erf_inv_f32, _erf_inv64))


def _integer_pow(site, x):
    """x**y by repeated squaring; 1 / x**-y for negative y (floats only)."""
    b, y = site.b, site.params["y"]
    mul = b.fmul if _kind(site.out_dtype) == "f" else b.mul
    result, base, n = None, x, abs(y)
    while n:
        if n & 1:
            result = base if result is None else mul(result, base)
        n >>= 1
        if n:
            base = mul(base, base)
    one = _const_like(1.0 if _kind(site.out_dtype) == "f" else 1, x)
    if result is None:
        return one
    return b.fdiv(one, result) if y < 0 else result


LOWERINGS[P.integer_pow_p] = _integer_pow


# ---- selection, clamping, conversion, identity ------------------------------------------

def _select_n(site, which, *cases):
    """Bool: cases[which]; int32: cases[clip(which, 0, n - 1)]."""
    b = site.b
    if _kind(site.in_dtypes[0]) == "b":
        return b.select(which, cases[1], cases[0]) if len(cases) == 2 else cases[0]
    out = cases[0]
    for k in range(1, len(cases)):
        out = b.select(b.icmp_signed(">=", which, _const_like(k, which)), cases[k], out)
    return out


LOWERINGS[P.select_n_p] = _select_n


def _clamp(site, lo, x, hi):
    kind = _kind(site.out_dtype)
    return _MIN[kind](site.b, _MAX[kind](site.b, x, lo), hi)


LOWERINGS[P.clamp_p] = _clamp


def _resize_float(b, x, ty):
    if ty == x.type:
        return x
    wider = isinstance(ty, ir.DoubleType)
    return b.fpext(x, ty) if wider else b.fptrunc(x, ty)


def _resize_int(signed):
    def impl(b, x, ty):
        if ty.width == x.type.width:
            return x
        if ty.width < x.type.width:
            return b.trunc(x, ty)
        return b.sext(x, ty) if signed else b.zext(x, ty)
    return impl


def _saturating(name):
    """Float -> int truncating toward zero, saturating, NaN -> 0 (``llvm.fpto*i.sat``)."""
    def impl(b, x, ty):
        return call_intrinsic(b, name, ty, [x], overloads=[ty, x.type])
    return impl


def _nonzero(b, x, ty):
    if isinstance(x.type, ir.IntType):
        return b.icmp_unsigned("!=", x, _const_like(0, x))
    return b.fcmp_unordered("!=", x, _const_like(0.0, x))     # NaN -> True


_CONVERSIONS = {
    ("f", "f"): _resize_float, ("f", "i"): _saturating("fptosi.sat"),
    ("f", "u"): _saturating("fptoui.sat"), ("f", "b"): _nonzero,
    ("i", "f"): lambda b, x, ty: b.sitofp(x, ty), ("u", "f"): lambda b, x, ty: b.uitofp(x, ty),
    ("b", "f"): lambda b, x, ty: b.uitofp(x, ty),
    ("i", "i"): _resize_int(True), ("i", "u"): _resize_int(True),
    ("u", "i"): _resize_int(False), ("u", "u"): _resize_int(False),
    ("b", "i"): lambda b, x, ty: b.zext(x, ty), ("b", "u"): lambda b, x, ty: b.zext(x, ty),
    ("i", "b"): _nonzero, ("u", "b"): _nonzero, ("b", "b"): lambda b, x, ty: x,
}


def _convert_element_type(site, x):
    key = (_kind(site.in_dtypes[0]), _kind(site.out_dtype))
    return _CONVERSIONS[key](site.b, x, register_type(site.out_dtype))


LOWERINGS[P.convert_element_type_p] = _convert_element_type


def _identity(site, x):
    return x


LOWERINGS[P.copy_p] = _identity
LOWERINGS[P.stop_gradient_p] = _identity
