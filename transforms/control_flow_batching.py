"""Batching rules (``batch_rules``) of the control-flow primitives.

- ``cond`` with an unbatched index stays one ``cond`` over batched branches; with a
  batched index every branch runs on the whole batch and ``select_n`` picks each
  element's result (cost: the sum of all branches, as in JAX).
- ``while`` with an unbatched predicate stays one loop over batched cond/body
  programs; with a batched predicate the loop runs until every element's predicate
  is false, and each iteration keeps the old carry of the elements already done
  (cost: the longest element's trip count, times the batch, plus a select per carry).
- ``scan`` batches its consts, carry and xs (the xs' batch axis goes right after the
  scan axis, so the stacked ys come back batched at axis 1).

A carry is batched when its initial value is, or when the body makes it so (a
fixpoint: the body is batched again until the carry's batching is stable).
"""
from transforms import ops
from transforms.control_flow_rules import stage_closed
from transforms.core import bind
from transforms.linearize import run_program
from transforms.vmap import batch_rules, batch_size, broadcast_batched, move_bdim, vmap_flat
from transforms.vmap_rules import batched_avals
from xla_like import dtypes
from xla_like import primitives as P
from xla_like.primitives.control_flow import cond_p, scan_p, while_p


def batch_program(program, in_bdims, size, force):
    """Stage ``vmap`` of ``program`` with inputs batched at ``in_bdims``; outputs that
    come out batched, or that ``force`` marks, are batched at 0.  Returns
    ``(program, out_batched)``."""
    avals = batched_avals(program, in_bdims, size)
    out_batched = []

    def batched(*xs):
        outs, out_bdims = vmap_flat(lambda *ys: run_program(program, *ys), list(xs),
                                    list(in_bdims), size)
        out_batched.extend(f or b is not None for b, f in zip(out_bdims, force))
        return [broadcast_batched(o, b, size, 0) if batched else o
                for o, b, batched in zip(outs, out_bdims, out_batched)]
    return stage_closed(batched, avals, "vmap"), out_batched


def _carry_batching(body, before_bdims, carry_batched, after_bdims, size):
    """Batch ``body`` (inputs: before, carry, after) until the carries it batches are
    exactly the batched carries; returns ``(program, carry_batched, out_batched)``."""
    carry_batched = list(carry_batched)
    n_carry, n_out = len(carry_batched), len(body.outvars)
    while True:
        carry_bdims = [0 if b else None for b in carry_batched]
        force = carry_batched + [False] * (n_out - n_carry)
        program, out_batched = batch_program(body, list(before_bdims) + carry_bdims
                                             + list(after_bdims), size, force)
        if out_batched[:n_carry] == carry_batched:
            return program, carry_batched, out_batched
        carry_batched = [a or b for a, b in zip(carry_batched, out_batched)]


def _at0(values, bdims, batched, size):
    return [broadcast_batched(v, b, size, 0) if m else v
            for v, b, m in zip(values, bdims, batched)]


# ---- cond -------------------------------------------------------------------------------

def _cond_batch(args, bdims, branches):
    index, *operands = args
    index_bdim, *op_bdims = bdims
    size = batch_size(args, bdims)
    n_out = len(branches[0].outvars)
    if index_bdim is None:
        new = tuple(batch_program(b, op_bdims, size, [True] * n_out)[0] for b in branches)
        return bind(cond_p, index, *operands, branches=new), [0] * n_out
    results = []
    for branch in branches:
        outs, out_bdims = vmap_flat(lambda *xs, b=branch: run_program(b, *xs), operands,
                                    op_bdims, size)
        results.append([broadcast_batched(o, b, size, 0) for o, b in zip(outs, out_bdims)])
    which = _selector(move_bdim(index, index_bdim, 0), len(branches))
    outs = []
    for j in range(n_out):
        cases = [r[j] for r in results]
        pred = ops.broadcast_in_dim(which, cases[0].aval.shape, (0,))
        outs.append(bind(P.select_n_p, pred, *cases))
    return outs, [0] * n_out


def _selector(index, n):
    """``select_n``'s predicate for a per-element branch index: bool for two branches,
    else int32 clamped into range (as ``cond`` clamps)."""
    if index.aval.dtype == dtypes.bool_:
        return index
    index = ops.convert(index, dtypes.canonicalize("int32"))
    lo, hi = ops.constant(0, index.aval.dtype), ops.constant(n - 1, index.aval.dtype)
    return bind(P.clamp_p, lo, index, hi)


