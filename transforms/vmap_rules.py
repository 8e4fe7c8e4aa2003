"""Batching rules of the elementwise and higher-order primitives (``batch_rules``)."""
from transforms import ops
from transforms.core import attach, bind, current_interpreter, parent_scope, reenter
from transforms.staging import stage
from transforms.vmap import (BatchInterpreter, batch_rules, batch_size, broadcast_batched, defbroadcasting,
                             defvectorized, vmap_flat)
from xla_like import primitives as P
from xla_like.primitives import higher_order as H
from transforms.linearize import run_program
from transforms.custom_derivatives import (UserRule, call_custom, call_outside,
                                          custom_call_handlers)

_UNARY = (P.exp_p, P.exp2_p, P.log_p, P.log1p_p, P.expm1_p, P.sin_p, P.cos_p, P.tan_p,
          P.asin_p, P.acos_p, P.atan_p, P.sinh_p, P.cosh_p, P.tanh_p, P.asinh_p, P.acosh_p,
          P.atanh_p, P.logistic_p, P.sqrt_p, P.rsqrt_p, P.cbrt_p, P.erf_p, P.erfc_p,
          P.erf_inv_p, P.lgamma_p, P.digamma_p, P.floor_p, P.ceil_p, P.neg_p, P.sign_p,
          P.not_p, P.abs_p, P.is_finite_p, P.round_p, P.integer_pow_p,
          P.convert_element_type_p, P.copy_p, P.stop_gradient_p)
_NARY = (P.add_p, P.sub_p, P.mul_p, P.div_p, P.rem_p, P.pow_p, P.max_p, P.min_p,
         P.atan2_p, P.nextafter_p, P.and_p, P.or_p, P.xor_p, P.shift_left_p,
         P.shift_right_arithmetic_p, P.shift_right_logical_p, P.eq_p, P.ne_p, P.lt_p,
         P.le_p, P.gt_p, P.ge_p, P.threefry2x32_p)

for _p in _UNARY:
    defvectorized(_p)
for _p in _NARY:
    defbroadcasting(_p)


def _select_n_batch(args, bdims):
    which, *cases = args
    which_bdim, *case_bdims = bdims
    size = batch_size(args, bdims)
    if which_bdim is None and which.aval.shape == ():
        # a scalar predicate selects whole cases: keep it scalar
        dest = next(b for b in case_bdims if b is not None)
        cases = [broadcast_batched(c, b, size, dest) for c, b in zip(cases, case_bdims)]
        return bind(P.select_n_p, which, *cases), dest
    case_shape = (cases[0].aval.shape if case_bdims[0] is None else
                  _unbatched_shape(cases[0], case_bdims[0]))
    if which_bdim is not None and which.aval.ndim == 1 and case_shape != ():
        which = ops.broadcast_in_dim(which, (size,) + case_shape, (0,))
        which_bdim = 0
    elif which_bdim is None and which.aval.shape == ():
        which = ops.broadcast_in_dim(which, case_shape, ())
    which = broadcast_batched(which, which_bdim, size, 0)
    cases = [broadcast_batched(c, b, size, 0) for c, b in zip(cases, case_bdims)]
    return bind(P.select_n_p, which, *cases), 0


def _unbatched_shape(x, bdim):
    shape = x.aval.shape
    return shape[:bdim] + shape[bdim + 1:]


batch_rules[P.select_n_p] = _select_n_batch


def _clamp_batch(args, bdims):
    lo, x, hi = args
    lo_b, x_b, hi_b = bdims
    size = batch_size(args, bdims)
    x = broadcast_batched(x, x_b, size, 0)
    bounds = []
    for bound, b in ((lo, lo_b), (hi, hi_b)):
        if b is None and bound.aval.shape == ():
            bounds.append(bound)
            continue
        if b is not None and bound.aval.ndim == 1:            # batched scalar bound
            bound = ops.broadcast_in_dim(bound, x.aval.shape, (0,))
        else:
            bound = broadcast_batched(bound, b, size, 0)
        bounds.append(bound)
    return bind(P.clamp_p, bounds[0], x, bounds[1]), 0


