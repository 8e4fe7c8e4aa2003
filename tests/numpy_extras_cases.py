"""The table of tests/test_numpy_extras.py: for each name of NumPy's main namespace
that ``functorch_lite/numpy/_extras_*``, ``_windows``, ``_polynomial`` and ``_vectorize``
add, its variants.

A ``Case`` builds the traced arguments from a NumPy RNG (``make``) and fixes static
keyword arguments (``kwargs``, closed over by ``jit``); ``numpy`` is the reference
(default ``np.<name>(*arrays, **kwargs)``) and ``call`` the call (default
``fnp.<name>(*arrays, **kwargs)``).  ``static=True`` marks functions that answer with
Python values (type predicates); ``traced='raises'`` marks eager-only variants.
"""
from dataclasses import dataclass

import numpy as np

from functorch_lite import numpy as fnp

from table_harness import B, F, I, TableCase  # noqa: F401 (the cases' argument makers)

@dataclass
class Case(TableCase):
    static: bool = False                # answers with Python values (predicates)
    traced: str = "ok"                  # "raises": eager only
    tol: float = 1e-6


def U8(rng, *shape):
    return rng.integers(0, 256, shape).astype(np.uint8)


def C(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def pos(rng, *shape):
    return rng.uniform(0.5, 2.0, shape)


def mutated(writer):
    """NumPy's in-place ``writer(copy, *rest)`` as a function returning the copy."""
    def reference(a, *rest, **kwargs):
        out = np.array(a, copy=True)
        writer(out, *rest, **kwargs)
        return out
    return reference


def padded(fn, size, fill):
    """A NumPy reference for a ``size=``-padded data-dependent result."""
    def reference(*args, **kwargs):
        kwargs = {k: v for k, v in kwargs.items() if k not in ("size", "fill_value")}
        r = fn(*args, **kwargs)
        return np.concatenate([r, np.full(size - r.size, fill, r.dtype)])
    return reference


def with_specials(rng, n):
    x = F(rng, n)
    x[:3] = [np.nan, np.inf, -np.inf]
    return x


def fit_x(rng, n):
    return np.linspace(-1, 1, n) + rng.uniform(0, 0.05, n)


def canonical_roots(z, xp):
    """Roots in a fixed order: by real part (rounded, so a conjugate pair's real parts
    that differ in the last bits do not decide), then imaginary part."""
    z = z + 0j
    order = xp.lexsort((xp.imag(z), xp.round(xp.real(z), 6)))
    return xp.take(z, order)


def scaled(x, scale=1.0, sign=1):
    return x * scale * sign if sign > 0 else -(x * scale)


def NOARGS(rng):
    return ()


COND = [True, False, True, True]
ZERO_ENDS = np.array([0.0, 1.0, -3.0, 2.0, 0.0])    # a leading zero and a root at 0

SHAPE_CASES = {
    "append": [Case(lambda r: (F(r, 3), F(r, 2))),
               Case(lambda r: (F(r, 2, 3), F(r, 1, 3)), {"axis": 0})],
    "delete": [Case(lambda r: (F(r, 5),), {"obj": [0, 2]}),
               Case(lambda r: (F(r, 3, 4),), {"obj": -1, "axis": 1}),
               Case(lambda r: (F(r, 3, 4),), {"obj": slice(0, None, 2), "axis": 0}),
               Case(lambda r: (I(r, 4),), {"obj": np.array([True, False, False, True])}),
               Case(lambda r: (F(r, 6), np.int32(r.integers(0, 6))), diff_argnums=(0,))],
    "insert": [Case(lambda r: (F(r, 3), F(r, 2)), call=lambda a, v: fnp.insert(a, 1, v),
                    numpy=lambda a, v: np.insert(a, 1, v)),
               Case(lambda r: (F(r, 2, 3), F(r, 3)),
                    call=lambda a, v: fnp.insert(a, [0, 2, 2], v, axis=1),
                    numpy=lambda a, v: np.insert(a, [0, 2, 2], v, axis=1)),
               Case(lambda r: (F(r, 2, 3), F(r, 3)), call=lambda a, v: fnp.insert(a, 1, v, 0),
                    numpy=lambda a, v: np.insert(a, 1, v, 0)),
               Case(lambda r: (I(r, 2, 2),), {"obj": -1, "values": 7}),
               Case(lambda r: (F(r, 4), F(r, 2)),
                    call=lambda a, v: fnp.insert(a, slice(1, None, 2), v),
                    numpy=lambda a, v: np.insert(a, slice(1, None, 2), v)),
               Case(lambda r: (I(r, 3),), {"obj": np.array([True, False, True]), "values": 9}),
               Case(lambda r: (F(r, 3), F(r, 2)), call=lambda a, v: fnp.insert(a, [3], v),
                    numpy=lambda a, v: np.insert(a, [3], v)),
               Case(lambda r: (F(r, 2, 3), F(r, 2, 2)),
                    call=lambda a, v: fnp.insert(a, [1], v, axis=1),
                    numpy=lambda a, v: np.insert(a, [1], v, axis=1))],
    "block": [Case(lambda r: (F(r, 2, 2), F(r, 2, 1), F(r, 1, 3)),
                   call=lambda a, b, c: fnp.block([[a, b], [c]]),
                   numpy=lambda a, b, c: np.block([[a, b], [c]])),
              Case(lambda r: (F(r, 2), F(r, 3)), call=lambda a, b: fnp.block([a, b, 1.0]),
                   numpy=lambda a, b: np.block([a, b, 1.0]))],
    "column_stack": [Case(lambda r: (F(r, 3), F(r, 3, 2)),
                          call=lambda a, b: fnp.column_stack([a, b]),
                          numpy=lambda a, b: np.column_stack([a, b]))],
    "hsplit": [Case(lambda r: (F(r, 2, 6),), {"indices_or_sections": 3}),
               Case(lambda r: (F(r, 6),), {"indices_or_sections": [2, 4]})],
    "vsplit": [Case(lambda r: (F(r, 4, 3),), {"indices_or_sections": 2})],
    "dsplit": [Case(lambda r: (F(r, 2, 2, 4),), {"indices_or_sections": [1]})],
    "fliplr": [Case(lambda r: (F(r, 2, 3),))],
    "flipud": [Case(lambda r: (F(r, 3, 2),))],
    "rollaxis": [Case(lambda r: (F(r, 2, 3, 4),), {"axis": 2}),
                 Case(lambda r: (F(r, 2, 3, 4),), {"axis": 0, "start": 3}),
                 Case(lambda r: (F(r, 2, 3, 4),), {"axis": 1, "start": -1})],
    "resize": [Case(lambda r: (F(r, 3),), {"new_shape": (2, 4)}),
               Case(lambda r: (F(r, 2, 3),), {"new_shape": 4})],
    "trim_zeros": [Case(lambda r: (np.array([0, 0, *I(r, 3, lo=1, hi=5), 0]),),
                        traced="raises", differentiable=False),
                   Case(lambda r: (np.concatenate([[0.0], F(r, 3), [0.0, 0.0]]),),
                        {"trim": "b"}, traced="raises", differentiable=False),
                   Case(lambda r: (np.pad(F(r, 2, 3), ((1, 0), (2, 1))),), traced="raises",
                        differentiable=False)],
    "place": [Case(lambda r: (F(r, 5), B(r, 5), F(r, 2)), numpy=mutated(np.place),
                   diff_argnums=(0, 2))],
    "put": [Case(lambda r: (F(r, 6), r.permutation(6)[:3].astype(np.int32), F(r, 3)),
                 numpy=mutated(np.put), diff_argnums=(0, 2)),
            Case(lambda r: (F(r, 5), np.array([7, -1]), F(r, 1)), {"mode": "wrap"},
                 numpy=mutated(np.put), diff_argnums=(0, 2)),
            Case(lambda r: (F(r, 2, 3), np.array([9, -4]), F(r, 2)), {"mode": "clip"},
                 numpy=mutated(np.put), diff_argnums=(0, 2))],
    "put_along_axis": [
        Case(lambda r: (F(r, 3, 4), np.argsort(r.random((3, 4)), 1)[:, :2], F(r, 3, 2)),
             {"axis": 1}, numpy=mutated(np.put_along_axis), diff_argnums=(0, 2)),
        Case(lambda r: (F(r, 3, 4), I(r, 1, 4, lo=0, hi=3), F(r, 1, 4)), {"axis": 0},
             numpy=mutated(np.put_along_axis), diff_argnums=(0, 2))],
    "fill_diagonal": [Case(lambda r: (F(r, 3, 3), F(r, 3)), numpy=mutated(np.fill_diagonal)),
                      Case(lambda r: (F(r, 5, 3), F(r, 2)), {"wrap": True},
                           numpy=mutated(np.fill_diagonal)),
                      Case(lambda r: (F(r, 2, 2, 2), F(r)), numpy=mutated(np.fill_diagonal))],
    "copy": [Case(lambda r: (F(r, 3),))],
    "ediff1d": [Case(lambda r: (F(r, 2, 3),)),
                Case(lambda r: (F(r, 4), F(r, 2), F(r, 1)),
                     call=lambda a, e, b: fnp.ediff1d(a, to_end=e, to_begin=b),
                     numpy=lambda a, e, b: np.ediff1d(a, to_end=e, to_begin=b))],
    "diagflat": [Case(lambda r: (F(r, 2, 2),)), Case(lambda r: (F(r, 3),), {"k": -1})],
}

INDEX_CASES = {
    "diag_indices": [Case(NOARGS, {"n": 3}), Case(NOARGS, {"n": 2, "ndim": 3})],
    "diag_indices_from": [Case(lambda r: (F(r, 3, 3),), differentiable=False)],
    "tril_indices": [Case(NOARGS, {"n": 4, "k": -1}), Case(NOARGS, {"n": 3, "k": 1, "m": 5})],
    "triu_indices": [Case(NOARGS, {"n": 4}), Case(NOARGS, {"n": 3, "k": -1, "m": 2})],
    "tril_indices_from": [Case(lambda r: (F(r, 3, 4),), {"k": 1}, differentiable=False)],
    "triu_indices_from": [Case(lambda r: (F(r, 4, 3),), differentiable=False)],
    "mask_indices": [Case(NOARGS, call=lambda: fnp.mask_indices(4, fnp.triu, size=10),
                          numpy=lambda: np.mask_indices(4, np.triu)),
                     Case(NOARGS, call=lambda: fnp.mask_indices(3, fnp.tril, -1, size=3),
                          numpy=lambda: np.mask_indices(3, np.tril, -1))],
    "indices": [Case(NOARGS, {"dimensions": (2, 3)}),
                Case(NOARGS, {"dimensions": (2, 3, 2), "sparse": True})],
    "ix_": [Case(lambda r: (I(r, 3, lo=0, hi=5), I(r, 2, lo=0, hi=5)), differentiable=False)],
    "fromfunction": [Case(NOARGS, call=lambda: fnp.fromfunction(lambda i, j: i * 2 + j, (2, 3)),
                          numpy=lambda: np.fromfunction(lambda i, j: i * 2 + j, (2, 3))),
                     Case(lambda r: (F(r, 3),),
                          call=lambda a: fnp.fromfunction(lambda i: i * a, (3,)),
                          numpy=lambda a: np.fromfunction(lambda i: i * a, (3,)))],
    "frombuffer": [Case(NOARGS, call=lambda: fnp.frombuffer(b"\x01\x00\x00\x00\x07\x00\x00\x00",
                                                            dtype=np.int32),
                        numpy=lambda: np.frombuffer(b"\x01\x00\x00\x00\x07\x00\x00\x00",
                                                    dtype=np.int32))],
    "fromstring": [Case(NOARGS, call=lambda: fnp.fromstring("1.5, 2, -3", sep=","),
                        numpy=lambda: np.fromstring("1.5, 2, -3", sep=","))],
    "fromiter": [Case(NOARGS, call=lambda: fnp.fromiter((i * i for i in range(4)), np.int32),
                      numpy=lambda: np.fromiter((i * i for i in range(4)), np.int32))],
    "mgrid": [Case(NOARGS, call=lambda: fnp.mgrid[0:3, 1:5:2], numpy=lambda: np.mgrid[0:3, 1:5:2]),
              Case(NOARGS, call=lambda: fnp.mgrid[0:1:5j], numpy=lambda: np.mgrid[0:1:5j])],
    "ogrid": [Case(NOARGS, call=lambda: fnp.ogrid[0:2, -1:2:4j],
                   numpy=lambda: np.ogrid[0:2, -1:2:4j])],
    "r_": [Case(lambda r: (F(r, 2), F(r, 3)), call=lambda a, b: fnp.r_[a, 0.5, b],
                numpy=lambda a, b: np.r_[a, 0.5, b]),
           Case(lambda r: (F(r, 3), F(r, 3)), call=lambda a, b: fnp.r_["0,2,0", a, b],
                numpy=lambda a, b: np.r_["0,2,0", a, b]),
           Case(lambda r: (F(r, 2, 2),), call=lambda a: fnp.r_["0,2", a, 0:2],
                numpy=lambda a: np.r_["0,2", a, 0:2])],
    "c_": [Case(lambda r: (F(r, 3), F(r, 3)), call=lambda a, b: fnp.c_[a, b],
                numpy=lambda a, b: np.c_[a, b]),
           Case(lambda r: (F(r, 2, 2), F(r, 2)), call=lambda a, b: fnp.c_[a, b],
                numpy=lambda a, b: np.c_[a, b])],
    "s_": [Case(lambda r: (F(r, 4, 5),), call=lambda a: a[fnp.s_[1:3, ::2]],
                numpy=lambda a: a[np.s_[1:3, ::2]])],
    "index_exp": [Case(lambda r: (F(r, 4, 5),), call=lambda a: a[fnp.index_exp[::-1, 2]],
                       numpy=lambda a: a[np.index_exp[::-1, 2]])],
}

MATH_CASES = {
    "float_power": [Case(lambda r: (pos(r, 4), F(r, 4))),
                    Case(lambda r: (I(r, 3, lo=1, hi=4), I(r, 3, lo=0, hi=3)),
                         differentiable=False)],
    "frexp": [Case(lambda r: (F(r, 5) * 100,), call=lambda x: fnp.frexp(x)[0],
                   numpy=lambda x: np.frexp(x)[0]),
              Case(lambda r: (np.array([0.0, -0.0, np.inf, 1e-310, 2.0 ** -1000, 0.75, 1.0,
                                        -2.0 ** 60]),), differentiable=False),
              Case(lambda r: (np.float32(F(r, 4) * 1e-30),), differentiable=False)],
    "ldexp": [Case(lambda r: (F(r, 4), I(r, 4, lo=-3, hi=4)), diff_argnums=(0,)),
              Case(lambda r: (np.float32([1.5e-38, 1.0]), np.int32([100, -140])),
                   differentiable=False)],
    "modf": [Case(lambda r: (F(r, 5) * 3,)),
             Case(lambda r: (np.array([np.inf, -np.inf, -2.5, 0.0]),), differentiable=False)],
    "spacing": [Case(lambda r: (F(r, 5) * 10,), differentiable=False),
                Case(lambda r: (np.array([0.0, -1.0, 1e300, np.inf]),), differentiable=False),
                Case(lambda r: (F(r, 4).astype(np.float32),), differentiable=False)],
    "i0": [Case(lambda r: (F(r, 6) * 5,)),
           Case(lambda r: (np.array([0.0, 29.99, 30.0, 30.01, 50.0, 200.0]),),
                differentiable=False)],
    "nan_to_num": [Case(lambda r: (F(r, 4),)),
                   Case(lambda r: (with_specials(r, 5),), differentiable=False),
                   Case(lambda r: (with_specials(r, 4),), {"nan": 1.0, "posinf": 9.0,
                                                           "neginf": -9.0},
                        differentiable=False),
                   Case(lambda r: (with_specials(r, 3) + 1j * with_specials(r, 3)[::-1],),
                        {"posinf": 5.0}, differentiable=False),
                   Case(lambda r: (I(r, 3),))],
    "isposinf": [Case(lambda r: (with_specials(r, 5),), differentiable=False),
                 Case(lambda r: (I(r, 3),), differentiable=False)],
    "isneginf": [Case(lambda r: (with_specials(r, 5),), differentiable=False)],
    "nancumsum": [Case(lambda r: (with_specials(r, 6)[[0, 3, 4, 0, 5]],)),
                  Case(lambda r: (np.where(B(r, 2, 3), np.nan, F(r, 2, 3)),), {"axis": 1})],
    "nancumprod": [Case(lambda r: (np.where(B(r, 2, 3), np.nan, F(r, 2, 3)),), {"axis": 0}),
                   Case(lambda r: (I(r, 4),), differentiable=False)],
    "geomspace": [Case(lambda r: (pos(r), pos(r) + 2.0), {"num": 5}),
                  Case(lambda r: (-pos(r, 2), -pos(r, 2) * 10), {"num": 4, "endpoint": False,
                                                                  "axis": 1}),
                  Case(lambda r: (pos(r), pos(r)), {"num": 1})],
    "unwrap": [Case(lambda r: (np.cumsum(F(r, 8) * 2),)),
               Case(lambda r: (F(r, 3, 6) * 4,), {"axis": 0, "period": 5.0}),
               Case(lambda r: (np.cumsum(F(r, 7) * 3),), {"discont": 4.0})],
}

LOGIC_CASES = {
    "gcd": [Case(lambda r: (I(r, 6, lo=-30, hi=30), I(r, 6, lo=-30, hi=30)),
                 differentiable=False),
            Case(lambda r: (I(r, 2, 3, lo=0, hi=10 ** 12, dtype=np.int64),
                            I(r, 3, lo=1, hi=10 ** 9, dtype=np.int64)), differentiable=False)],
    "lcm": [Case(lambda r: (I(r, 6, lo=-20, hi=20), I(r, 6, lo=-20, hi=20)),
                 differentiable=False)],
    "bitwise_count": [Case(lambda r: (I(r, 6, lo=-1000, hi=1000),), differentiable=False),
                      Case(lambda r: (U8(r, 4),), differentiable=False),
                      Case(lambda r: (I(r, 3, lo=-2 ** 62, hi=2 ** 62, dtype=np.int64),),
                           differentiable=False)],
    "packbits": [Case(lambda r: (B(r, 10),), differentiable=False),
                 Case(lambda r: (I(r, 2, 9, lo=0, hi=2),), {"axis": 1, "bitorder": "little"},
                      differentiable=False)],
    "unpackbits": [Case(lambda r: (U8(r, 3),), differentiable=False),
                   Case(lambda r: (U8(r, 2, 2),), {"axis": 1, "count": 11},
                        differentiable=False),
                   Case(lambda r: (U8(r, 2),), {"count": -3, "bitorder": "little"},
                        differentiable=False)],
    "setxor1d": [Case(lambda r: (I(r, 6, lo=0, hi=6), I(r, 5, lo=0, hi=6)),
                      {"size": 11, "fill_value": -1},
                      numpy=padded(np.setxor1d, 11, -1), differentiable=False),
                 Case(lambda r: (I(r, 2, 3, lo=0, hi=9), I(r, 4, lo=0, hi=9)),
                      traced="raises", differentiable=False)],
    "sort_complex": [Case(lambda r: (F(r, 5),), differentiable=False),
                     Case(lambda r: (np.array([1.0, 0.0, 1.0, 0.0]) + 1j * F(r, 4),),
                          differentiable=False)],
    "array_equiv": [Case(lambda r: (I(r, 3, lo=0, hi=2), I(r, 2, 3, lo=0, hi=2)),
                         differentiable=False),
                    Case(lambda r: (F(r, 3), F(r, 2)), differentiable=False)],
    "matvec": [Case(lambda r: (F(r, 2, 3, 4), F(r, 4))), Case(lambda r: (F(r, 3, 4), F(r, 2, 4)))],
    "vecmat": [Case(lambda r: (F(r, 3), F(r, 2, 3, 4))),
               Case(lambda r: (C(r, 3), C(r, 3, 2)), differentiable=False)],
    "choose": [Case(lambda r: (I(r, 5, lo=0, hi=3), [F(r, 5), F(r, 5), F(r, 1)]),
                    diff_argnums=(1,)),
               Case(lambda r: (I(r, 2, 3, lo=-4, hi=6), [F(r, 2, 3), F(r, 3)]), {"mode": "wrap"},
                    diff_argnums=(1,)),
               Case(lambda r: (I(r, 4, lo=-2, hi=4), [F(r, 4), F(r, 4)]), {"mode": "clip"},
                    diff_argnums=(1,))],
    "compress": [Case(lambda r: (F(r, 3, 4),), call=lambda a: fnp.compress(COND, a, axis=1),
                      numpy=lambda a: np.compress(COND, a, axis=1)),
                 Case(lambda r: (B(r, 5), F(r, 5)), {"size": 5, "fill_value": 0.0},
                      numpy=padded(np.compress, 5, 0.0), diff_argnums=(1,)),
                 Case(lambda r: (B(r, 3), F(r, 3, 2)), {"axis": 0}, traced="raises",
                      diff_argnums=(1,))],
    "extract": [Case(lambda r: (B(r, 2, 3), F(r, 2, 3)), {"size": 6},
                     numpy=padded(np.extract, 6, 0.0), diff_argnums=(1,)),
                Case(lambda r: (B(r, 4), I(r, 4)), traced="raises", differentiable=False)],
    "iscomplex": [Case(lambda r: (np.array([1 + 1j, 2.0, -1j]) * pos(r),), differentiable=False),
                  Case(lambda r: (F(r, 3),), differentiable=False)],
    "isreal": [Case(lambda r: (np.array([1 + 1j, 2.0, -1j]) * pos(r),), differentiable=False),
               Case(lambda r: (I(r, 3),), differentiable=False)],
    "iscomplexobj": [Case(lambda r: (C(r, 3),), static=True),
                     Case(lambda r: (F(r, 2),), static=True)],
    "isrealobj": [Case(lambda r: (C(r, 3),), static=True), Case(lambda r: (I(r, 2),), static=True)],
    "isscalar": [Case(lambda r: (F(r, 3),), static=True),
                 Case(NOARGS, call=lambda: fnp.isscalar(3.0), numpy=lambda: np.isscalar(3.0),
                      static=True)],
    "iterable": [Case(lambda r: (F(r, 3),), static=True), Case(lambda r: (F(r),), static=True)],
    "issubdtype": [Case(lambda r: (F(r, 3),), call=lambda a: fnp.issubdtype(a.dtype, fnp.floating),
                        numpy=lambda a: np.issubdtype(a.dtype, np.floating), static=True),
                   Case(lambda r: (I(r, 3),), call=lambda a: fnp.issubdtype(a, fnp.unsignedinteger),
                        numpy=lambda a: np.issubdtype(a.dtype, np.unsignedinteger), static=True)],
}

WINDOW_CASES = {
    "bartlett": [Case(NOARGS, {"M": 7}), Case(NOARGS, {"M": 1}), Case(NOARGS, {"M": 0})],
    "blackman": [Case(NOARGS, {"M": 6}, tol=1e-5), Case(NOARGS, {"M": 1})],
    "hamming": [Case(NOARGS, {"M": 5}, tol=1e-5), Case(NOARGS, {"M": 0})],
    "hanning": [Case(NOARGS, {"M": 8}, tol=1e-5), Case(NOARGS, {"M": 1})],
    "kaiser": [Case(lambda r: (pos(r) * 4,), call=lambda b: fnp.kaiser(6, b),
                    numpy=lambda b: np.kaiser(6, b)),
               Case(NOARGS, {"M": 5, "beta": 14.0}, tol=1e-5)],
    "histogram_bin_edges": [Case(lambda r: (F(r, 10),), {"bins": 4}),
                            Case(lambda r: (F(r, 10),), {"bins": 3, "range": (-1.0, 2.0)},
                                 differentiable=False)],
    "histogramdd": [Case(lambda r: (F(r, 20, 2),), {"bins": 3}, differentiable=False),
                    Case(lambda r: (F(r, 20, 3),), {"bins": (2, 3, 4),
                                                    "range": [(-1, 1), (-2, 2), None]},
                         differentiable=False),
                    Case(lambda r: (F(r, 10, 2), pos(r, 10)),
                         call=lambda s, w: fnp.histogramdd(s, bins=2, weights=w, density=True),
                         numpy=lambda s, w: np.histogramdd(s, bins=2, weights=w, density=True),
                         diff_argnums=(1,))],
    "histogram2d": [Case(lambda r: (F(r, 15), F(r, 15)), {"bins": 3}, differentiable=False),
                    Case(lambda r: (F(r, 15), F(r, 15)), {"bins": [2, 4], "density": True},
                         differentiable=False),
                    Case(lambda r: (F(r, 15), F(r, 15)), {"bins": np.linspace(-2, 2, 5)},
                         differentiable=False),
                    Case(lambda r: (F(r, 12), F(r, 12), pos(r, 12)),
                         call=lambda x, y, w: fnp.histogram2d(x, y, 3, weights=w),
                         numpy=lambda x, y, w: np.histogram2d(x, y, 3, weights=w),
                         diff_argnums=(2,))],
}

POLY_CASES = {
    "poly": [Case(lambda r: (F(r, 3),)), Case(lambda r: (F(r, 4, 4),)),
             Case(lambda r: (I(r, 3, 3),), differentiable=False)],
    "polyadd": [Case(lambda r: (F(r, 3), F(r, 5)))],
    "polysub": [Case(lambda r: (F(r, 4), F(r, 2)))],
    "polymul": [Case(lambda r: (F(r, 3), F(r, 4)))],
    "polydiv": [Case(lambda r: (F(r, 5), F(r, 3)),
                     numpy=lambda u, v: (np.polydiv(u, v)[0],
                                         np.pad(np.polydiv(u, v)[1],
                                                (5 - np.polydiv(u, v)[1].size, 0))))],
    "polyder": [Case(lambda r: (F(r, 5),)), Case(lambda r: (F(r, 5),), {"m": 2}),
                Case(lambda r: (F(r, 2),), {"m": 3})],
    "polyint": [Case(lambda r: (F(r, 3),)), Case(lambda r: (F(r, 3),), {"m": 2, "k": [1.0, 2.0]}),
                Case(lambda r: (F(r, 3), F(r)), call=lambda p, k: fnp.polyint(p, 1, k),
                     numpy=lambda p, k: np.polyint(p, 1, k))],
    "polyfit": [Case(lambda r: (fit_x(r, 8), F(r, 8)), {"deg": 2}),
                Case(lambda r: (fit_x(r, 8), F(r, 8, 2)), {"deg": 3}, tol=1e-5),
                Case(lambda r: (fit_x(r, 7), F(r, 7), pos(r, 7)),
                     call=lambda x, y, w: fnp.polyfit(x, y, 2, w=w),
                     numpy=lambda x, y, w: np.polyfit(x, y, 2, w=w)),
                Case(lambda r: (fit_x(r, 8), F(r, 8)), {"deg": 2, "cov": True}),
                Case(lambda r: (fit_x(r, 8), F(r, 8, 2)), {"deg": 2, "cov": "unscaled"}),
                Case(lambda r: (fit_x(r, 9), F(r, 9)), {"deg": 3, "full": True},
                     differentiable=False)],
    "roots": [Case(lambda r: (F(r, 5),), call=lambda p: canonical_roots(fnp.roots(p), fnp),
                   numpy=lambda p: canonical_roots(np.roots(p), np), differentiable=False),
              # the coefficients back from the roots: checks values and (through the
              # iteration) derivatives of every root at once
              Case(lambda r: (F(r, 4),), call=lambda p: fnp.real(fnp.poly(fnp.roots(p))),
                   numpy=lambda p: p / p[0]),
              Case(NOARGS, call=lambda: canonical_roots(fnp.roots(ZERO_ENDS), fnp),
                   numpy=lambda: canonical_roots(np.roots(ZERO_ENDS), np))],
}

VECTORIZE_CASES = {
    "vectorize": [
        Case(lambda r: (F(r, 3, 1), F(r, 4)),
             call=lambda a, b: fnp.vectorize(lambda x, y: fnp.sin(x) * y + 1)(a, b),
             numpy=lambda a, b: np.vectorize(lambda x, y: np.sin(x) * y + 1)(a, b)),
        Case(lambda r: (F(r, 2, 1, 3), F(r, 3, 3)),
             call=lambda u, v: fnp.vectorize(lambda a, b: fnp.sum(a * b),
                                             signature="(n),(n)->()")(u, v),
             numpy=lambda u, v: np.vectorize(lambda a, b: np.sum(a * b),
                                             signature="(n),(n)->()")(u, v)),
        Case(lambda r: (F(r, 4),),
             call=lambda a: fnp.vectorize(lambda x, p: x ** p, excluded={1})(a, 3),
             numpy=lambda a: np.vectorize(lambda x, p: x ** p, excluded={1})(a, 3)),
        Case(lambda r: (F(r, 4), F(r, 1)),
             call=lambda a, s: fnp.vectorize(scaled, excluded={"sign"})(a, scale=s, sign=-1),
             numpy=lambda a, s: np.vectorize(scaled, excluded={"sign"})(a, scale=s, sign=-1)),
        Case(lambda r: (F(r, 2, 3),),
             call=lambda a: fnp.vectorize(lambda v: (fnp.sum(v), fnp.cumsum(v)),
                                          signature="(n)->(),(n)")(a),
             numpy=lambda a: np.vectorize(lambda v: (np.sum(v), np.cumsum(v)),
                                          signature="(n)->(),(n)")(a))],
    "apply_along_axis": [
        Case(lambda r: (F(r, 3, 4),),
             call=lambda a: fnp.apply_along_axis(lambda v: fnp.sum(v * v), 1, a),
             numpy=lambda a: np.apply_along_axis(lambda v: np.sum(v * v), 1, a)),
        Case(lambda r: (F(r, 2, 3, 4),),
             call=lambda a: fnp.apply_along_axis(lambda v: v[::-1] * 2, 1, a),
             numpy=lambda a: np.apply_along_axis(lambda v: v[::-1] * 2, 1, a)),
        Case(lambda r: (F(r, 3, 2),),
             call=lambda a: fnp.apply_along_axis(lambda v: fnp.outer(v, v), 0, a),
             numpy=lambda a: np.apply_along_axis(lambda v: np.outer(v, v), 0, a))],
    "apply_over_axes": [
        Case(lambda r: (F(r, 2, 3, 4),), call=lambda a: fnp.apply_over_axes(fnp.sum, a, [0, 2]),
             numpy=lambda a: np.apply_over_axes(np.sum, a, [0, 2]))],
    "einsum_path": [
        Case(lambda r: (F(r, 2, 3), F(r, 3, 4), F(r, 4)),
             call=lambda *a: fnp.einsum_path("ij,jk,k", *a)[0],
             numpy=lambda *a: np.einsum_path("ij,jk,k", *a, optimize="greedy")[0], static=True)],
}

def read_print_options(xp, **options):
    """The precision, and whether an ``xp`` array prints with it, under
    ``xp.printoptions(**options)``; then whether ``xp.set_printoptions`` changes and
    restores the options."""
    before = xp.get_printoptions()
    with xp.printoptions(**options):
        printed = repr(xp.asarray([1.23456789]))
        inside = xp.get_printoptions()["precision"], "1.235" in printed and "1.2346" not in printed
    xp.set_printoptions(precision=before["precision"] + 1)
    changed = xp.get_printoptions()["precision"]
    xp.set_printoptions(**before)
    return inside, changed - before["precision"], xp.get_printoptions() == before


PRINT_CASES = {
    name: [Case(NOARGS, call=lambda: read_print_options(fnp, precision=3),
                numpy=lambda: read_print_options(np, precision=3), static=True)]
    for name in ("printoptions", "get_printoptions", "set_printoptions")}

CASES = {**SHAPE_CASES, **INDEX_CASES, **MATH_CASES, **LOGIC_CASES, **WINDOW_CASES,
         **POLY_CASES, **VECTORIZE_CASES, **PRINT_CASES}