batch_rules[cond_p] = _cond_batch


# ---- while ------------------------------------------------------------------------------

def _while_batch(args, bdims, cond_program, body_program, cond_num_consts, body_num_consts):
    size = batch_size(args, bdims)
    nc, nb = cond_num_consts, body_num_consts
    cconsts, bconsts, carry = args[:nc], args[nc:nc + nb], args[nc + nb:]
    c_bd, b_bd, carry_bd = bdims[:nc], bdims[nc:nc + nb], bdims[nc + nb:]
    body, carry_batched, _ = _carry_batching(body_program, b_bd,
                                             [b is not None for b in carry_bd], [], size)
    carry_bdims = [0 if b else None for b in carry_batched]
    cond, pred_batched = batch_program(cond_program, list(c_bd) + carry_bdims, size, [False])
    if not pred_batched[0]:
        carry = _at0(carry, carry_bd, carry_batched, size)
        outs = bind(while_p, *cconsts, *bconsts, *carry, cond_program=cond,
                    body_program=body, cond_num_consts=nc, body_num_consts=nb)
        return outs, carry_bdims
    return _masked_while(cconsts, bconsts, carry, c_bd, b_bd, carry_bd, cond_program,
                         body_program, size)


def _masked_while(cconsts, bconsts, carry, c_bd, b_bd, carry_bd, cond_program, body_program,
                  size):
    """The loop for a batched predicate: every carry batched at 0; an element whose
    predicate is false keeps its carry while the others go on."""
    n = len(carry)
    body, _ = batch_program(body_program, list(b_bd) + [0] * n, size, [True] * n)
    cond, _ = batch_program(cond_program, list(c_bd) + [0] * n, size, [True])
    nc, nb = len(cconsts), len(bconsts)
    carry = [broadcast_batched(c, b, size, 0) for c, b in zip(carry, carry_bd)]

    def any_running(*xs):
        (pred,) = run_program(cond, *xs)
        return [bind(P.reduce_or_p, pred, axes=(0,))]

    def masked_body(*xs):
        (pred,) = run_program(cond, *xs[:nc], *xs[nc + nb:])
        new = run_program(body, *xs[nc:])
        return [ops.select(ops.broadcast_in_dim(pred, old.aval.shape, (0,)), old, upd)
                for old, upd in zip(xs[nc + nb:], new)]
    c_avals = [v.aval for v in cond.invars]
    m_cond = stage_closed(any_running, c_avals, "vmap")
    m_body = stage_closed(masked_body, c_avals[:nc] + [v.aval for v in body.invars],
                          "vmap")
    outs = bind(while_p, *cconsts, *cconsts, *bconsts, *carry, cond_program=m_cond,
                body_program=m_body, cond_num_consts=nc, body_num_consts=nc + nb)
    return outs, [0] * n


batch_rules[while_p] = _while_batch


# ---- scan -------------------------------------------------------------------------------

def _scan_batch(args, bdims, body, length, reverse, num_consts, num_carry):
    size = batch_size(args, bdims)
    nc, ncar = num_consts, num_carry
    consts, carry, xs = args[:nc], args[nc:nc + ncar], args[nc + ncar:]
    c_bd, carry_bd, x_bd = bdims[:nc], bdims[nc:nc + ncar], bdims[nc + ncar:]
    # the scan axis stays first: a batched x goes to axis 1, so its slices are at 0
    xs = [x if b is None else move_bdim(x, b, 1) for x, b in zip(xs, x_bd)]
    slice_bd = [None if b is None else 0 for b in x_bd]
    new_body, carry_batched, out_batched = _carry_batching(
        body, c_bd, [b is not None for b in carry_bd], slice_bd, size)
    carry = _at0(carry, carry_bd, carry_batched, size)
    outs = bind(scan_p, *consts, *carry, *xs, body=new_body, length=length, reverse=reverse,
                num_consts=nc, num_carry=ncar)
    out_bdims = ([0 if b else None for b in carry_batched]
                 + [1 if b else None for b in out_batched[ncar:]])
    return outs, out_bdims


batch_rules[scan_p] = _scan_batch