batch_rules[P.clamp_p] = _clamp_batch


# ---- higher-order primitives: batch the sub-program --------------------------------------

def batched_avals(program, in_bdims, size):
    """The avals of ``program``'s inputs with a batch dimension of ``size`` inserted at
    ``in_bdims`` (None: unbatched)."""
    avals = []
    for v, b in zip(program.invars, in_bdims):
        shape = list(v.aval.shape)
        if b is not None:
            shape.insert(b, size)
        avals.append(v.aval.update(shape=shape))
    return avals


def batched_program(program, in_bdims, size):
    """Stage ``vmap`` of ``program`` with inputs batched at ``in_bdims`` (outputs at 0)."""
    avals = batched_avals(program, in_bdims, size)

    def batched(*xs):
        outs, out_bdims = vmap_flat(lambda *ys: run_program(program, *ys), list(xs),
                                    in_bdims, size)
        return [broadcast_batched(o, b, size, 0) for o, b in zip(outs, out_bdims)]
    return stage(batched, avals, [f"x{i}" for i in range(len(avals))], "vmap")


def _remat_batch(args, bdims, body, policy):
    size = batch_size(args, bdims)
    new_body, consts = batched_program(body, bdims, size)
    outs = bind(H.remat_p, *consts, *args, body=new_body, policy=policy)
    return outs, [0] * len(outs)


batch_rules[H.remat_p] = _remat_batch


def _map_rule(rule, size, n_first):
    """A user rule on flat lists (``rule(first, second) -> (outs, more)``) mapped over a
    leading batch axis of ``size``; ``n_first`` results belong to the first output list."""
    def mapped(first, second):
        def flat(*xs):
            outs, more = rule(list(xs[:len(first)]), list(xs[len(first):]))
            return list(outs) + list(more)
        xs = list(first) + list(second)
        outs, bdims = vmap_flat(flat, xs, [0] * len(xs), size)
        outs = [broadcast_batched(o, b, size, 0) for o, b in zip(outs, bdims)]
        return outs[:n_first], outs[n_first:]
    return mapped


def _batch_call(args, bdims, call):
    """Batch every operand at 0 and stage the batched primal program."""
    size = batch_size(args, bdims)
    args = [broadcast_batched(a, b, size, 0) for a, b in zip(args, bdims)]
    new_call, consts = batched_program(call, [0] * len(args), size)
    return size, args, new_call, consts


def _custom_jvp_batch(args, bdims, call, jvp, num_consts):
    size, args, new_call, consts = _batch_call(args, bdims, call)
    n_out = len(call.outvars)
    rule = UserRule(jvp.owner, _map_rule(jvp, size, n_out), f"vmap({jvp.name})")
    outs = bind(H.custom_jvp_call_p, *consts, *args, call=new_call, jvp=rule,
                num_consts=len(consts) + num_consts)
    return outs, [0] * len(outs)


def _custom_vjp_batch(args, bdims, call, fwd, bwd, num_consts):
    size, args, new_call, consts = _batch_call(args, bdims, call)
    n_out, n_args = len(call.outvars), len(args) - num_consts
    fwd_rule = _map_rule(lambda xs, _: fwd(xs), size, n_out)

    def bwd_rule(res, cts):
        return _map_rule(lambda r, c: (bwd(r, c), []), size, n_args)(res, cts)[0]
    outs = bind(H.custom_vjp_call_p, *consts, *args, call=new_call,
                fwd=UserRule(fwd.owner, lambda xs: fwd_rule(xs, []), f"vmap({fwd.name})"),
                bwd=UserRule(bwd.owner, bwd_rule, f"vmap({bwd.name})"),
                num_consts=len(consts) + num_consts)
    return outs, [0] * len(outs)


batch_rules[H.custom_jvp_call_p] = _custom_jvp_batch
batch_rules[H.custom_vjp_call_p] = _custom_vjp_batch


def _custom_lin_batch(args, bdims, **params):
    raise NotImplementedError("vmap rule for 'custom_lin' is not implemented: vmap the "
                              "function before differentiating it")


batch_rules[H.custom_lin_p] = _custom_lin_batch


