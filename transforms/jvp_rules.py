"""JVP rules of the elementwise primitives (``jvp_rules``) and transpose rules of the
linear ones (``transpose_rules``).  Each derivative is one line of math."""
import math

from transforms import ops
from transforms.core import bind
from transforms.jvp import (Zero, defjvp, defjvp_linear, defjvp_zero, instantiate,
                            jvp_rules, tangent_aval)
from transforms.linearize import is_linear, transpose_rules
from xla_like import dtypes
from xla_like import primitives as P


def _c(x, value):
    """``value`` shaped and typed like ``x``."""
    return ops.full_like(x, value)


def _out_rule(prim, tangent_of):
    """Rule whose tangent reuses the output: ``tangent_of(t, x, out)``."""
    def rule(primals, tangents):
        (x,), (t,) = primals, tangents
        out = bind(prim, x)
        return out, tangent_of(t, x, out)
    jvp_rules[prim] = rule


# ---- unary math -------------------------------------------------------------------
_out_rule(P.exp_p, lambda t, x, out: ops.mul(t, out))                       # d e^x = e^x
_out_rule(P.exp2_p, lambda t, x, out: ops.mul(t, ops.mul(out, _c(x, math.log(2)))))
_out_rule(P.expm1_p, lambda t, x, out: ops.mul(t, ops.add(out, _c(x, 1))))
_out_rule(P.tan_p, lambda t, x, out: ops.mul(t, ops.add(_c(x, 1), ops.square(out))))
_out_rule(P.tanh_p, lambda t, x, out: ops.mul(t, ops.sub(_c(x, 1), ops.square(out))))
_out_rule(P.logistic_p, lambda t, x, out: ops.mul(t, ops.mul(out, ops.sub(_c(x, 1), out))))
_out_rule(P.sqrt_p, lambda t, x, out: ops.div(t, ops.mul(_c(x, 2), out)))   # 1/(2 sqrt x)
_out_rule(P.rsqrt_p, lambda t, x, out: ops.mul(t, ops.mul(_c(x, -0.5), ops.div(out, x))))
_out_rule(P.cbrt_p, lambda t, x, out: ops.div(t, ops.mul(_c(x, 3), ops.square(out))))
_out_rule(P.erf_inv_p, lambda t, x, out: ops.mul(
    t, ops.mul(_c(x, math.sqrt(math.pi) / 2), ops.exp(ops.square(out)))))

defjvp(P.log_p, lambda t, x: ops.div(t, x))
defjvp(P.log1p_p, lambda t, x: ops.div(t, ops.add(x, _c(x, 1))))
defjvp(P.sin_p, lambda t, x: ops.mul(t, ops.cos(x)))
defjvp(P.cos_p, lambda t, x: ops.neg(ops.mul(t, ops.sin(x))))
defjvp(P.asin_p, lambda t, x: ops.mul(t, ops.rsqrt(ops.sub(_c(x, 1), ops.square(x)))))
defjvp(P.acos_p, lambda t, x: ops.neg(ops.mul(t, ops.rsqrt(ops.sub(_c(x, 1), ops.square(x))))))
defjvp(P.atan_p, lambda t, x: ops.div(t, ops.add(_c(x, 1), ops.square(x))))
defjvp(P.sinh_p, lambda t, x: ops.mul(t, ops.cosh(x)))
defjvp(P.cosh_p, lambda t, x: ops.mul(t, ops.sinh(x)))
defjvp(P.asinh_p, lambda t, x: ops.mul(t, ops.rsqrt(ops.add(ops.square(x), _c(x, 1)))))
defjvp(P.acosh_p, lambda t, x: ops.mul(      # 1/(sqrt(x-1) sqrt(x+1)): right for complex x
    t, ops.mul(ops.rsqrt(ops.sub(x, _c(x, 1))), ops.rsqrt(ops.add(x, _c(x, 1))))))
defjvp(P.atanh_p, lambda t, x: ops.div(t, ops.sub(_c(x, 1), ops.square(x))))
defjvp(P.erf_p, lambda t, x: ops.mul(
    t, ops.mul(_c(x, 2 / math.sqrt(math.pi)), ops.exp(ops.neg(ops.square(x))))))
defjvp(P.erfc_p, lambda t, x: ops.mul(
    t, ops.mul(_c(x, -2 / math.sqrt(math.pi)), ops.exp(ops.neg(ops.square(x))))))
defjvp(P.lgamma_p, lambda t, x: ops.mul(t, ops.digamma(x)))


def _digamma_jvp(primals, tangents):
    raise NotImplementedError("jvp rule for 'digamma' is not implemented: its derivative "
                              "(trigamma) is not a primitive")


jvp_rules[P.digamma_p] = _digamma_jvp


