"""The disk cache of object code: entries survive processes, corrupt or truncated
files are ignored and rewritten, concurrent writers never leave a broken entry."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from xla_like.backends import compile_cache
from xla_like.backends.cpu import CpuBackend
from xla_like.config import config

PROGRAM_SCRIPT = textwrap.dedent("""
    import numpy as np
    import functorch_lite as fl
    from functorch_lite import numpy as fnp
    from xla_like.backends import compile_cache
    from xla_like.backends.cpu import CPU_BACKEND
    # the same key in every run even if the compiler's sources are being edited
    compile_cache._compiler_hash = "{compiler_hash}"
    x = np.linspace(-1, 1, 7, dtype=np.float32)
    program = fl.make_ir(lambda x: fnp.tanh(x) * 3.0 + fnp.exp(x) * {scale})(x)
    exe = CPU_BACKEND.compile(program)
    expected = np.tanh(x) * 3.0 + np.exp(x) * {scale}
    assert np.allclose(exe(x)[0], expected, rtol=1e-6), "wrong result"
    assert 'define void @"kernel0"' in exe.as_text(), "no IR"
    print("cached" if exe.loaded_from_disk_cache else "compiled")
""")


COMPILER_HASH = compile_cache._compiler_source_hash()


@pytest.fixture
def cache_dir(tmp_path):
    saved = (config.compilation_cache, config.compilation_cache_dir)
    config.update("compilation_cache", True)
    config.update("compilation_cache_dir", str(tmp_path))
    yield tmp_path
    config.update("compilation_cache", saved[0])
    config.update("compilation_cache_dir", saved[1])


def run_in_subprocess(cache_dir, scale=0.5):
    env = dict(os.environ, FUNCTORCH_LITE_COMPILATION_CACHE_DIR=str(cache_dir),
               FUNCTORCH_LITE_COMPILATION_CACHE="1")
    script = PROGRAM_SCRIPT.format(scale=scale, compiler_hash=COMPILER_HASH)
    done = subprocess.run([sys.executable, "-c", script],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def entries(directory):
    return sorted(directory.glob("*.o.cache"))


def test_entries_are_reused_across_processes(cache_dir):
    assert run_in_subprocess(cache_dir) == "compiled"
    assert len(entries(cache_dir)) == 1
    assert run_in_subprocess(cache_dir) == "cached"
    assert run_in_subprocess(cache_dir, scale=0.25) == "compiled"     # another program
    assert len(entries(cache_dir)) == 2


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupt_entries_are_ignored_and_rewritten(cache_dir, damage):
    assert run_in_subprocess(cache_dir) == "compiled"
    (entry,) = entries(cache_dir)
    data = entry.read_bytes()
    damaged = {"truncate": data[:len(data) // 2],
               "flip": data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:],
               "empty": b"",
               "garbage": os.urandom(len(data))}[damage]
    entry.write_bytes(damaged)
    assert run_in_subprocess(cache_dir) == "compiled"      # detected, recompiled, right
    assert entry.read_bytes() == data                       # and rewritten
    assert run_in_subprocess(cache_dir) == "cached"


def test_load_store_and_checksum(cache_dir):
    key = compile_cache.entry_key("some program text")
    assert compile_cache.load(key) is None
    assert compile_cache.store(key, b"object code")
    assert compile_cache.load(key) == b"object code"
    whole = compile_cache.encode_entry(b"payload")
    for broken in (whole[:-1], whole + b"!", b"", os.urandom(len(whole)), whole[:10]):
        assert compile_cache.decode_entry(broken) is None
    assert compile_cache.decode_entry(whole) == b"payload"
    assert compile_cache.entry_key("other text") != key
    config.update("compilation_cache", False)
    assert compile_cache.load(key) is None and not compile_cache.store(key, b"y")


def test_unwritable_directory_just_disables_caching(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    saved = (config.compilation_cache, config.compilation_cache_dir)
    config.update("compilation_cache", True)
    config.update("compilation_cache_dir", str(blocker / "sub"))
    try:
        assert not compile_cache.store("k" * 64, b"data")
        import functorch_lite as fl
        program = fl.make_ir(lambda x: x * 3.0)(np.ones(2, np.float32))
        assert CpuBackend().compile(program)(np.ones(2, np.float32))[0].tolist() == [3.0, 3.0]
    finally:
        config.update("compilation_cache", saved[0])
        config.update("compilation_cache_dir", saved[1])


WRITER_SCRIPT = textwrap.dedent("""
    import sys
    from xla_like.backends import compile_cache
    from xla_like.config import config
    config.update("compilation_cache_dir", sys.argv[1])
    payload = bytes([int(sys.argv[2])]) * 3_000_000
    for _ in range(20):
        assert compile_cache.store("k" * 64, payload)
        got = compile_cache.load("k" * 64)
        assert got is not None and len(got) == len(payload) and len(set(got)) == 1, "torn"
