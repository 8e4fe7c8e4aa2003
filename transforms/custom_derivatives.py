"""Transform rules of the higher-order primitives: user-defined derivatives
(``custom_jvp_call``, ``custom_vjp_call``, ``custom_lin``) and rematerialization
(``remat``), plus the functions that stage user code into them.

User rules run as Python.  A ``custom_jvp`` rule runs *inside* the JVP interpreter
that processes the call, so values it closes over that are being differentiated by
that same interpreter contribute their derivative through the rule's primal output;
while its own rule runs, a custom function evaluates its body directly.
"""
import contextlib
import contextvars

from transforms import ops
from transforms.core import Tracer, bind, current_interpreter, parent_scope
from transforms.jvp import JVPInterpreter, Zero, is_zero, jvp_flat, jvp_rules, tangent_aval
from transforms.linearize import (PartialEvalInterpreter, backward_pass, is_linear,
                                  linearize_flat, run_program,
                                  transpose_rules)
from transforms.staging import stage
from xla_like import dtypes
from xla_like.primitives.higher_order import (custom_jvp_call_p, custom_lin_p,
                                              custom_vjp_call_p, remat_p)

_running_rules = contextvars.ContextVar("functorch_lite_running_rules", default=frozenset())


def running_own_rule(owner):
    """True while ``owner``'s rule runs: calls to it then evaluate the body directly."""
    return owner in _running_rules.get()


@contextlib.contextmanager
def _rule_scope(owner):
    token = _running_rules.set(_running_rules.get() | {owner})
    try:
        yield
    finally:
        _running_rules.reset(token)


class UserRule:
    """A user's Python derivative function kept in a primitive's params."""

    def __init__(self, owner, fn, name):
        self.owner, self.fn, self.name = owner, fn, name
        self.cache_key = None   # set when the rule may be derived once and reused

    def __call__(self, *args):
        with _rule_scope(self.owner):
            return self.fn(*args)

    def __repr__(self):
        return f"<rule {self.name}>"


def _names(prefix, n):
    return [f"{prefix}[{i}]" for i in range(n)]


def rule_tangent(t, primal):
    """The tangent handed to a user rule: zeros for symbolic zeros; integer inputs get
    zeros of their own dtype."""
    if type(t) is Zero:
        aval = primal.aval if not dtypes.is_inexact(primal.aval.dtype) else t.aval
        return ops.zeros_like_aval(aval.strong() if not dtypes.is_inexact(aval.dtype) else aval)
    return t


# ---- calling a custom-derivative function ----------------------------------------------

# (interpreter type, "jvp" | "vjp") -> handler(interp, fun, rules, args, name); transforms
# whose handler is not here stage the call into its primitive.
custom_call_handlers = {}


def call_custom(kind, fun, rules, args, name):
    """Apply a custom-derivative function to flat ``args``: eagerly its body; under a
    transform, that transform's handler (which uses the Python rules directly)."""
    interp = current_interpreter()
    if interp is None:
        return fun(*args)
    handler = custom_call_handlers.get((type(interp), kind), _stage_custom)
    return handler(interp, kind, fun, rules, args, name)


def _stage_custom(interp, kind, fun, rules, args, name):
    if kind == "jvp":
        return bind_custom_jvp(fun, rules[0], args, name)
    return bind_custom_vjp(fun, rules[0], rules[1], args, name)


# ---- custom_jvp ----------------------------------------------------------------------

def bind_custom_jvp(fun, rule, args, name):
    """Stage ``fun(*args) -> list`` and bind ``custom_jvp_call`` with ``rule``:
    ``rule(primals, tangents) -> (outs, tangent_outs)`` on flat lists."""
    call, consts = stage(fun, [a.aval for a in args], _names("arg", len(args)), name)
    return bind(custom_jvp_call_p, *consts, *args, call=call, jvp=rule,
                num_consts=len(consts))


