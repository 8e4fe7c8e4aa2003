"""Differentiation rules of the control-flow primitives (``cond``, ``while``, ``scan``)
and the sub-program helpers their rules and ``functorch_lite.lax`` share; their batching
rules are in ``control_flow_batching.py``.

JVP: each rule stages the JVP of the sub-programs (primal and tangent values flow
through one loop).  Under partial evaluation (reverse mode), like ``remat``, it binds
the primal construct and a separate tangent construct: the primal one has only known
operands, so it runs (or is staged) now; the tangent one, whose sub-programs take the
primal values and the tangents, lands in the linear program.

Transposes (the tangent construct in a linear program):

- ``cond``: one ``cond`` over the transposed branches (each re-linearized at the known
  operands, then ``backward_pass``);
- ``scan``: a forward scan of the known (primal) part that saves the carry entering
  each iteration, then a reverse scan of the transposed body.  Memory: ``length`` times
  the primal carry; the body's own intermediates are recomputed, one iteration at a
  time, in the reverse scan (per-iteration checkpointing);
- ``while``: in ``control_flow_while.py`` (a forward while counting the trip count,
  then the scan transpose or a recomputing reverse while).
"""
import collections

from transforms import ops
from transforms.core import bind, current_interpreter
from transforms.jvp import Zero, instantiate, is_zero, jvp_flat, jvp_rules, tangent_aval
from transforms.linearize import (PartialEvalInterpreter, backward_pass, is_linear,
                                  linearize_flat, run_program, transpose_rules)
from transforms.staging import stage
from xla_like import dtypes
from xla_like.backends.compile_cache import fingerprint
from xla_like.ir import Program, Var
from xla_like.passes import dead_code_elimination
from xla_like.primitives import higher_order as H
from xla_like.primitives.control_flow import cond_p, scan_p, while_p

# ---- sub-programs ---------------------------------------------------------------------

_CACHE_LIMIT = 512
_canonical = collections.OrderedDict()      # fingerprint -> the first Program with it
_derived = collections.OrderedDict()        # (what, program, masks) -> derived program


def _remember(cache, key, value):
    cache[key] = value
    if len(cache) > _CACHE_LIMIT:
        cache.popitem(last=False)
    return value


def canonical(program):
    """The first staged program structurally equal to ``program`` (same fingerprint:
    equations, params, constants' bits), so restaging a function gives the *same*
    Program object and caches keyed on params (the eager ``grad`` tape, ``jit``) hit.
    Keyed by structure, not by the Python function: a function that closes over a
    different array gets a different program."""
    key = fingerprint(program)
    if key is None:                 # a param with no exact token (a user's rule)
        return program
    hit = _canonical.get(key)
    if hit is not None:
        _canonical.move_to_end(key)
        return hit
    return _remember(_canonical, key, program)


def stage_closed(fun, avals, name):
    """Stage ``fun(*flat) -> flat`` (it may only use its inputs and concrete values)
    into a canonical program."""
    program, captured = stage(fun, list(avals), [f"x{i}" for i in range(len(avals))], name)
    assert not captured, f"{name}: a derived sub-program captured an outer value"
    return canonical(dead_code_elimination(program))


def close_over(staged):
    """``[(program, captured)]`` -> ``(programs, consts)``: every program takes all the
    captured values (``consts``, deduplicated) as its leading inputs."""
    consts, position = [], {}
    for _, captured in staged:
        for c in captured:
            if id(c) not in position:
                position[id(c)] = len(consts)
                consts.append(c)
    programs = []
    for program, captured in staged:
        own = {position[id(c)]: v for c, v in zip(captured, program.invars)}
        lead = [own.get(i, Var(c.aval)) for i, c in enumerate(consts)]
        programs.append(canonical(Program(lead + list(program.invars[len(captured):]),
                                          program.constvars, program.consts, program.eqns,
                                          program.outvars)))
    return programs, consts


def reorder(program, in_order=None, out_order=None):
    """``program`` with its inputs (outputs) permuted: new input ``k`` is old ``in_order[k]``."""
    invars = program.invars if in_order is None else [program.invars[i] for i in in_order]
    outvars = program.outvars if out_order is None else [program.outvars[i] for i in out_order]
    return canonical(Program(invars, program.constvars, program.consts, program.eqns, outvars))


def with_unused_inputs(program, avals):
    """``program`` taking extra trailing inputs of ``avals`` that it ignores."""
    invars = list(program.invars) + [Var(a) for a in avals]
    return canonical(Program(invars, program.constvars, program.consts, program.eqns,
                             program.outvars))