""")


def test_concurrent_writers_never_leave_a_broken_entry(cache_dir):
    writers = [subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, str(cache_dir), str(i)],
                                stderr=subprocess.PIPE, text=True) for i in range(1, 5)]
    for proc in writers:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    final = compile_cache.load("k" * 64)
    assert final is not None and len(set(final)) == 1 and len(final) == 3_000_000
    assert not list(cache_dir.glob("*.tmp"))


def test_prune_keeps_the_newest_entries_and_drops_stale_temporaries(cache_dir):
    keys = [compile_cache.entry_key(f"program {i}") for i in range(6)]
    for rank, key in enumerate(reversed(keys)):
        compile_cache.store(key, b"code")
        path = cache_dir / (key + ".o.cache")
        os.utime(path, (1e9 + rank, 1e9 + rank))     # keys[0] is the newest
    stale, fresh = cache_dir / "dead.tmp", cache_dir / "busy.tmp"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"partial")
    os.utime(stale, (1e9, 1e9))
    compile_cache.prune(max_entries=3)
    assert [compile_cache.load(k) is not None for k in keys] == [True] * 3 + [False] * 3
    assert not stale.exists() and fresh.exists()


def _standalone_program():
    """Fused kernels, standalone kernels (sort, cumsum, a float convolution: im2col +
    BLAS) and integer dot_general in one program."""
    import functorch_lite as fl
    from functorch_lite import lax
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 8)).astype(np.float32)
    w = rng.standard_normal((3, 1, 3)).astype(np.float32)
    n = rng.integers(-9, 9, (6, 8)).astype(np.int32)

    def f(x, w, n):
        sorted_rows = lax.sort(lax.cumsum(x * 2.0, axis=1), dimension=1)
        conv = lax.conv(x[:, None, :], w, (1,), "SAME")
        return fl.numpy.exp(sorted_rows), conv, lax.dot(n, n.T)
    program = fl.make_ir(f)(x, w, n)
    return program, (x, w, n)


def test_standalone_kernels_are_stored_and_loaded_with_the_program(cache_dir):
    program, args = _standalone_program()
    first = CpuBackend().compile(program)
    assert {"native", "kernel"} <= {s.kind for s in first.steps}
    assert not first.loaded_from_disk_cache and len(entries(cache_dir)) == 1
    again = CpuBackend().compile(program)          # a fresh in-memory cache
    assert again.loaded_from_disk_cache
    for got, want in zip(again(*args), first(*args)):
        np.testing.assert_array_equal(got, want)
    assert 'define void @"standalone' in again.as_text()     # IR re-emitted on demand


def _edited(edit):
    """A damage that edits the entry's metadata JSON (executable_entry.py), the last blob."""
    def damage(blobs):
        metadata = json.loads(blobs[-1])
        edit(metadata)
        return blobs[:-1] + [json.dumps(metadata).encode()]
    return damage


def _metadata(text):
    return lambda blobs: blobs[:-1] + [text]


def _truncated_program(blobs):
    return blobs[:-2] + [blobs[-2][:-20], blobs[-1]]


def _program_only(blobs):
    return blobs[-2:]


def _rename_standalone(m):
    m["standalone"][0][0][0] = "another_function"


def _short_rows(m):
    m["standalone"][-1][0] = m["standalone"][-1][0][:2]


