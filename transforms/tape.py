"""Taped reverse mode: eager ``grad``/``vjp`` that records, then reuses its backward program.

Reverse mode is linearize + transpose (``transforms/linearize.py``).  Run op by op
on concrete values, that costs three interpreter layers per operation (JVP, partial
evaluation, then a transpose rule per tangent equation), all of it Python.  This
module keeps the same mathematics but moves it off the per-call path:

1. ``TapeInterpreter`` runs the user's function on real values (prints and ``pdb``
   see them) and records each operation on a differentiated value: primitive,
   params and which recorded values it used.  Values it did not derive (closed-over
   arrays, Python scalars) are recorded as *leaves*, by aval only.
2. The recording's structure is the cache key.  On a miss, the backward program is
   derived once, symbolically: the recording is replayed under ``linearize`` and
   ``backward_pass`` inside a staging interpreter, the re-computed forward
   equations are replaced by the recorded values, and dead code is removed.  The
   result maps (recorded values it needs, output cotangents) to input cotangents.
3. The backward program is evaluated with the recorded values.  It contains the same
   primitives applied to the same values as the op-by-op path, so gradients agree
   bit for bit (a test pins that).

A hit costs the function itself, ~1 µs of recording per operation and one pass over
the backward program; a miss (a new structure) costs about 1.35x the op-by-op path
(measured over chains of 1-59 operations), so a function whose structure changes on
every call pays that on every call.

Functions whose derivative runs user Python (``custom_jvp``/``custom_vjp`` rules,
``checkpoint``) must run those rules on every call, so the first such operation
*upgrades* the recording: what was recorded so far is replayed once under JVP +
partial evaluation, and the rest of the call runs op by op as before.  Rules marked
``rule_is_pure`` (functorch_lite's own: ``nn.relu``, ``nn.logsumexp``, ...) are
recorded as one call instead, and derived with the rest.

The tape is used when ``grad``/``vjp`` is outermost or directly under ``vmap``
(see ``tape_applies``); under staging (``jit``, ``make_ir``) and forward mode the
op-by-op path is kept, since those programs are traced once anyway.  Under an
outermost ``vmap``, the backward program and pure-rule bodies run as programs
batched once per batch layout.  Deriving and running the backward program:
``transforms/tape_backward.py``.
"""
import collections
import threading

from transforms.array import Array
from transforms.core import (Interpreter, Tracer, attach, bind, concrete_value_of,
                             current_interpreter, detach, eager, interpreter_scope,
                             parent_scope, reenter)
from transforms.custom_derivatives import call_custom, custom_call_handlers
from transforms.jvp import JVPInterpreter, JVPTracer, Zero, tangent_aval
from transforms.linearize import LinearFunction, PartialEvalInterpreter, backward_pass
from transforms.tape_backward import (CUSTOM, BackwardPlan, CustomCall, evaluate_eagerly,
                                      replay_op, stage_batched)
from transforms.vmap import BatchInterpreter
from xla_like.primitives.control_flow import while_p
from xla_like.primitives.structural import broadcast_in_dim_p
from xla_like.primitives.higher_order import (custom_jvp_call_p, custom_lin_p,
                                              custom_vjp_call_p, remat_p)

# Primitives whose derivative runs user Python or trades memory on purpose: they
# upgrade the recording to the op-by-op path (see the module docstring).  A while
# loop does too: op by op its trip count is a known value and reverse mode saves one
# carry per iteration; in a derived program the count is traced, and reverse mode
# would recompute every carry from the start (quadratic time).
_NEEDS_RULES = frozenset([custom_jvp_call_p, custom_vjp_call_p, custom_lin_p, remat_p,
                          while_p])