def depends(program, mask):
    """Which outputs depend on the inputs selected by ``mask`` (one loop over eqns; a
    nested call or loop is looked into, so a primal output of a JVP loop does not
    count as depending on its tangent inputs)."""
    dep = {v for v, m in zip(program.invars, mask) if m}
    for eqn in program.eqns:
        in_mask = [isinstance(a, Var) and a in dep for a in eqn.inputs]
        if not any(in_mask):
            continue
        rule = _DEPENDS.get(eqn.prim)
        out_mask = rule(eqn, in_mask) if rule else [True] * len(eqn.outputs)
        dep.update(v for v, m in zip(eqn.outputs, out_mask) if m)
    return [isinstance(a, Var) and a in dep for a in program.outvars]


def _cond_depends(eqn, mask):
    if mask[0]:
        return [True] * len(eqn.outputs)
    per_branch = [depends(b, mask[1:]) for b in eqn.params["branches"]]
    return [any(col) for col in zip(*per_branch)]


def _while_depends(eqn, mask):
    p = eqn.params
    nc, nb = p["cond_num_consts"], p["body_num_consts"]
    carry = _carry_fixpoint(p["body_program"], mask[nc:nc + nb], mask[nc + nb:], [],
                            floats_only=False)
    if any(depends(p["cond_program"], mask[:nc] + carry)):
        return [True] * len(eqn.outputs)
    return carry


def _scan_depends(eqn, mask):
    p = eqn.params
    nc, ncar = p["num_consts"], p["num_carry"]
    carry = _carry_fixpoint(p["body"], mask[:nc], mask[nc:nc + ncar], mask[nc + ncar:],
                            floats_only=False)
    return carry + depends(p["body"], mask[:nc] + carry + mask[nc + ncar:])[ncar:]


def _call_depends(param):
    return lambda eqn, mask: depends(eqn.params[param], mask)


_DEPENDS = {cond_p: _cond_depends, while_p: _while_depends, scan_p: _scan_depends,
            H.remat_p: _call_depends("body"), H.jit_p: _call_depends("program"),
            H.custom_jvp_call_p: _call_depends("call"),
            H.custom_vjp_call_p: _call_depends("call")}


def _split(seq, *sizes):
    out, start = [], 0
    for n in sizes:
        out.append(list(seq[start:start + n]))
        start += n
    out.append(list(seq[start:]))
    return out


def _under_partial_eval():
    return isinstance(current_interpreter(), PartialEvalInterpreter)


def _inexact(aval):
    return dtypes.is_inexact(aval.dtype)


def _expand(live, mask, avals):
    """Tangents for every output: ``live`` ones where ``mask``, symbolic zeros elsewhere."""
    it = iter(live)
    return [next(it) if m else Zero(tangent_aval(a)) for m, a in zip(mask, avals)]


def _zeros(aval):
    return ops.zeros_like_aval(tangent_aval(aval))


# ---- JVP --------------------------------------------------------------------------------

def jvp_program(program, nonzero, force=None):
    """The JVP of ``program``: inputs ``(*primals, *tangents where nonzero)``, outputs
    ``(*primal outs, *tangents where out_mask)``; returns ``(program, out_mask)``.  An
    output's tangent is there when it is not identically zero or ``force`` asks for it
    (float outputs only)."""
    force = tuple(force or [False] * len(program.outvars))
    key = ("jvp", program, tuple(nonzero), force)
    if key in _derived:
        return _derived[key]
    avals = program.in_avals
    live = [i for i, nz in enumerate(nonzero) if nz]
    mask = []

    def fun(*xs):
        tangents = [Zero(tangent_aval(a)) for a in avals]
        for i, t in zip(live, xs[len(avals):]):
            tangents[i] = t
        outs, t_outs = jvp_flat(lambda *ys: run_program(program, *ys), list(xs[:len(avals)]),
                                tangents)
        mask.extend(_inexact(o.aval) and (f or not is_zero(t))
                    for o, t, f in zip(outs, t_outs, force))
        return outs + [instantiate(t) for t, m in zip(t_outs, mask) if m]
    in_avals = list(avals) + [tangent_aval(avals[i]) for i in live]
    derived = stage_closed(fun, in_avals, "jvp")
    return _remember(_derived, key, (derived, mask))


def _carry_fixpoint(body, before, carry_mask, after, floats_only=True):
    """Smallest carry mask containing ``carry_mask`` that the body's carry outputs
    (its first outputs) keep: a carry whose output depends on a marked input is marked
    (only float carries, which have tangents, unless ``floats_only`` is False)."""
    carry_mask = list(carry_mask)
    floats = [_inexact(a) or not floats_only for a in body.out_avals[:len(carry_mask)]]
    while True:
        out = depends(body, list(before) + carry_mask + list(after))[:len(carry_mask)]
        grown = [(a or b) and f for a, b, f in zip(carry_mask, out, floats)]
        if grown == carry_mask:
            return carry_mask
        carry_mask = grown