def _abs_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    out = ops.abs(x)
    if dtypes.is_complex(x.aval.dtype):                  # d|z| = Re(conj(z) dz) / |z|, 0 at 0
        safe = ops.select(ops.eq(out, _c(out, 0)), out, _c(out, 1))
        unit = bind(P.conj_p, ops.div(x, bind(P.complex_p, safe, _c(safe, 0))))
        return out, bind(P.real_p, ops.mul(unit, t))
    return out, ops.mul(t, ops.sign(x))                                      # d|x| = sign x


jvp_rules[P.abs_p] = _abs_jvp


def _integer_pow_jvp(primals, tangents, y):
    (x,), (t,) = primals, tangents
    out = bind(P.integer_pow_p, x, y=y)
    if y == 0:
        return out, Zero(tangent_aval(out.aval))
    slope = _c(x, y) if y == 1 else ops.mul(_c(x, y), bind(P.integer_pow_p, x, y=y - 1))
    return out, ops.mul(t, slope)                                            # y x^(y-1)


jvp_rules[P.integer_pow_p] = _integer_pow_jvp

for _p in (P.sign_p, P.floor_p, P.ceil_p, P.round_p, P.is_finite_p, P.not_p,
           P.nextafter_p, P.and_p, P.or_p, P.xor_p, P.shift_left_p,
           P.shift_right_arithmetic_p, P.shift_right_logical_p, P.eq_p, P.ne_p, P.lt_p,
           P.le_p, P.gt_p, P.ge_p, P.threefry2x32_p, P.stop_gradient_p):
    defjvp_zero(_p)

# ---- binary arithmetic -------------------------------------------------------------
defjvp_linear(P.add_p)
defjvp_linear(P.sub_p)
defjvp_linear(P.neg_p)
defjvp_linear(P.copy_p)
defjvp(P.mul_p, lambda t, x, y: ops.mul(t, y), lambda t, x, y: ops.mul(x, t))
defjvp(P.div_p, lambda t, x, y: ops.div(t, y),
       lambda t, x, y: ops.neg(ops.mul(t, ops.div(x, ops.square(y)))))     # -x/y^2
defjvp(P.atan2_p,                                       # atan2(x, y): (y dx - x dy)/(x²+y²)
       lambda t, x, y: ops.mul(t, ops.div(y, ops.add(ops.square(x), ops.square(y)))),
       lambda t, x, y: ops.neg(ops.mul(t, ops.div(x, ops.add(ops.square(x), ops.square(y))))))


def _rem_rhs(t, x, y):
    q = ops.div(x, y)                                   # d rem/dy = -trunc(x / y)
    return ops.neg(ops.mul(t, ops.mul(ops.sign(q), bind(P.floor_p, ops.abs(q)))))


defjvp(P.rem_p, lambda t, x, y: t, _rem_rhs)


def _pow_rhs(t, x, y):
    safe_log = ops.select(ops.eq(x, _c(x, 0)), ops.log(x), _c(x, 0))    # 0 where x == 0
    return ops.mul(t, ops.mul(safe_log, ops.pow(x, y)))


def _pow_lhs(t, x, y):
    return ops.mul(t, ops.mul(y, ops.pow(x, ops.sub(y, _c(y, 1)))))       # y x^(y-1)


defjvp(P.pow_p, _pow_lhs, _pow_rhs)


def _chooser_weight(x, y, pick):
    """1 where ``pick(x, y)`` holds, 0.5 on ties, 0 elsewhere (balanced subgradient)."""
    tie = ops.select(ops.eq(x, y), _c(x, 0), _c(x, 0.5))
    return ops.select(pick(x, y), tie, _c(x, 1))


defjvp(P.max_p, lambda t, x, y: ops.mul(t, _chooser_weight(x, y, ops.gt)),
       lambda t, x, y: ops.mul(t, _chooser_weight(y, x, ops.gt)))
defjvp(P.min_p, lambda t, x, y: ops.mul(t, _chooser_weight(x, y, ops.lt)),
       lambda t, x, y: ops.mul(t, _chooser_weight(y, x, ops.lt)))


# ---- selection, clamping, conversion ---------------------------------------------------

def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = bind(P.select_n_p, which, *cases)
    if all(type(t) is Zero for t in tangents[1:]):
        return out, Zero(tangent_aval(out.aval))
    return out, bind(P.select_n_p, which, *[instantiate(t) for t in tangents[1:]])


jvp_rules[P.select_n_p] = _select_n_jvp


