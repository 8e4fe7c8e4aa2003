"""The disk cache of compiled executables, shared by all processes of a user.

An entry is one whole executable (its optimized program, steps and the object code
of its LLVM modules: executable_entry.py), named by ``entry_key(fingerprint(program))``:
the SHA-256 of the fingerprint of the program given to the compiler (``fingerprint``
below: structure, params, constant and literal bits), the host CPU's name and
features, the llvmlite version and a hash of every source file of ``xla_like`` (so
editing the compiler or a primitive never serves stale code).  Entries live in
``config.compilation_cache_dir`` or, when that is empty, in ``$XDG_CACHE_HOME/
functorch_lite`` (default ``~/.cache/functorch_lite``); the ``compilation_cache``
option turns the cache off.

Robustness:

* writes are atomic: a private temporary file in the same directory, then
  ``os.replace``, so a reader sees a whole entry or none, and two processes writing
  the same entry at once each replace it with a complete copy;
* each file carries a header (magic, payload length, SHA-256 of the payload): a
  truncated or corrupted file is detected, ignored (and removed), and the program is
  compiled again;
* any ``OSError`` (read-only or full disk) just means "no cache";
* the directory stays bounded: every ``PRUNE_EVERY`` stores, a process keeps the
  ``MAX_ENTRIES`` most recently written entries and removes temporary files older
  than an hour (left by a writer that died).
"""
import hashlib
import os
import struct
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import llvmlite
import numpy as np

from xla_like.backends.llvm.engine import host_cpu_name, host_features
from xla_like.config import config
from xla_like.ir import Literal, Program
from xla_like.primitive import Primitive

MAGIC = b"FLOBJ001"
MAX_ENTRIES = 4096
PRUNE_EVERY = 64
_STALE_TEMP_SECONDS = 3600
_HEADER = struct.Struct("<8sQ32s")      # magic, payload length, sha256 of payload
_SUFFIX = ".o.cache"
_compiler_hash = None
_stores = 0


def cache_dir():
    """The cache directory in effect (not necessarily existing yet)."""
    if config.compilation_cache_dir:
        return Path(config.compilation_cache_dir)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "functorch_lite"


def _compiler_source_hash():
    """SHA-256 of every source file of ``xla_like``: the passes and backends, and the
    primitives' rules and reference implementations that constant folding runs (an
    entry holds the optimized program, so any of them may change what it should be),
    with the host CPU and llvmlite version the object code is for.  Computed once per
    process (about a millisecond: ``os.scandir`` and plain reads, not ``Path.glob``)."""
    global _compiler_hash
    if _compiler_hash is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        digest = hashlib.sha256()
        for path in _python_files(root):
            digest.update(os.path.relpath(path, root).replace(os.sep, "/").encode())
            with open(path, "rb") as f:
                digest.update(f.read())
        for part in (host_cpu_name(), host_features(), llvmlite.__version__):
            digest.update(b"\0" + part.encode())
        _compiler_hash = digest.hexdigest()
    return _compiler_hash


def _python_files(root):
    """The ``.py`` files under ``root``, sorted (no pycache directories)."""
    files, folders = [], [root]
    while folders:
        for entry in os.scandir(folders.pop()):
            if entry.is_dir() and entry.name != "__pycache__":
                folders.append(entry.path)
            elif entry.name.endswith(".py"):
                files.append(entry.path)
    return sorted(files)


def entry_key(program_text):
    """The name of the entry holding what was compiled from ``program_text`` (a
    fingerprint, or any text standing for a program exactly).

    >>> len(entry_key(fingerprint(program)))
    64
    """
    return hashlib.sha256(f"{program_text}\0{_compiler_source_hash()}".encode()).hexdigest()


# ---- program fingerprints ------------------------------------------------------------

class _Uncacheable(Exception):
    """A param value a fingerprint cannot stand for exactly (e.g. a Python function:
    its repr names a memory address another process may reuse for another function)."""


def _array_token(value):
    array = np.ascontiguousarray(value)
    return (array.dtype.str, array.shape, hashlib.sha256(array.tobytes()).hexdigest())


class _Tag(NamedTuple):
    """The token of a param value whose repr is not exact or not cheap; no plain
    value's repr starts like a tag's (``_Tag(``)."""
    kind: str
    value: object


# Types whose repr stands for the value exactly and tells the type (True, 1, '1'):
# such values, and tuples of them, are their own tokens (no per-element work).
_EXACT_REPR = {type(None), bool, int, str}


def _param(value, nested):
    """A token standing for one param value exactly; sub-programs are appended to
    ``nested`` and stand for their position there."""
    kind = type(value)
    if kind in _EXACT_REPR:
        return value
    if kind is tuple:
        if all(type(v) in _EXACT_REPR for v in value):
            return value
        return tuple(_param(v, nested) for v in value)
    if kind is float:
        return _Tag("float", value.hex())       # every bit, NaN payloads included
    if kind is complex:
        return _Tag("complex", (value.real.hex(), value.imag.hex()))
    if isinstance(value, Program):
        nested.append(value)
        return _Tag("program", len(nested) - 1)
    if isinstance(value, np.dtype):
        return _Tag("dtype", value.str)
    if isinstance(value, np.generic):
        return _Tag("scalar", _array_token(value))
    if isinstance(value, Primitive):
        return _Tag("primitive", value.name)
    raise _Uncacheable(kind.__name__)