def _nonzero(tangents):
    return [not is_zero(t) for t in tangents]


def _cond_jvp(primals, tangents, branches):
    index, *operands = primals
    nz = _nonzero(tangents[1:])
    n_out = len(branches[0].outvars)
    masks = [jvp_program(b, nz)[1] for b in branches]
    out_nz = [any(m[i] for m in masks) for i in range(n_out)]
    jvp_branches = tuple(jvp_program(b, nz, out_nz)[0] for b in branches)
    live = [t for t, z in zip(tangents[1:], nz) if z]
    if _under_partial_eval():
        outs = bind(cond_p, index, *operands, branches=branches)
        t_outs = bind(cond_p, index, *operands, *live, branches=jvp_branches)[n_out:]
    else:
        results = bind(cond_p, index, *operands, *live, branches=jvp_branches)
        outs, t_outs = results[:n_out], results[n_out:]
    return outs, _expand(t_outs, out_nz, branches[0].out_avals)


jvp_rules[cond_p] = _cond_jvp


def _scan_jvp(primals, tangents, body, length, reverse, num_consts, num_carry):
    consts, carry, xs = _split(primals, num_consts, num_carry)
    nz_c, nz_carry, nz_x = _split(_nonzero(tangents), num_consts, num_carry)
    nz_carry = _carry_fixpoint(body, nz_c, nz_carry, nz_x)
    n_ys = len(body.outvars) - num_carry
    jbody, mask = jvp_program(body, nz_c + nz_carry + nz_x, nz_carry + [False] * n_ys)
    t_consts, t_carry, t_xs = ([t for t, z in zip(ts, nz) if z] for ts, nz in
                               zip(_split(tangents, num_consts, num_carry),
                                   (nz_c, nz_carry, nz_x)))
    t_carry = [instantiate(t) for t in t_carry]
    n, nt = len(primals), [len(t_consts), len(t_carry), len(t_xs)]
    # jbody's inputs are (consts, carry, xs, their tangents): interleave per group
    in_order = (list(range(num_consts)) + list(range(n, n + nt[0]))
                + list(range(num_consts, num_consts + num_carry))
                + list(range(n + nt[0], n + nt[0] + nt[1]))
                + list(range(num_consts + num_carry, n)) + list(range(n + nt[0] + nt[1], n + sum(nt))))
    n_out, n_ty = len(body.outvars), sum(mask[num_carry:])
    out_order = (list(range(num_carry)) + list(range(n_out, n_out + nt[1]))
                 + list(range(num_carry, n_out)) + list(range(n_out + nt[1], n_out + nt[1] + n_ty)))
    jbody = reorder(jbody, in_order, out_order)
    params = dict(body=jbody, length=length, reverse=reverse,
                  num_consts=num_consts + nt[0], num_carry=num_carry + nt[1])
    args = consts + t_consts + carry + t_carry + xs + t_xs
    if _under_partial_eval():
        outs = bind(scan_p, *primals, body=body, length=length, reverse=reverse,
                    num_consts=num_consts, num_carry=num_carry)
        results = bind(scan_p, *args, **params)
    else:
        results = bind(scan_p, *args, **params)
        outs = results[:num_carry] + results[num_carry + nt[1]:num_carry + nt[1] + n_ys]
    t_carry_out = results[num_carry:num_carry + nt[1]]
    t_ys = results[num_carry + nt[1] + n_ys:]
    out_avals = [v.aval for v in outs]
    return outs, (_expand(t_carry_out, nz_carry, out_avals[:num_carry])
                  + _expand(t_ys, mask[num_carry:], out_avals[num_carry:]))


jvp_rules[scan_p] = _scan_jvp


