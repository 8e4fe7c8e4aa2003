"""The disk-cache entry of a whole executable, so a process that finds it runs no
compiler pass at all: no optimization, fusion, kernel planning nor LLVM.

The CPU backend names the entry by the fingerprint of the program it was *given*
(``compile_cache.fingerprint``: cheap, one loop over the equations), so the entry
must hold everything the passes would have derived from it:

* the optimized program (``xla_like.serialize`` text: never pickle);
* its steps: per step, its kind (``cpu.STEP_BUILDERS``), whether it is fused, and
  the indices of its equations in the optimized program;
* per fused kernel, what calling it needs (``KernelSpec.counts``), and per
  standalone kernel its metadata (``StandaloneSpec.metadata``);
* the object code of every LLVM module (native.py).

The payload is ``native.pack(objects + [program text, metadata JSON])``; the program
is stored without source lines (a restored executable never reports them: errors
point at the program as traced), which makes it a third shorter to load.  ``decode`` checks the
shape of every field and returns None for anything that does not fit (the caller
then compiles from scratch and rewrites the entry); the file's own checksum
(compile_cache.py) already rejects truncated or corrupted bytes, and the entry's
name includes a hash of the compiler's sources, so another compiler's entry is
never found.

Measured on the 1,000-equation elementwise chain (``python -m benchmarks jit_cases``,
idle 2-core machine): ``jit(f).lower(x).compile()`` from the disk cache takes ~10 ms,
of which tracing ~4 ms, the fingerprint ~0.8 ms, decoding the optimized program ~1.7
ms (``serialize.loads(validate=False)``: the entry is checksummed), the engine ~1.7
ms and steps and buffers ~0.7 ms; keying the object code by the optimized program
and re-running the passes took ~27-57 ms.
"""
import json
from typing import NamedTuple

from xla_like import serialize
from xla_like.ir import Eqn, Program
from xla_like.backends.native import pack, unpack

FORMAT = 2


class Entry(NamedTuple):
    program: object         # the optimized Program
    groups: list            # per step: (eqns, fused), for fusion.steps_from_groups
    kinds: list             # per step
    kernels: list           # per fused kernel: KernelSpec.counts()
    standalone: list        # per standalone kernel: StandaloneSpec.metadata()
    objects: list           # object code blobs


def encode(program, steps, kinds, native):
    """The payload of an entry for ``program`` (optimized) compiled into ``steps`` of
    ``kinds`` and ``native`` (a NativeModule); None when the program has no text
    form (a param the serializer cannot hold)."""
    try:
        text = serialize.dumps(_without_sources(program))
    except (TypeError, ValueError):
        return None
    position = {id(eqn): i for i, eqn in enumerate(program.eqns)}
    metadata = {"format": FORMAT, "objects": len(native.objects),
                "steps": [[kind, step.fused, [position[id(e)] for e in step.eqns]]
                          for step, kind in zip(steps, kinds)],
                "kernels": [spec.counts() for spec in native.specs],
                "standalone": [spec.metadata() for spec in native.standalone]}
    return pack(list(native.objects) + [text.encode(), json.dumps(metadata).encode()])


def _without_sources(program):
    """``program``'s top-level equations with no source lines."""
    eqns = [Eqn(e.prim, e.inputs, e.outputs, e.params) for e in program.eqns]
    return Program(program.invars, program.constvars, program.consts, eqns, program.outvars)


def _is_int_list(value, length=None):
    return isinstance(value, list) and (length is None or len(value) == length) and all(
        type(v) is int and v >= 0 for v in value)


def _groups(steps, eqns, known_kinds):
    """``(groups, kinds)`` from the entry's steps, or None unless every equation
    belongs to exactly one step and every kind is known."""
    if not isinstance(steps, list) or not all(
            isinstance(s, list) and len(s) == 3 and isinstance(s[0], str)
            and s[0] in known_kinds and type(s[1]) is bool and _is_int_list(s[2])
            for s in steps):
        return None
    if sorted(i for s in steps for i in s[2]) != list(range(len(eqns))):
        return None
    groups = [(tuple(eqns[i] for i in indices), fused) for _, fused, indices in steps]
    return groups, [s[0] for s in steps]


def decode(payload, known_kinds):
    """The ``Entry`` in ``payload``, or None when it is not a well-formed entry."""
    blobs = unpack(payload) if payload is not None else None
    if not blobs or len(blobs) < 2:
        return None
    try:
        metadata = json.loads(blobs[-1].decode())
    except ValueError:          # UnicodeDecodeError is a ValueError too
        return None
    if not (isinstance(metadata, dict) and metadata.get("format") == FORMAT
            and metadata.get("objects") == len(blobs) - 2):
        return None
    try:        # our own checksummed text (compile_cache): any failure is a miss
        program = serialize.loads(blobs[-2], check=False, validate=False)
    except Exception:   # noqa: BLE001 (KeyError, TypeError, ... from malformed text)
        return None
    split = _groups(metadata.get("steps"), program.eqns, known_kinds)
    kernels, standalone = metadata.get("kernels"), metadata.get("standalone")
    if split is None or not isinstance(kernels, list) or not isinstance(standalone, list):
        return None
    groups, kinds = split
    if len(kernels) != kinds.count("kernel") or not all(_is_int_list(k, 3) for k in kernels):
        return None
    if len(standalone) != kinds.count("native"):
        return None
    return Entry(program, groups, kinds, kernels, standalone, blobs[:-2])