# ---- collectives over this interpreter's named axis --------------------------------------

from xla_like.primitives import collectives as C  # noqa: E402

_REDUCERS = {C.psum_p: P.reduce_sum_p, C.pmax_p: P.reduce_max_p, C.pmin_p: P.reduce_min_p}


def _collective(prim, body):
    """Rule for a collective: over our own axis apply ``body``; over another axis pass
    the (batched) value on to the interpreter that binds that name."""
    def rule(interp, args, bdims, axis_name, **params):
        if axis_name != interp.axis_name:
            with parent_scope(interp):
                return bind(prim, *args, axis_name=axis_name, **params), bdims[0]
        with parent_scope(interp):
            return body(interp, args, bdims, **params)
    rule.runs_in_interpreter = True
    batch_rules[prim] = rule


def _reduce_over_axis(reducer):
    def body(interp, args, bdims):
        (x,), (b,) = args, bdims
        if b is None:       # the same value in every batch element
            if reducer is P.reduce_sum_p:
                return ops.mul(x, ops.full_like(x, interp.axis_size)), None
            return x, None
        return bind(reducer, x, axes=(b,)), None
    return body


def _all_gather_body(interp, args, bdims, axis_size):
    (x,), (b,) = args, bdims
    return broadcast_batched(x, b, interp.axis_size, 0), None


def _axis_index_body(interp, args, bdims, dtype):
    return bind(P.iota_p, dtype=dtype, shape=(interp.axis_size,), dimension=0), 0


for _p, _r in _REDUCERS.items():
    _collective(_p, _reduce_over_axis(_r))
_collective(C.all_gather_p, _all_gather_body)
_collective(C.axis_index_p, _axis_index_body)


# ---- custom-derivative functions: batch the Python functions, keep the user rules ------------

def _reentering(interp, fn, size, pair=False):
    """``fn`` on flat lists of values batched at axis 0, run inside the (still active)
    batch interpreter ``interp`` so values it closes over stay its own; results come back
    batched at axis 0 (a pair of lists when ``fn`` returns a pair).

    Meanwhile ``interp`` binds into the interpreter that calls ``fn`` (e.g. the staging
    of the custom call), not its original parent, which must not see that one's values."""
    def batched(*lists):
        saved = interp.parent, interp.below
        attach(interp, current_interpreter())
        try:
            with reenter(interp):
                ins = [[interp.wrap(x, 0) for x in lst] for lst in lists]
                out = fn(*ins)
                n_first = len(out[0]) if pair else None
                flat = list(out[0]) + list(out[1]) if pair else list(out)
                pairs = [interp.lift(o) for o in flat]
            with parent_scope(interp):
                res = [broadcast_batched(v, b, size, 0) for v, b in pairs]
        finally:
            interp.parent, interp.below = saved
        return (res[:n_first], res[n_first:]) if pair else res
    return batched


def _vmap_custom_handler(interp, kind, fun, rules, args, name):
    values, bdims = zip(*[interp.lift(a) for a in args])
    if all(b is None for b in bdims):
        return call_outside(interp, kind, fun, rules, list(values), name)
    size = interp.axis_size
    with parent_scope(interp):
        at0 = [broadcast_batched(v, b, size, 0) for v, b in zip(values, bdims)]
    batched_fun = _reentering(interp, lambda xs: fun(*xs), size)
    if kind == "jvp":
        rule = rules[0]
        new_rules = (UserRule(rule.owner, _reentering(interp, rule, size, pair=True),
                              f"vmap({rule.name})"),)
    else:
        fwd, bwd = rules
        new_rules = (UserRule(fwd.owner, _reentering(interp, fwd, size, pair=True),
                              f"vmap({fwd.name})"),
                     UserRule(bwd.owner, _reentering(interp, bwd, size), f"vmap({bwd.name})"))
    with parent_scope(interp):
        outs = call_custom(kind, lambda *xs: batched_fun(list(xs)), new_rules, at0, name)
    return [interp.wrap(o, 0) for o in outs]


for _kind in ("jvp", "vjp"):
    custom_call_handlers[(BatchInterpreter, _kind)] = _vmap_custom_handler