def _custom_jvp_call_jvp(interp, primals, tangents, call, jvp, num_consts):
    return apply_jvp_rule(interp, jvp, primals[num_consts:], tangents[num_consts:])


def apply_jvp_rule(interp, jvp, args, tangents):
    """Run a user JVP rule inside the JVP interpreter ``interp``; returns primal and
    tangent outputs (closed-over values being differentiated add their part)."""
    arg_tangents = [rule_tangent(t, p) for t, p in zip(tangents, args)]
    outs, t_outs = jvp(list(args), arg_tangents)          # runs inside ``interp``
    primal_outs, tangent_outs = [], []
    for out, t_out in zip(outs, t_outs):
        primal, closure_t = interp.lift(out)               # closure_t: via closed-over values
        user_t = interp.lift(t_out)[0]
        if not dtypes.is_inexact(primal.aval.dtype):
            user_t = Zero(tangent_aval(primal.aval))
        elif not is_zero(closure_t):
            with parent_scope(interp):
                user_t = ops.add(user_t, closure_t)
        primal_outs.append(primal)
        tangent_outs.append(user_t)
    return primal_outs, tangent_outs


_custom_jvp_call_jvp.runs_in_interpreter = True
jvp_rules[custom_jvp_call_p] = _custom_jvp_call_jvp


# ---- custom_vjp ----------------------------------------------------------------------

def bind_custom_vjp(fun, fwd, bwd, args, name):
    """Stage ``fun`` and bind ``custom_vjp_call``; ``fwd(primals) -> (outs, residuals)``
    and ``bwd(residuals, cts) -> arg cotangents`` work on flat lists."""
    call, consts = stage(fun, [a.aval for a in args], _names("arg", len(args)), name)
    return bind(custom_vjp_call_p, *consts, *args, call=call, fwd=fwd, bwd=bwd,
                num_consts=len(consts))


def _custom_vjp_call_jvp(primals, tangents, call, fwd, bwd, num_consts):
    if any(not is_zero(t) for t in tangents[:num_consts]):
        raise NotImplementedError(
            "custom_vjp: the function closes over a value that is being differentiated; "
            "pass that value as an argument so its cotangent comes from bwd")
    return apply_vjp_rule(fwd, bwd, primals[num_consts:], tangents[num_consts:])


def apply_vjp_rule(fwd, bwd, args, tangents):
    """Forward pass of a custom_vjp function: its outputs, and tangents expressed by the
    ``custom_lin`` primitive, whose transpose runs ``bwd``."""
    outs, residuals = fwd(list(args))
    arg_tangents = [rule_tangent(t, p) for t, p in zip(tangents, args)]
    out_avals = tuple(tangent_aval(o.aval) for o in outs)
    tangent_outs = bind(custom_lin_p, *residuals, *arg_tangents, bwd=bwd,
                        num_res=len(residuals), out_avals=out_avals)
    return outs, tangent_outs


def _custom_lin_transpose(cts, *operands, bwd, num_res, out_avals):
    res = operands[:num_res]
    cts = [ops.zeros_like_aval(a) if ct is None else ct for ct, a in zip(cts, out_avals)]
    arg_cts = bwd(list(res), cts)
    return [None] * num_res + [ct if is_linear(op) else None
                               for ct, op in zip(arg_cts, operands[num_res:])]


def _custom_lin_jvp(primals, tangents, **params):
    raise NotImplementedError("jvp rule for 'custom_lin' is not implemented: forward-mode "
                              "differentiation of a custom_vjp function is not supported")


jvp_rules[custom_vjp_call_p] = _custom_vjp_call_jvp
jvp_rules[custom_lin_p] = _custom_lin_jvp
transpose_rules[custom_lin_p] = _custom_lin_transpose


# ---- remat ---------------------------------------------------------------------------

def bind_remat(fun, args, policy, name="checkpoint"):
    body, consts = stage(fun, [a.aval for a in args], _names("arg", len(args)), name)
    return bind(remat_p, *consts, *args, body=body, policy=policy)