def _clamp_jvp(primals, tangents):
    lo, x, hi = primals
    out = bind(P.clamp_p, lo, x, hi)
    zero = _c(x, 0)
    total = None
    masks = (lambda: ops.gt(_full(lo, x), x),                 # lo wins where x < lo
             lambda: ops.and_(ops.ge(x, _full(lo, x)), ops.le(x, _full(hi, x))),
             lambda: ops.lt(_full(hi, x), x))                  # hi wins where x > hi
    for operand, t, mask in zip(primals, tangents, masks):
        if type(t) is Zero:
            continue
        term = ops.select(mask(), zero, _full(t, x))
        total = term if total is None else ops.add(total, term)
    return out, total if total is not None else Zero(tangent_aval(out.aval))


def _full(v, like):
    """Broadcast a scalar bound of ``clamp`` to the operand's shape."""
    if v.aval.shape == like.aval.shape:
        return v
    return ops.broadcast_in_dim(v, like.aval.shape, ())


jvp_rules[P.clamp_p] = _clamp_jvp


def _convert_jvp(primals, tangents, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = bind(P.convert_element_type_p, x, new_dtype=new_dtype, weak_type=weak_type)
    if type(t) is Zero or not dtypes.is_inexact(new_dtype):
        return out, Zero(tangent_aval(out.aval))
    return out, bind(P.convert_element_type_p, t, new_dtype=new_dtype, weak_type=weak_type)


jvp_rules[P.convert_element_type_p] = _convert_jvp


# ---- transposes of the linear elementwise primitives -----------------------------------

def _add_transpose(ct, x, y):
    return [ct if is_linear(x) else None, ct if is_linear(y) else None]


def _sub_transpose(ct, x, y):
    return [ct if is_linear(x) else None, ops.neg(ct) if is_linear(y) else None]


def _mul_transpose(ct, x, y):
    if is_linear(x) and is_linear(y):
        raise ValueError("transpose of mul: both operands are linear (not a linear map)")
    return [ops.mul(ct, y), None] if is_linear(x) else [None, ops.mul(x, ct)]


def _div_transpose(ct, x, y):
    if is_linear(y):
        raise ValueError("transpose of div: the divisor must not be linear")
    return [ops.div(ct, y), None]


def _select_n_transpose(ct, which, *cases):
    zeros = ops.zeros_like_aval(ct.aval)
    n = len(cases)
    out = [None]
    for i, case in enumerate(cases):
        if not is_linear(case):
            out.append(None)
            continue
        branches = [zeros] * n
        branches[i] = ct
        out.append(bind(P.select_n_p, which, *branches))
    return out


def _convert_transpose(ct, x, new_dtype, weak_type):
    if dtypes.is_complex(ct.aval.dtype) and not dtypes.is_complex(x.aval.dtype):
        ct = bind(P.real_p, ct)                          # real -> complex: Re(ct) (fft_rules)
    return [ops.convert(ct, x.aval.dtype, x.aval.weak)]


transpose_rules[P.add_p] = _add_transpose
transpose_rules[P.sub_p] = _sub_transpose
transpose_rules[P.mul_p] = _mul_transpose
transpose_rules[P.div_p] = _div_transpose
transpose_rules[P.neg_p] = lambda ct, x: [ops.neg(ct)]
transpose_rules[P.copy_p] = lambda ct, x: [ct]
transpose_rules[P.select_n_p] = _select_n_transpose
transpose_rules[P.convert_element_type_p] = _convert_transpose


# ---- collectives over a named axis ----------------------------------------------------
from xla_like.primitives import collectives as C  # noqa: E402


def _pchooser_jvp(prim):
    """pmax/pmin: the tangent of the winning batch elements, shared evenly on ties."""
    def rule(primals, tangents, axis_name):
        (x,), (t,) = primals, tangents
        out = bind(prim, x, axis_name=axis_name)
        mask = ops.convert(ops.eq(x, out), x.aval.dtype)
        count = bind(C.psum_p, mask, axis_name=axis_name)
        total = bind(C.psum_p, ops.mul(t, mask), axis_name=axis_name)
        return out, ops.div(total, count)
    jvp_rules[prim] = rule


def _all_gather_transpose(ct, x, axis_name, axis_size):
    index = bind(C.axis_index_p, axis_name=axis_name, dtype=dtypes.int32)
    zero = ops.constant(0, dtypes.int32)
    starts = [index] + [zero] * x.aval.ndim
    piece = bind(P.dynamic_slice_p, ct, *starts, slice_sizes=(1,) + x.aval.shape)
    return [ops.reshape(piece, x.aval.shape)]


defjvp_linear(C.psum_p)
defjvp_linear(C.all_gather_p)
_pchooser_jvp(C.pmax_p)
defjvp_zero(C.axis_index_p)
_pchooser_jvp(C.pmin_p)
transpose_rules[C.psum_p] = lambda ct, x, axis_name: [bind(C.psum_p, ct, axis_name=axis_name)]
transpose_rules[C.all_gather_p] = _all_gather_transpose