def _while_jvp(primals, tangents, cond_program, body_program, cond_num_consts,
               body_num_consts):
    cconsts, bconsts, carry = _split(primals, cond_num_consts, body_num_consts)
    _, nz_b, nz_carry = _split(_nonzero(tangents), cond_num_consts, body_num_consts)
    nz_carry = _carry_fixpoint(body_program, nz_b, nz_carry, [])
    jbody, _ = jvp_program(body_program, nz_b + nz_carry, nz_carry)
    t_b = [t for t, z in zip(tangents[cond_num_consts:], nz_b) if z]
    t_carry = [instantiate(t) for t, z in zip(tangents[len(cconsts) + len(bconsts):], nz_carry)
               if z]
    nb, nc = len(bconsts), len(carry)
    # jbody's inputs: (bconsts, carry, t_bconsts, t_carry) -> (bconsts, t_b, carry, t_carry)
    in_order = (list(range(nb)) + list(range(nb + nc, nb + nc + len(t_b)))
                + list(range(nb, nb + nc))
                + list(range(nb + nc + len(t_b), nb + nc + len(t_b) + len(t_carry))))
    jbody = reorder(jbody, in_order)
    jcond = with_unused_inputs(cond_program, [t.aval for t in t_carry])
    args = cconsts + bconsts + t_b + carry + t_carry
    params = dict(cond_program=jcond, body_program=jbody, cond_num_consts=cond_num_consts,
                  body_num_consts=nb + len(t_b))
    if _under_partial_eval():
        outs = bind(while_p, *primals, cond_program=cond_program, body_program=body_program,
                    cond_num_consts=cond_num_consts, body_num_consts=body_num_consts)
        t_outs = bind(while_p, *args, **params)[nc:]
    else:
        results = bind(while_p, *args, **params)
        outs, t_outs = results[:nc], results[nc:]
    return outs, _expand(t_outs, nz_carry, [v.aval for v in outs])


jvp_rules[while_p] = _while_jvp


# ---- transposes ---------------------------------------------------------------------------

def transpose_program(program, linear, has_ct):
    """The transpose of ``program`` (linear in the inputs marked ``linear``): inputs
    ``(*known inputs, *cotangents of the outputs marked has_ct)``, outputs the
    cotangents of the linear inputs (zeros where none flows)."""
    key = ("transpose", program, tuple(linear), tuple(has_ct))
    if key in _derived:
        return _derived[key]
    avals = program.in_avals
    n_known = sum(not lin for lin in linear)

    def fun(*xs):
        known, cts = iter(xs[:n_known]), iter(xs[n_known:])
        filled = [_zeros(a) if lin else next(known) for a, lin in zip(avals, linear)]
        _, linear_fn = linearize_flat(lambda *ys: run_program(program, *ys), filled, linear)
        out_cts = [next(cts) if c else None for c in has_ct]
        live = [ct for ct, z in zip(out_cts, linear_fn.out_zero) if not z]
        in_cts = backward_pass(linear_fn, live)
        lin_avals = [a for a, lin in zip(avals, linear) if lin]
        return [_zeros(a) if ct is None else ct for ct, a in zip(in_cts, lin_avals)]
    in_avals = ([a for a, lin in zip(avals, linear) if not lin]
                + [tangent_aval(v.aval) for v, c in zip(program.outvars, has_ct) if c])
    return _remember(_derived, key, stage_closed(fun, in_avals, "transpose"))


def _cts_or_zeros(cts, avals, mask):
    return [_zeros(a) if ct is None else ct for ct, a, m in zip(cts, avals, mask) if m]


def _cond_transpose(cts, index, *operands, branches):
    linear = [is_linear(o) for o in operands]
    out_avals = branches[0].out_avals
    has_ct = [ct is not None and _inexact(a) for ct, a in zip(cts, out_avals)]
    transposed = tuple(transpose_program(b, linear, has_ct) for b in branches)
    known = [o for o in operands if not is_linear(o)]
    in_cts = iter(bind(cond_p, index, *known, *_cts_or_zeros(cts, out_avals, has_ct),
                       branches=transposed))
    return [None] + [next(in_cts) if lin else None for lin in linear]


transpose_rules[cond_p] = _cond_transpose


def _known_program(body, linear, keep, extra_outputs=()):
    """``body`` restricted to its known inputs (linear ones read as zeros): outputs
    those selected by ``keep``, then the known inputs selected by ``extra_outputs``."""
    avals = body.in_avals
    known_avals = [a for a, lin in zip(avals, linear) if not lin]

    def fun(*xs):
        it = iter(xs)
        filled = [_zeros(a) if lin else next(it) for a, lin in zip(avals, linear)]
        outs = run_program(body, *filled)
        known = [x for x, lin in zip(filled, linear) if not lin]
        return ([o for o, k in zip(outs, keep) if k]
                + [x for x, e in zip(known, extra_outputs) if e])
    return stage_closed(fun, known_avals, "known part")