def _remat_jvp(primals, tangents, body, policy):
    primals = list(primals)
    if policy == "everything_saveable":
        return jvp_flat(lambda *xs: run_program(body, *xs), primals, list(tangents))
    outs = bind(remat_p, *primals, body=body, policy=policy)
    live = [i for i, t in enumerate(tangents) if not is_zero(t)]
    n = len(primals)

    def tangent_body(*xs):
        ts = [Zero(tangent_aval(p.aval)) for p in primals]
        for i, t in zip(live, xs[n:]):
            ts[i] = t
        t_outs = jvp_flat(lambda *ys: run_program(body, *ys), list(xs[:n]), ts)[1]
        return [ops.zeros_like_aval(t.aval) if is_zero(t) else t for t in t_outs]
    avals = [p.aval for p in primals] + [tangents[i].aval for i in live]
    t_body, t_consts = stage(tangent_body, avals, _names("x", len(avals)), "checkpoint")
    t_outs = bind(remat_p, *t_consts, *primals, *[tangents[i] for i in live],
                  body=t_body, policy=policy)
    t_outs = [t if dtypes.is_inexact(o.aval.dtype) else Zero(tangent_aval(o.aval))
              for t, o in zip(t_outs, outs)]
    return outs, t_outs


def _remat_transpose(cts, *operands, body, policy):
    """Recompute the body's forward now (nothing was saved) and transpose it."""
    linear = [is_linear(o) for o in operands]
    filled = [ops.zeros_like_aval(o.aval) if lin else o for o, lin in zip(operands, linear)]
    _, linear_fn = linearize_flat(lambda *xs: run_program(body, *xs), filled, linear)
    live_cts = [ct for ct, z in zip(cts, linear_fn.out_zero) if not z]
    in_cts = iter(backward_pass(linear_fn, live_cts))
    return [next(in_cts) if lin else None for lin in linear]


jvp_rules[remat_p] = _remat_jvp
transpose_rules[remat_p] = _remat_transpose


# ---- handlers: the JVP and partial-evaluation interpreters use the Python rules -------------

def _jvp_handler(interp, kind, fun, rules, args, name):
    pairs = [interp.lift(a) for a in args]
    primals, tangents = [p for p, _ in pairs], [t for _, t in pairs]
    if all(is_zero(t) for t in tangents):
        return call_outside(interp, kind, fun, rules, primals, name)
    if kind == "jvp":
        outs, t_outs = apply_jvp_rule(interp, rules[0], primals, tangents)
    else:
        with parent_scope(interp):
            outs, t_outs = apply_vjp_rule(rules[0], rules[1], primals, tangents)
    return [interp.wrap(o, t) for o, t in zip(outs, t_outs)]


def call_outside(interp, kind, fun, rules, args, name):
    """A custom function none of whose ``args`` (values of the interpreters outside
    ``interp``) ``interp`` transforms, e.g. one called by another function's rule.
    Its rules still matter to those outer interpreters (a second derivative of the
    caller goes through them), so the call moves out to them, unless it closes over
    ``interp``'s own values: then its body runs inside ``interp``, which keeps them."""
    if interp.parent is None:
        return fun(*args)
    _, consts = stage(fun, [a.aval for a in args], _names("arg", len(args)), name)
    if any(isinstance(c, Tracer) and c._interp is interp for c in consts):
        return fun(*args)
    with parent_scope(interp):
        return call_custom(kind, fun, rules, args, name)


def _partial_eval_handler(interp, kind, fun, rules, args, name):
    if any(isinstance(a, Tracer) and a._interp is interp for a in args):
        return _stage_custom(interp, kind, fun, rules, args, name)
    with parent_scope(interp):
        return call_custom(kind, fun, rules, args, name)


for _kind in ("jvp", "vjp"):
    custom_call_handlers[(JVPInterpreter, _kind)] = _jvp_handler
    custom_call_handlers[(PartialEvalInterpreter, _kind)] = _partial_eval_handler