def _drop_an_equation(m):
    m["steps"][-1][2] = m["steps"][-1][2][1:] or [0]


def _unknown_kind(m):
    m["steps"][0][0] = "teleport"


def _unhashable_kind(m):
    m["steps"][0][0] = ["kernel"]


def _kernel_counts_missing(m):
    m["kernels"] = m["kernels"][1:]


def _wrong_pointer_count(m):
    m["kernels"][0][0] += 1


def _other_format(m):
    m["format"] += 1


@pytest.mark.parametrize("damage", [_metadata(b"[[]]"), _metadata(b"not json"),
                                    _metadata(b"\xff"), _edited(_rename_standalone),
                                    _edited(_short_rows), _edited(_drop_an_equation),
                                    _edited(_unknown_kind), _edited(_unhashable_kind),
                                    _edited(_kernel_counts_missing),
                                    _edited(_wrong_pointer_count), _truncated_program,
                                    _program_only, _edited(_other_format)])
def test_an_entry_whose_metadata_does_not_fit_is_recompiled(cache_dir, damage):
    from xla_like.backends import native
    program, args = _standalone_program()
    want = CpuBackend().compile(program)(*args)
    (entry,) = entries(cache_dir)
    blobs = native.unpack(compile_cache.decode_entry(entry.read_bytes()))
    damaged = damage(blobs)
    entry.write_bytes(compile_cache.encode_entry(native.pack(damaged)))
    exe = CpuBackend().compile(program)
    assert not exe.loaded_from_disk_cache
    for got, expected in zip(exe(*args), want):
        np.testing.assert_array_equal(got, expected)
    assert CpuBackend().compile(program).loaded_from_disk_cache     # rewritten


def test_a_hit_runs_no_compiler_pass(cache_dir):
    """The entry holds the whole executable: loading it optimizes, plans and compiles
    nothing."""
    from unittest import mock

    from xla_like.backends import cpu
    program, args = _standalone_program()
    want = CpuBackend().compile(program)(*args)
    refuse = mock.Mock(side_effect=AssertionError("a compiler pass ran on a hit"))
    with mock.patch.object(cpu, "optimize_program", refuse), \
            mock.patch.object(cpu, "_plan_steps", refuse), \
            mock.patch.object(cpu.NativeModule, "_compile", refuse):
        exe = CpuBackend().compile(program)
    assert exe.loaded_from_disk_cache
    for got, expected in zip(exe(*args), want):
        np.testing.assert_array_equal(got, expected)
    assert exe.memory_analysis() == CpuBackend().compile(program).memory_analysis()


@pytest.mark.parametrize("compiled_threaded", [True, False])
def test_an_entry_compiled_under_another_parallel_threshold_still_runs(cache_dir,
                                                                       compiled_threaded):
    """Kernels compiled to split across cores have no object wrapper; kernels compiled
    not to split exist only inlined into theirs.  Loaded where the other choice would
    be made, each is called the way its object code allows."""
    from unittest import mock

    import functorch_lite as fl
    from functorch_lite import lax
    from xla_like.backends.llvm import parallel
    x = np.random.default_rng(5).standard_normal((8, 9)).astype(np.float32)
    program = fl.make_ir(lambda x: lax.sort(lax.cumsum(x, axis=1), dimension=1) * 2.0
                         + fl.numpy.tanh(x))(x)
    split = {"PARALLEL_THRESHOLD": 0, "worker_count": lambda: 3}
    whole = {"PARALLEL_THRESHOLD": 1 << 60, "worker_count": lambda: 1}
    first, then = (split, whole) if compiled_threaded else (whole, split)
    with mock.patch.multiple(parallel, **first):
        want = CpuBackend().compile(program)(x)
    with mock.patch.multiple(parallel, **then):
        exe = CpuBackend().compile(program)
        assert exe.loaded_from_disk_cache
        np.testing.assert_array_equal(exe(x)[0], want[0])


# ---- fingerprints: only structurally equal programs share an entry ---------------------