def _literal(atom, avals):
    """A literal's token: its aval's number and its bits (a free Var raises KeyError)."""
    if not isinstance(atom, Literal):
        raise KeyError(atom)
    return (avals.setdefault(atom.aval, len(avals)), atom.value.tobytes())


def _program_tokens(program, nested):
    """Tokens of one program: equations with numbered operands and avals, params,
    constants' and literals' bits, then the table of avals (source locations are left
    out: they do not change the code)."""
    numbers, avals = {}, {}         # Var -> number; aval -> number (cheap to print)
    tokens = [len(program.invars), len(program.constvars)]
    for var in program.invars + program.constvars:
        numbers[var] = len(numbers)
        tokens.append(avals.setdefault(var.aval, len(avals)))
    tokens.extend(_array_token(c) for c in program.consts)
    for eqn in program.eqns:
        inputs = [numbers[a] if a in numbers else _literal(a, avals) for a in eqn.inputs]
        outputs = [avals.setdefault(v.aval, len(avals)) for v in eqn.outputs]
        for var in eqn.outputs:
            numbers[var] = len(numbers)
        if eqn.params:
            params = [(k, _param(v, nested)) for k, v in sorted(eqn.params.items())]
            tokens.append((eqn.prim.name, inputs, outputs, params))
        else:
            tokens.append((eqn.prim.name, inputs, outputs))
    tokens.append([numbers[a] if a in numbers else _literal(a, avals) for a in program.outvars])
    tokens.append([(a.shape, a.dtype.str, a.weak) for a in avals])    # dtype.str: no repr
    return tokens


def fingerprint(program):
    """A SHA-256 hex digest that only structurally equal programs share (equal avals,
    equations, params, constant and literal bits; source locations ignored), or None
    when a param holds a value it cannot stand for exactly (a Python callable, ...).
    One loop over the equations: ~10x cheaper than serializing the program.

    >>> fingerprint(make_ir(lambda x: x + 1.0)(np.ones(3))) == \
    ...     fingerprint(make_ir(lambda x: x + 1.0)(np.ones(3)))
    True
    """
    nested, tokens = [program], []
    try:
        for sub in nested:          # grows while params reveal sub-programs
            tokens.append(_program_tokens(sub, nested))
    except (_Uncacheable, KeyError):    # KeyError: an operand no equation binds
        return None
    return hashlib.sha256(repr(tokens).encode()).hexdigest()


def _path(key):
    return cache_dir() / (key + _SUFFIX)


def encode_entry(payload):
    """Header + payload: what a cache file holds."""
    return _HEADER.pack(MAGIC, len(payload), hashlib.sha256(payload).digest()) + payload


def decode_entry(data):
    """The payload of a cache file's bytes, or None when they are not a whole,
    uncorrupted entry."""
    if len(data) < _HEADER.size:
        return None
    magic, length, checksum = _HEADER.unpack_from(data)
    payload = data[_HEADER.size:]
    if magic != MAGIC or length != len(payload) or hashlib.sha256(payload).digest() != checksum:
        return None
    return payload


def load(key):
    """The object code stored under ``key``, or None (absent, unreadable, corrupt —
    a corrupt file is removed so the next ``store`` rewrites it)."""
    if not config.compilation_cache:
        return None
    path = _path(key)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    payload = decode_entry(data)
    if payload is None:
        try:
            path.unlink()
        except OSError:
            pass
    return payload


def store(key, payload):
    """Write ``payload`` under ``key`` atomically; returns whether it was written."""
    global _stores
    if not config.compilation_cache:
        return False
    directory = cache_dir()
    _stores += 1
    if _stores % PRUNE_EVERY == 0:
        prune(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=key[:16] + ".", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(encode_entry(payload))
            os.replace(temp, _path(key))
        except BaseException:
            os.unlink(temp)
            raise
    except OSError:
        return False
    return True


def _mtime_or_none(path):
    try:
        return path.stat().st_mtime
    except OSError:           # removed meanwhile by another process
        return None


def prune(directory=None, max_entries=None):
    """Keep the ``max_entries`` (default ``MAX_ENTRIES``) newest entries of the cache
    directory; remove temporary files older than an hour."""
    directory = cache_dir() if directory is None else Path(directory)
    limit = MAX_ENTRIES if max_entries is None else max_entries
    now = time.time()
    stale = [p for p in directory.glob("*.tmp")
             if (_mtime_or_none(p) or now) < now - _STALE_TEMP_SECONDS]
    dated = []
    for path in directory.glob("*" + _SUFFIX):
        mtime = _mtime_or_none(path)
        if mtime is not None:
            dated.append((mtime, path))
    dated.sort(reverse=True)
    for path in stale + [p for _, p in dated[limit:]]:
        try:
            path.unlink()
        except OSError:
            pass


def clear():
    """Remove every entry (and stray temporary file) from the cache directory."""
    directory = cache_dir()
    if not directory.is_dir():
        return
    for path in list(directory.glob("*" + _SUFFIX)) + list(directory.glob("*.tmp")):
        try:
            path.unlink()
        except OSError:
            pass