class _LRU:
    """A bounded least-recently-used table, safe to use from several threads."""

    def __init__(self, limit):
        self.limit, self.table, self.lock = limit, collections.OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.table.get(key)
            if value is not None:
                self.table.move_to_end(key)
            return value

    def put(self, key, value):
        with self.lock:
            self.table[key] = value
            if len(self.table) > self.limit:
                self.table.popitem(last=False)

    def clear(self):
        with self.lock:
            self.table.clear()

    def __len__(self):
        return len(self.table)


_NO_PARAMS = {}                 # shared by recorded equations without params
_backward_cache = _LRU(256)     # recording structure -> BackwardPlan
_pure_bodies = _LRU(256)        # (custom function, batch layout) -> batched body


def recording_tape():
    """The tape when it records outermost with no other transform active, else None:
    then the NumPy layer may compute on recorded values itself and record with
    ``TapeInterpreter.record_broadcast``."""
    interp = current_interpreter()
    if type(interp) is TapeInterpreter and interp.parent is None and interp.upgrade is None:
        return interp
    return None


def tape_applies():
    """True when reverse mode should record: outermost, or directly under ``vmap``."""
    interp = current_interpreter()
    return interp is None or type(interp) is BatchInterpreter


class TapeTracer(Tracer):
    """A recorded value: ``value`` is the real (or parent-traced) value, ``id`` its slot."""
    __slots__ = ("value", "id", "aval")

    def __init__(self, interp, value, id):
        self._interp = interp
        self.value = value
        self.id = id
        self.aval = value.aval

    def __repr__(self):
        return f"Traced<{self.aval}> by grad, value {self.value!r}"