def _scan_transpose_core(cts, consts, carry, xs, body, length, reverse, lin_carry):
    """Cotangents of the linear operands of a scan (``cts``: one per output)."""
    nc, ncar = len(consts), len(carry)
    lin_c, lin_x = [is_linear(c) for c in consts], [is_linear(x) for x in xs]
    lin_in = lin_c + lin_carry + lin_x
    out_lin = depends(body, lin_in)
    out_avals = body.out_avals
    lin_ys = out_lin[ncar:]
    # 1. forward scan of the known part, saving the known carry entering each iteration
    known_consts = [c for c, lin in zip(consts, lin_c) if not lin]
    known_carry = [c for c, lin in zip(carry, lin_carry) if not lin]
    known_xs = [x for x, lin in zip(xs, lin_x) if not lin]
    n_kc = len(known_carry)
    saved = []
    if n_kc:
        keep = [not lin for lin in lin_carry] + [False] * len(lin_ys)
        extra = [False] * len(known_consts) + [True] * n_kc + [False] * len(known_xs)
        fwd = _known_program(body, lin_in, keep, extra)
        saved = bind(scan_p, *known_consts, *known_carry, *known_xs, body=fwd,
                     length=length, reverse=reverse, num_consts=len(known_consts),
                     num_carry=n_kc)[n_kc:]
    # 2. reverse scan of the transposed body
    has_ct = lin_carry + lin_ys
    tbody = transpose_program(body, lin_in, has_ct)
    ct_carry = _cts_or_zeros(cts[:ncar], out_avals[:ncar], lin_carry)
    ct_ys = [ct if ct is not None else _zeros(a.update(shape=(length,) + a.shape))
             for ct, a, m in zip(cts[ncar:], out_avals[ncar:], lin_ys) if m]
    acc = [_zeros(c.aval) for c in consts if is_linear(c)]
    rbody = _reverse_body(tbody, lin_c, lin_carry, lin_x, len(known_consts),
                          [x.aval for x in known_xs], [s.aval for s in saved],
                          [a.aval for a in ct_ys])
    n_rc = len(ct_carry) + len(acc)
    outs = bind(scan_p, *known_consts, *ct_carry, *acc, *known_xs, *saved, *ct_ys,
                body=rbody, length=length, reverse=not reverse,
                num_consts=len(known_consts), num_carry=n_rc)
    ct_init, ct_consts, ct_xs = _split(outs, len(ct_carry), len(acc))
    return _place(ct_consts, lin_c), _place(ct_init, lin_carry), _place(ct_xs, lin_x)


def _place(values, mask):
    it = iter(values)
    return [next(it) if m else None for m in mask]


def _reverse_body(tbody, lin_c, lin_carry, lin_x, n_kconsts, kx_avals, saved_avals,
                  ct_y_avals):
    """One step of the reverse scan: carry (cts of linear carries, accumulated cts of
    linear consts); per iteration the known xs, the saved known carry and the ys' cts."""
    n_lc, n_acc = sum(lin_carry), sum(lin_c)
    n_kx, n_saved = len(kx_avals), len(saved_avals)

    def fun(*xs):
        kconsts, ct_carry, acc, kx, saved, ct_y = _split(xs, n_kconsts, n_lc, n_acc, n_kx,
                                                         n_saved)
        in_cts = run_program(tbody, *kconsts, *saved, *kx, *ct_carry, *ct_y)
        d_consts, d_carry, d_xs = _split(in_cts, n_acc, n_lc)
        return d_carry + [ops.add(a, d) for a, d in zip(acc, d_consts)] + d_xs
    tb_avals = tbody.in_avals
    kc_avals = tb_avals[:n_kconsts]
    ct_carry_avals = tb_avals[n_kconsts + n_saved + n_kx:n_kconsts + n_saved + n_kx + n_lc]
    acc_avals = [a for a in tbody.out_avals[:n_acc]]
    slices = [a.update(shape=a.shape[1:]) for a in list(kx_avals) + list(saved_avals)
              + list(ct_y_avals)]
    return stage_closed(fun, list(kc_avals) + list(ct_carry_avals) + acc_avals + slices,
                        "scan transpose")


def _scan_transpose(cts, *operands, body, length, reverse, num_consts, num_carry):
    consts, carry, xs = _split(operands, num_consts, num_carry)
    lin_carry = _carry_fixpoint(body, [is_linear(c) for c in consts],
                                [is_linear(c) for c in carry], [is_linear(x) for x in xs])
    ct_c, ct_carry, ct_x = _scan_transpose_core(list(cts), consts, carry, xs, body, length,
                                                reverse, lin_carry)
    ct_carry = [ct if is_linear(c) else None for ct, c in zip(ct_carry, carry)]
    return ct_c + ct_carry + ct_x


transpose_rules[scan_p] = _scan_transpose