def test_fingerprint_tells_apart_what_changes_the_code():
    import functorch_lite as fl
    from functorch_lite import numpy as fnp
    x = np.linspace(-1, 1, 5, dtype=np.float32)
    c1, c2 = np.arange(5, dtype=np.float32), np.arange(5, dtype=np.float32)
    c2[3] = np.nextafter(c2[3], np.float32(9))          # one ulp apart
    variants = {
        "base": lambda: fl.make_ir(lambda x: fnp.tanh(x) * 3.0 + c1)(x),
        "literal": lambda: fl.make_ir(lambda x: fnp.tanh(x) * 3.5 + c1)(x),
        "constant": lambda: fl.make_ir(lambda x: fnp.tanh(x) * 3.0 + c2)(x),
        "primitive": lambda: fl.make_ir(lambda x: fnp.exp(x) * 3.0 + c1)(x),
        "dtype": lambda: fl.make_ir(lambda x: fnp.tanh(x) * 3.0 + c1)(x.astype(np.float64)),
        # same shapes, only a param differs: sums over rows / over columns
        "rows": lambda: fl.make_ir(lambda x: fnp.sum(x[None] * x[:, None], axis=0) + c1)(x),
        "columns": lambda: fl.make_ir(lambda x: fnp.sum(x[None] * x[:, None], axis=1) + c1)(x),
        "negative zero": lambda: fl.make_ir(lambda x: fnp.tanh(x) * -0.0 + c1)(x),
        "zero": lambda: fl.make_ir(lambda x: fnp.tanh(x) * 0.0 + c1)(x),
    }
    prints = {name: compile_cache.fingerprint(make()) for name, make in variants.items()}
    assert None not in prints.values()
    assert len(set(prints.values())) == len(prints), prints
    # equal structure built twice (other Var objects, other source lines): one print
    again = fl.make_ir(lambda x: fnp.tanh(x) * 3.0
                       + c1)(x)
    assert compile_cache.fingerprint(again) == prints["base"]


def test_fingerprint_refuses_params_it_cannot_stand_for():
    from xla_like import primitives as P
    from xla_like.ir import Eqn, Program
    import functorch_lite as fl
    program = fl.make_ir(lambda x: x * 2.0)(np.ones(3, np.float32))
    (eqn,) = [e for e in program.eqns if e.prim is P.mul_p]
    odd = Eqn(eqn.prim, eqn.inputs, eqn.outputs, {"rule": lambda v: v}, eqn.source)
    changed = Program(program.invars, program.constvars, program.consts,
                      [odd if e is eqn else e for e in program.eqns], program.outvars)
    assert compile_cache.fingerprint(program) is not None
    assert compile_cache.fingerprint(changed) is None


@pytest.mark.parametrize("seed", range(3))
def test_programs_differing_only_in_a_constant_never_share_an_entry(cache_dir, seed):
    """Same shapes, same equations, a closed-over constant differing in one element:
    each compiled program (fresh in-memory caches) gives its own results."""
    import functorch_lite as fl
    from functorch_lite import numpy as fnp
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(9).astype(np.float32)
    consts = [rng.standard_normal(9).astype(np.float32) for _ in range(2)]
    consts[1][:8] = consts[0][:8]
    for _ in range(2):                      # the second round loads every entry
        for c in consts:
            program = fl.make_ir(lambda x: fnp.exp(x) * c + 1.5)(x)
            got = CpuBackend().compile(program)(x)[0]
            np.testing.assert_allclose(got, np.exp(x) * c + 1.5, rtol=1e-6)
    assert len(entries(cache_dir)) == 2


def test_a_program_without_native_code_is_stored_too(cache_dir):
    """A BLAS-only program has no object code, but its entry still spares the passes."""
    import functorch_lite as fl
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    program = fl.make_ir(lambda a, b: a @ b)(a, b)
    assert not CpuBackend().compile(program).loaded_from_disk_cache
    exe = CpuBackend().compile(program)
    assert exe.loaded_from_disk_cache and [s.kind for s in exe.steps] == ["blas"]
    np.testing.assert_allclose(exe(a, b)[0], a @ b, rtol=1e-12)