class TapeInterpreter(Interpreter):
    transform_name = "grad"

    def __init__(self):
        super().__init__()
        self.values = []        # slot -> value (Array, or a tracer of the parent)
        self.eqns = []          # (prim, params, input slots, output slots)
        self.leaves = []        # (slot, aval, kind) for inputs ("in") and leaves ("leaf")
        self._leaf_slots = {}   # id(value) -> slot
        self.deferred = {}      # slot -> its broadcast_in_dim equation, value not made
        self.upgrade = None     # _Upgrade once user rules appear

    # ---- recording ---------------------------------------------------------------

    def new_inputs(self, values):
        """A recorded input for each of ``values``: the values being differentiated."""
        tracers, leaves, recorded = [], self.leaves, self.values
        for value in values:
            recorded.append(value)
            leaves.append((len(recorded) - 1, value.aval, "in"))
            tracers.append(TapeTracer(self, value, len(recorded) - 1))
        return tracers

    def _new_slot(self, value):
        self.values.append(value)
        return len(self.values) - 1

    def _leaf(self, value):
        slot = self._leaf_slots.get(id(value))
        if slot is None:
            slot = self._new_slot(value)
            self._leaf_slots[id(value)] = slot
            self.leaves.append((slot, value.aval, "leaf"))
        return slot

    def process_primitive(self, prim, args, params):
        values, slots, own = [], [], False
        for a in args:
            if type(a) is TapeTracer and a._interp is self:
                values.append(a.value)
                slots.append(a.id)
                own = True
            else:
                values.append(a)
                slots.append(None)
        if not own:
            return self._below(prim, args, params)
        if self.upgrade is not None or prim in _NEEDS_RULES:
            return self._upgraded(prim, args, params)
        out = self._below(prim, values, params)
        if prim.effectful:
            if not out:
                return out                  # a print: it ran, nothing to differentiate
            raise NotImplementedError(f"grad of effectful primitive {prim.name} with outputs")
        for i, s in enumerate(slots):
            if s is None:
                slots[i] = self._leaf(values[i])
        recorded = self.values
        if prim.multiple_results:
            tracers = []
            for o in out:
                recorded.append(o)
                tracers.append(TapeTracer(self, o, len(recorded) - 1))
            self.eqns.append((prim, params, tuple(slots), tuple(t.id for t in tracers)))
            return tracers
        recorded.append(out)
        slot = len(recorded) - 1
        self.eqns.append((prim, params, tuple(slots), (slot,)))
        return TapeTracer(self, out, slot)

    def record(self, prim, params, args, out, slots=None):
        """Record ``prim`` on ``args`` (recorded values or Arrays) whose result ``out``
        (one Array) the caller computed; ``out`` itself when no argument is recorded.
        ``slots``: the arguments' slots where the caller found them (None for the
        others), to skip that search.  (The NumPy layer's eager fast paths call this
        once per operation, between large array operations: it makes few calls.)"""
        if slots is None or None in slots:
            slots = self._slots(args, slots)
            if slots is None:
                return out
        values = self.values
        values.append(out)
        self.eqns.append((prim, params, tuple(slots), (len(values) - 1,)))
        return TapeTracer(self, out, len(values) - 1)

    def record_broadcast(self, prim, args, out, slots=None):
        """Record ``prim`` on ``args`` (recorded values or Arrays) whose result ``out``
        the caller computed with NumPy broadcasting: a ``broadcast_in_dim`` for each
        operand of another shape, as the general path binds, then ``prim``.  The
        broadcasts' values are made only if the backward program reads them
        (``_materialize``); the NumPy layer's eager fast paths use this."""
        shape = out.aval.shape
        for a in args:
            if a.aval.shape != shape:
                break
        else:
            return self.record(prim, _NO_PARAMS, args, out, slots)
        slots = self._slots(args, slots)
        if slots is None:
            return out
        for i, a in enumerate(args):
            if a.aval.shape != shape:
                lead = len(shape) - len(a.aval.shape)
                params = {"shape": shape, "broadcast_dimensions": tuple(range(lead, len(shape)))}
                self.values.append(None)
                eqn = (broadcast_in_dim_p, params, (slots[i],), (len(self.values) - 1,))
                self.deferred[eqn[3][0]] = eqn
                self.eqns.append(eqn)
                slots[i] = eqn[3][0]
        self.values.append(out)
        self.eqns.append((prim, _NO_PARAMS, tuple(slots), (len(self.values) - 1,)))
        return TapeTracer(self, out, len(self.values) - 1)

    def _slots(self, args, known=None):
        """The slot of each argument (leaves recorded as needed), or None when no
        argument is one of this tape's recorded values.  ``known``: the recorded
        arguments' slots, None for the others, when the caller has them."""
        if known is None:
            known, own = [], False
            for a in args:
                if type(a) is TapeTracer and a._interp is self:
                    known.append(a.id)
                    own = True
                else:
                    known.append(None)
            if not own:
                return None
        if None in known:
            return [self._leaf(a) if s is None else s for s, a in zip(known, args)]
        return known

    def concrete_values(self, args):
        """The Arrays behind ``args`` (Arrays or this tape's recorded values), or None
        when one is anything else."""
        values = []
        for a in args:
            if type(a) is TapeTracer and a._interp is self:
                a = a.value
            if type(a) is not Array:
                return None
            values.append(a)
        return values

    def call_below(self, fun, values):
        """``fun(*values)`` with the interpreters below the tape active (none, for an
        outermost tape), as a recorded operation's implementation runs."""
        with parent_scope(self):
            return fun(*values)

    def record_custom(self, call, args, outs):
        """Record a pure-rule ``CustomCall`` on ``args`` whose outputs ``outs`` the
        caller computed; tracers of ``outs``, or ``outs`` themselves when no argument
        is recorded."""
        slots = self._slots(args)
        if slots is None:
            return outs
        tracers = [TapeTracer(self, o, self._new_slot(o)) for o in outs]
        self.eqns.append((CUSTOM, call, tuple(slots), tuple([t.id for t in tracers])))
        return tracers

    def _materialize(self, slots):
        """The values of ``slots``, making the deferred broadcasts among them."""
        values = self.values
        for s in slots:
            if values[s] is None:
                prim, params, (source,), _ = self.deferred[s]
                values[s] = eager(prim, [values[source]], params)
        return [values[s] for s in slots]

    def _below(self, prim, values, params):
        if self.parent is None:
            return eager(prim, values, params)
        with parent_scope(self):
            return bind(prim, *values, **params)

    def concrete_value(self, tracer, conversion):
        return concrete_value_of(tracer.value, conversion)

    def describe_tracer(self, tracer):
        return "It was created by grad/vjp (a recorded value)."

    # ---- the upgrade to the op-by-op path ------------------------------------------

    def _upgraded(self, prim, args, params):
        up = self.upgrade or self._start_upgrade()
        with reenter(up.jvp):
            out = bind(prim, *[up.lift(self, a) for a in args], **params)
        if prim.multiple_results:
            return [up.wrap(self, o) for o in out]
        return up.wrap(self, out)

    def custom_call(self, kind, fun, rules, args, name):
        """Handler for ``custom_jvp``/``custom_vjp`` functions called on recorded values:
        a pure rule (``rule_is_pure``) is recorded as one call; others upgrade."""
        if not any(type(a) is TapeTracer and a._interp is self for a in args):
            return fun(*args)   # recorded as its body: it may close over recorded values
        if self.upgrade is None and rules[0].cache_key is not None:
            call = CustomCall(kind, fun, rules, name)
            values = [a.value if type(a) is TapeTracer and a._interp is self else a
                      for a in args]
            with parent_scope(self):
                # only vmap below: nothing there needs the rules, so run just the body
                outs = (_run_pure_body(self.parent, call, values)
                        if _only_batching(self.parent)
                        else call_custom(kind, fun, rules, values, name))
            return self.record_custom(call, args, outs)
        up = self.upgrade or self._start_upgrade()
        with reenter(up.jvp):
            out = call_custom(kind, fun, rules, [up.lift(self, a) for a in args], name)
        return [up.wrap(self, o) for o in out]

    def _start_upgrade(self):
        self.upgrade = _Upgrade(self)
        self.proxy_for = self.upgrade.jvp
        return self.upgrade

    def unproxy(self, tracer):
        return self.upgrade.lifted[tracer.id]

    # ---- finishing -----------------------------------------------------------------

    def finish(self, outputs):
        """``(primal outputs, out_zero, backward)`` where ``backward(cts)`` maps one
        cotangent per output with ``out_zero`` False to one per input (None = zero)."""
        if self.upgrade is not None:
            return self.upgrade.finish(self, outputs)
        out_slots = tuple(o.id if type(o) is TapeTracer and o._interp is self
                          else self._leaf(o) for o in outputs)
        primals = [self.values[s] for s in out_slots]
        plan = _backward_plan(self, out_slots)
        values = self._materialize(plan.needed)

        def backward(cts):
            in_cts = iter(plan.run(values, cts))
            return [None if zero else next(in_cts) for zero in plan.in_zero]
        return primals, plan.out_zero, backward


