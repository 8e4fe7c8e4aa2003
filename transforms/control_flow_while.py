"""The transpose of ``while`` (reverse mode through ``lax.while_loop``, which JAX
refuses): a forward while that counts the iterations (the trip count ``n``), then:

- with ``n`` concrete (eager reverse mode), the scan transpose with ``length=n``
  (``control_flow_rules._scan_transpose_core``; memory ``n`` carries);
- with ``n`` traced (under ``jit``/``make_ir``, where shapes cannot depend on it), a
  reverse while that recomputes the carry of iteration ``k`` from the initial one
  before transposing it: constant memory, ``O(n**2)`` body runs.

The loop condition must not depend on a linear value (it would not be a loop of
known trip count in the tangent program); that raises ``NotImplementedError``.
"""
from transforms import ops
from transforms.control_flow_rules import (_carry_fixpoint, _cts_or_zeros, _known_program,
                                           _place, _scan_transpose_core, _split, _zeros,
                                           depends, stage_closed, transpose_program)
from transforms.core import Tracer, bind
from transforms.linearize import is_linear, run_program, transpose_rules
from xla_like import dtypes
from xla_like.primitives.control_flow import while_p


def _counting_programs(cond_program, body_program):
    """A cond and a body for a while over ``(count, *carry)`` that also counts trips."""
    count = dtypes.canonicalize("int32")
    count_aval = ops.constant(0, count).aval
    nc = len(cond_program.invars) - len(body_program.outvars)
    nb = len(body_program.invars) - len(body_program.outvars)

    def cond(*xs):
        return run_program(cond_program, *xs[:nc], *xs[nc + 1:])

    def body(*xs):
        one = ops.constant(1, count)
        return [ops.add(xs[nb], one)] + run_program(body_program, *xs[:nb], *xs[nb + 1:])
    c_avals, b_avals = cond_program.in_avals, body_program.in_avals
    return (stage_closed(cond, list(c_avals[:nc]) + [count_aval] + list(c_avals[nc:]),
                         "trip count"),
            stage_closed(body, list(b_avals[:nb]) + [count_aval] + list(b_avals[nb:]),
                         "trip count"))


def _trip_count(cconsts, bconsts, carry, cond_program, body_program):
    """Run the loop once more, counting its iterations (an int32 scalar)."""
    cond, body = _counting_programs(cond_program, body_program)
    zero = ops.constant(0, dtypes.canonicalize("int32"))
    return bind(while_p, *cconsts, *bconsts, zero, *carry, cond_program=cond,
                body_program=body, cond_num_consts=len(cconsts),
                body_num_consts=len(bconsts))[0]


def _while_transpose(cts, *operands, cond_program, body_program, cond_num_consts,
                     body_num_consts):
    cconsts, bconsts, carry = _split(operands, cond_num_consts, body_num_consts)
    if any(is_linear(c) for c in cconsts):
        raise NotImplementedError("transpose of while: the loop condition depends on a "
                                  "linear value")
    lin_b = [is_linear(b) for b in bconsts]
    lin_carry = _carry_fixpoint(body_program, lin_b, [is_linear(c) for c in carry], [])
    if any(depends(cond_program, [False] * len(cconsts) + lin_carry)):
        raise NotImplementedError("transpose of while: the loop condition depends on a "
                                  "linear carry")
    known_b = [b for b, lin in zip(bconsts, lin_b) if not lin]
    known_carry = [c for c, lin in zip(carry, lin_carry) if not lin]
    kcond = _known_program(cond_program, [False] * len(cconsts) + lin_carry, [True])
    kbody = _known_program(body_program, lin_b + lin_carry, [not lin for lin in lin_carry])
    n = _trip_count(cconsts, known_b, known_carry, kcond, kbody)
    if not isinstance(n, Tracer):           # eager: save each iteration's carry
        ct_b, ct_carry, _ = _scan_transpose_core(list(cts), bconsts, carry, [], body_program,
                                                 int(n._value), False, lin_carry)
    else:                                   # traced trip count: recompute instead
        ct_b, ct_carry = _while_transpose_recompute(
            list(cts), n, bconsts, carry, known_b, known_carry, kbody, body_program,
            lin_b, lin_carry)
    ct_carry = [ct if is_linear(c) else None for ct, c in zip(ct_carry, carry)]
    return [None] * len(cconsts) + ct_b + ct_carry


transpose_rules[while_p] = _while_transpose


def _fori_program(kbody, n_consts):
    """A while body/cond pair running ``kbody`` for ``j`` in ``[0, k)``: the cond takes
    ``(k, j, *carry)``, the body ``(*consts, j, *carry)``."""
    count = dtypes.canonicalize("int32")
    index = ops.constant(0, count).aval
    carry_avals = kbody.out_avals

    def cond(k, j, *carry):
        return [ops.lt(j, k)]

    def body(*xs):
        j = xs[n_consts]
        return [ops.add(j, ops.constant(1, count))] + run_program(
            kbody, *xs[:n_consts], *xs[n_consts + 1:])
    return (stage_closed(cond, [index, index] + list(carry_avals), "recompute"),
            stage_closed(body, list(kbody.in_avals[:n_consts]) + [index] + list(carry_avals),
                         "recompute"))


def _while_transpose_recompute(cts, n, bconsts, carry, known_b, known_carry, kbody, body,
                               lin_b, lin_carry):
    """Reverse while over ``k = n-1 .. 0``: recompute the known carry entering
    iteration ``k`` (a fori from the initial carry), then apply the transposed body."""
    count = dtypes.canonicalize("int32")
    tbody = transpose_program(body, lin_b + lin_carry, lin_carry)
    fcond, fbody = _fori_program(kbody, len(known_b))
    n_kb, n_kc, n_lc, n_acc = len(known_b), len(known_carry), sum(lin_carry), sum(lin_b)
    ct_carry = _cts_or_zeros(cts, body.out_avals, lin_carry)
    acc = [_zeros(b.aval) for b in bconsts if is_linear(b)]

    def rcond(k, *rest):
        return [ops.ge(k, ops.constant(0, count))]

    def rbody(*xs):
        kb, init, (k,), ct_c, accs = _split(xs, n_kb, n_kc, 1, n_lc)
        zero = ops.constant(0, count)
        state = bind(while_p, k, *kb, zero, *init, cond_program=fcond, body_program=fbody,
                     cond_num_consts=1, body_num_consts=n_kb)[1:]
        d_b, d_carry = _split(run_program(tbody, *kb, *state, *ct_c), n_acc)
        return ([ops.sub(k, ops.constant(1, count))] + d_carry
                + [ops.add(a, d) for a, d in zip(accs, d_b)])
    index = ops.constant(0, count).aval
    r_avals = ([x.aval for x in known_b + known_carry] + [index]
               + [c.aval for c in ct_carry] + [a.aval for a in acc])
    rbody_p = stage_closed(rbody, r_avals, "while transpose")
    rcond_p = stage_closed(rcond, r_avals[n_kb + n_kc:], "while transpose")
    start = ops.sub(n, ops.constant(1, count))
    outs = bind(while_p, *known_b, *known_carry, start, *ct_carry, *acc, cond_program=rcond_p,
                body_program=rbody_p, cond_num_consts=0, body_num_consts=n_kb + n_kc)
    _, ct_c, ct_acc = _split(outs, 1, n_lc)
    return _place(ct_acc, lin_b), _place(ct_c, lin_carry)
