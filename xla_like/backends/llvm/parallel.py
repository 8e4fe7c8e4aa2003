"""Running a kernel's outermost loop on all cores.

Every kernel takes ``(start, stop)`` of its outermost loop (codegen.py).  Large
kernels are split into a few contiguous chunks per core, which the calling thread
and a pool of persistent worker threads (started once, on first use) take in turn.
The native call goes through ctypes, which releases the GIL for its duration, so the
chunks run truly in parallel; no thread is created per call.

``PARALLEL_THRESHOLD``: kernels whose loop space has fewer elements than this run on
the calling thread alone.  Handing chunks to the pool costs ~25 us per call here
(measured: ``run`` of a native no-op in 8 chunks, 25 us median split against 0.6 us
alone; the worker's wake-up and the GIL handed back and forth between the chunks'
ctypes calls), so a split can only pay once a single-threaded run takes well over
100 us: 2^18 float32 elements (measured alone: ``x * 2 + 1`` 75 us, ``tanh`` 175 us,
the 11-op chain 290 us).  At 2^17 elements a split lost everywhere measured (the
per-example gradient kernel, 256x512 with one row reduction: 21 us alone, 65 us
split).

On this 2-core machine, shared with other agents (load average 2-4), the gain came
and went: the 11-op chain on 2^22 float32 once ran in 2.6 ms split (4.6 ms of CPU
time over two cores) against 4.6 ms on one thread, but mostly the process got about
one core either way and the split only broke even or lost the hand-off cost.  A
trace of the chain (2^22 float32, 16 chunks, load average 1.5) showed why: the
calling thread's and the worker's chunks hardly ever overlapped in time (one took
15 of the 16 chunks while the other's single chunk stalled for 4 ms), so the OS
ran one of the two threads at a time.
``python -m benchmarks.llvm_kernels`` prints both columns to re-measure on a quiet
machine.  Full reductions (no kept axis: a single outer iteration) never split.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

PARALLEL_THRESHOLD = 1 << 18
CHUNKS_PER_WORKER = 4
# a chunk's size when that gives more chunks (2^22 elements: 16 chunks of ~0.2 ms):
# when one thread runs slower (its core shared), the other takes more of the work
CHUNK_ELEMENTS = 1 << 18

_pool = None
_pool_lock = threading.Lock()


_CORES = max(1, os.cpu_count() or 1)     # os.cpu_count() costs ~8 us a call


def worker_count():
    """The number of cores kernels split across (``os.cpu_count()``)."""
    return _CORES


def _workers():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, worker_count() - 1),
                                       thread_name_prefix="llvm-kernel")
        return _pool


def chunks(n, parts):
    """Split range(n) into ``parts`` contiguous (start, stop) pairs, none empty.

    >>> chunks(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    """
    parts = max(1, min(parts, n))
    base, extra = divmod(n, parts)
    bounds, start = [], 0
    for k in range(parts):
        stop = start + base + (1 if k < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


class _Job:
    """Chunks handed out one at a time to whichever thread asks first.  The caller
    waits only for chunks a worker has *taken*: a worker that wakes up late (its core
    busy with another process) finds nothing left and does nothing, and the caller
    never waits for it."""

    def __init__(self, cfunc, pointers, pieces):
        self.cfunc, self.pointers = cfunc, pointers
        self.pieces = iter(pieces)
        self.lock = threading.Lock()
        self.running = 0             # chunks taken and not finished
        self.finished = threading.Event()
        self.finished.set()
        self.error = None

    def _take(self):
        with self.lock:
            piece = next(self.pieces, None)
            if piece is not None:
                self.running += 1
                self.finished.clear()
            return piece

    def _done(self):
        with self.lock:
            self.running -= 1
            if self.running == 0:
                self.finished.set()

    def drain(self):
        while True:
            piece = self._take()
            if piece is None:
                return
            try:
                self.cfunc(*self.pointers, *piece)
            except BaseException as e:  # re-raised by the calling thread
                self.error = e
            finally:
                self._done()


def run(cfunc, pointers, outer, elements, threshold=None):
    """``cfunc(*pointers, start, stop)`` over ``range(outer)``, split across the cores
    when the kernel covers at least ``threshold`` elements.

    The range is cut into chunks of about ``CHUNK_ELEMENTS`` elements (at least
    CHUNKS_PER_WORKER per core), which the calling thread and the pool's threads take
    in turn: when another process holds a core, its thread simply takes fewer chunks
    (or none) instead of holding up the whole call."""
    limit = PARALLEL_THRESHOLD if threshold is None else threshold
    workers = worker_count() if elements >= limit else 1
    if workers == 1 or outer < 2:
        cfunc(*pointers, 0, outer)
        return
    parts = max(workers * CHUNKS_PER_WORKER, elements // CHUNK_ELEMENTS)
    job = _Job(cfunc, pointers, chunks(outer, parts))
    pool = _workers()
    for _ in range(workers - 1):
        pool.submit(job.drain)
    job.drain()
    job.finished.wait()
    if job.error is not None:
        raise job.error