class _Upgrade:
    """The JVP-over-partial-evaluation pair that takes over an upgraded recording."""

    def __init__(self, tape):
        self.pe = PartialEvalInterpreter()
        attach(self.pe, tape.parent)
        self.jvp = JVPInterpreter()
        attach(self.jvp, self.pe)
        self.lifted = [None] * len(tape.values)
        for k, (slot, aval, kind) in enumerate(tape.leaves):
            value = tape.values[slot]
            self.lifted[slot] = (JVPTracer(self.jvp, value, self.pe.new_input(
                tangent_aval(aval), f"tangent {k}")) if kind == "in" else value)
        with reenter(self.jvp):
            for prim, params, ins, outs in tape.eqns:
                out = replay_op(prim, params, [self.lifted[s] for s in ins])
                for s, o in zip(outs, out):
                    self.lifted[s] = o

    def lift(self, tape, x):
        return self.lifted[x.id] if type(x) is TapeTracer and x._interp is tape else x

    def wrap(self, tape, out):
        primal = out.primal if type(out) is JVPTracer and out._interp is self.jvp else out
        self.lifted.append(out)
        return TapeTracer(tape, primal, tape._new_slot(primal))

    def finish(self, tape, outputs):
        pairs = [self.jvp.lift(self.lift(tape, o)) for o in outputs]
        out_zero = [type(t) is Zero for _, t in pairs]
        program, residuals = self.pe.finish([t for _, t in pairs if type(t) is not Zero])
        detach(self.jvp)
        detach(self.pe)
        consts = [array for _, array in self.pe.constants()]
        in_avals = [tangent_aval(aval) for _, aval, kind in tape.leaves if kind == "in"]
        linear = LinearFunction(program, residuals, in_avals, out_zero, consts)
        primals = [tape.values[o.id] if type(o) is TapeTracer else o for o in outputs]
        return primals, out_zero, lambda cts: backward_pass(linear, cts)


