"""The disk cache of compiled object code, shared by all processes of a user.

An entry is the object code of one executable's LLVM modules (fused loop kernels and
standalone kernels, with what calling the latter needs: backends/native.py), named by
``entry_key(program_text)``: the SHA-256 of the optimized program's serialized text
(``xla_like.serialize``), the host CPU's name and features, the llvmlite version and
a hash of the compiler's own source (so editing the code generator never serves stale
code).  Entries live in ``config.compilation_cache_dir`` or, when that is empty, in
``$XDG_CACHE_HOME/functorch_lite`` (default ``~/.cache/functorch_lite``); the
``compilation_cache`` option turns the cache off.

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

import llvmlite
import llvmlite.binding as llvm

from xla_like.config import config

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
    """SHA-256 of the compiler's source files (passes and backends)."""
    global _compiler_hash
    if _compiler_hash is None:
        root = Path(__file__).resolve().parent.parent
        digest = hashlib.sha256()
        for path in sorted(list(root.glob("backends/**/*.py")) + list(root.glob("passes/*.py"))):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
        _compiler_hash = digest.hexdigest()
    return _compiler_hash


def entry_key(program_text):
    """The name of the entry holding the object code compiled from ``program_text``.

    >>> len(entry_key(serialize.dumps(program)))
    64
    """
    digest = hashlib.sha256()
    for part in (program_text, llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten(),
                 llvmlite.__version__, _compiler_source_hash()):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


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