def _only_batching(interp):
    """True when ``interp`` and all below it are vmaps (nothing differentiates or stages)."""
    while interp is not None:
        if type(interp) is not BatchInterpreter:
            return False
        interp = interp.parent
    return True


def _run_pure_body(interp, call, values):
    """The body of a pure-rule custom function (``interp`` is None or vmaps only):
    under one outermost vmap it runs as a batched program staged once per (function,
    batch layout); otherwise directly."""
    if interp is None or interp.parent is not None:
        return call.fun(*values)
    unbatched, bdims = zip(*[interp.lift(v) for v in values])
    key = (call.key(), bdims, tuple(v.aval for v in unbatched), interp.axis_size,
           interp.axis_name)
    try:
        entry = _pure_bodies.get(key)
    except TypeError:                       # an unhashable nondiff argument
        return call.fun(*values)
    if entry is None:
        with reenter(None):
            program, out_bdims = stage_batched(call.fun, unbatched, bdims, interp)
        entry = (program, out_bdims, call.fun.out_tree[-1])
        _pure_bodies.put(key, entry)
    else:
        call.fun.out_tree.append(entry[2])
    outs = evaluate_eagerly(entry[0], unbatched)
    return [interp.wrap(o, b) for o, b in zip(outs, entry[1])]


for _kind in ("jvp", "vjp"):
    custom_call_handlers[(TapeInterpreter, _kind)] = (
        lambda interp, kind, fun, rules, args, name:
        interp.custom_call(kind, fun, rules, args, name))


# ---- the backward program ------------------------------------------------------------

def _recording_key(tape, out_slots):
    """The structure of a recording; params with their values' types, since ``1`` and
    ``True`` (or ``1.0``) are equal and hash alike but need not act alike."""
    eqns = tuple([(prim, ins, params.key()) if prim is CUSTOM else
                  (prim, ins, tuple(params.items()), tuple(map(type, params.values())))
                  for prim, params, ins, _ in tape.eqns])
    return (tuple(tape.leaves), eqns, out_slots)


def _backward_plan(tape, out_slots):
    """The cached ``BackwardPlan`` for this recording's structure (built on a miss)."""
    try:
        key = _recording_key(tape, out_slots)
        plan = _backward_cache.get(key)
    except TypeError:                      # an unhashable param: derive, don't cache
        return BackwardPlan(tape, out_slots)
    if plan is None:
        plan = BackwardPlan(tape, out_slots)
        _backward_cache.put(key, plan)
    return plan


def vjp_recorded(fun, primals):
    """Run ``fun`` (flat list -> flat list) on ``primals``, recording; return
    ``(outputs, out_zero, backward)`` (see ``TapeInterpreter.finish``).  Only the
    inexact ``primals`` should be differentiated: pass the others as leaves by
    closing over them."""
    tape = TapeInterpreter()
    with interpreter_scope(tape):
        ins = tape.new_inputs(primals)
        outs = fun(*ins)
        return tape.finish(outs)
