"""The public names of NumPy's main namespace (and the few more of ``jax.numpy``) that
``functorch_lite.numpy`` deliberately does not provide, each with the reason.  Asking ``functorch_lite.numpy`` for one raises
an ``AttributeError`` that gives the reason (see the module ``__getattr__`` at the end of
``functorch_lite/numpy/__init__.py``).  A test checks that every public name of the
installed NumPy is either provided or listed here.

The reasons fall into a few groups: arrays here are immutable, numeric, and live on a
device (no in-place writes, memory layout, object/string/datetime dtypes); file I/O and
NumPy's own configuration and tooling belong to NumPy; a few names are classes or
iteration protocols of NumPy's ndarray itself.
"""

_IMMUTABLE = "arrays are immutable; use the functional form"
_LAYOUT = ("arrays have no user-visible memory layout or strides (they may live on a GPU); "
           "use asarray")
_IO = "file I/O is NumPy's job: convert with numpy.asarray(x) and use numpy's function"
_NUMPY_TOOL = "NumPy's own tooling/configuration, not an array operation"
_SUBMODULE = "a NumPy submodule with no counterpart here"
_DATETIME = "datetime/timedelta dtypes are not supported (numeric dtypes only)"
_STRINGS = "string/bytes dtypes are not supported (numeric dtypes only)"
_OBJECT = "object arrays are not supported (numeric dtypes only)"
_LONGDOUBLE = ("extended precision (long double) is not supported: no backend computes "
               "in it; float64/complex128 are the widest types")
_VALUE_DTYPE = ("its result's dtype or shape depends on the values, which is not "
                "traceable under jit")
_ERRSTATE = ("floating-point error handling is not configurable: operations follow IEEE "
             "(inf/nan) and never raise or warn")
_NARROW = ("narrow machine-learning dtypes (ml_dtypes' bfloat16, float8, int4, ...) are not "
           "supported: the IR's dtypes are NumPy's, float16 the narrowest float")
_MATRIX = "the matrix class is not supported (it is discouraged in NumPy too); use 2-d arrays"

OMITTED = {
    # in-place writers (functional forms: place, put, put_along_axis, fill_diagonal, x.at[])
    "copyto": _IMMUTABLE + " (where(mask, src, dst))",
    "putmask": _IMMUTABLE + " (where(mask, values, a), or place)",
    # memory layout and aliasing
    "asanyarray": "there are no ndarray subclasses; use asarray",
    "ascontiguousarray": _LAYOUT,
    "asfortranarray": _LAYOUT,
    "isfortran": _LAYOUT,
    "require": _LAYOUT,
    "may_share_memory": "arrays are immutable, so aliasing is unobservable",
    "shares_memory": "arrays are immutable, so aliasing is unobservable",
    "asarray_chkfinite": "raising on NaN/inf needs a value check on the host; use "
                         "isfinite(x).all() eagerly, or config debug_nans under jit",
    "little_endian": "arrays use the device's native byte order",
    # file I/O
    "save": _IO, "savez": _IO, "savez_compressed": _IO, "savetxt": _IO, "load": _IO,
    "loadtxt": _IO, "genfromtxt": _IO, "fromfile": _IO, "fromregex": _IO,
    "memmap": _IO + " (memory-mapped files are host-only)",
    # printing and formatting (arrays print through NumPy)
    "array2string": "printing is NumPy's: use numpy.array2string(numpy.asarray(x))",
    "array_repr": "printing is NumPy's: use repr(x) or numpy.array_repr(numpy.asarray(x))",
    "array_str": "printing is NumPy's: use str(x) or numpy.array_str(numpy.asarray(x))",
    "base_repr": "formats Python ints as text; use numpy.base_repr",
    "binary_repr": "formats Python ints as text; use numpy.binary_repr",
    "format_float_positional": "formats Python floats as text; use NumPy's",
    "format_float_scientific": "formats Python floats as text; use NumPy's",
    # error state
    "errstate": _ERRSTATE, "seterr": _ERRSTATE, "geterr": _ERRSTATE,
    "seterrcall": _ERRSTATE, "geterrcall": _ERRSTATE,
    "getbufsize": "ufunc buffer sizes are a NumPy implementation detail",
    "setbufsize": "ufunc buffer sizes are a NumPy implementation detail",
    # datetime
    "datetime64": _DATETIME, "timedelta64": _DATETIME, "datetime_as_string": _DATETIME,
    "datetime_data": _DATETIME, "busday_count": _DATETIME, "busday_offset": _DATETIME,
    "busdaycalendar": _DATETIME, "is_busday": _DATETIME, "isnat": _DATETIME,
    # strings, records, objects
    "str_": _STRINGS, "bytes_": _STRINGS, "void": _STRINGS + " (no structured dtypes)",
    "char": _STRINGS, "strings": _STRINGS,
    "rec": "record arrays (structured dtypes) are not supported",
    "recarray": "record arrays (structured dtypes) are not supported",
    "record": "record arrays (structured dtypes) are not supported",
    "object_": _OBJECT,
    "frompyfunc": _OBJECT + " (it returns object arrays); use vectorize",
    # extended precision
    "longdouble": _LONGDOUBLE, "clongdouble": _LONGDOUBLE,
    "float128": _LONGDOUBLE, "complex256": _LONGDOUBLE,
    # classes and iteration protocols of NumPy's ndarray
    "matrix": _MATRIX, "asmatrix": _MATRIX, "bmat": _MATRIX + " (use block)",
    "ma": "masked arrays are not supported; use where= arguments or nan-functions",
    "ufunc": "functions here are plain Python functions, not ufunc objects (no .reduce/"
             ".outer/.at methods); use the reductions and outer",
    "broadcast": "NumPy's lazy broadcast iterator; use broadcast_shapes or broadcast_arrays",
    "flatiter": "NumPy's flat iterator; use ravel",
    "nditer": "NumPy's element iterator; write vectorized code (or vmap) instead",
    "nested_iters": "NumPy's element iterator; write vectorized code (or vmap) instead",
    "ndenumerate": "element-by-element Python iteration; use vectorized code (or "
                   "numpy.ndenumerate(numpy.asarray(x)) eagerly)",
    "ndindex": "a pure-Python index iterator; use numpy.ndindex (it takes only a shape)",
    "poly1d": "the polynomial class is not supported; use the poly* functions on "
              "coefficient arrays",
    # value-dependent results and dtype utilities tied to NumPy's casting rules
    "real_if_close": _VALUE_DTYPE + " (real or complex); use real(x) explicitly",
    "min_scalar_type": "value-based casting was removed by NEP 50; use result_type",
    "common_type": "NumPy 1 scalar-type helper; use result_type",
    "mintypecode": "character typecodes are not used here; use result_type",
    "typename": "character typecodes are not used here",
    "typecodes": "character typecodes are not used here",
    "sctypeDict": "NumPy's internal scalar-type registry; pass dtypes directly",
    "ScalarType": "NumPy's internal tuple of scalar types",
    "False_": "NumPy's bool scalar constants; use False (or bool_(False))",
    "True_": "NumPy's bool scalar constants; use True (or bool_(True))",
    "row_stack": "deprecated alias of vstack in NumPy 2; use vstack",
    # NumPy's own submodules and tooling
    "core": _SUBMODULE, "lib": _SUBMODULE, "emath": _SUBMODULE + " (complex-valued "
    "sqrt/log of negative reals: pass complex inputs instead)",
    "ctypeslib": _SUBMODULE, "dtypes": _SUBMODULE + " (dtype classes)",
    "exceptions": _SUBMODULE, "f2py": _NUMPY_TOOL, "testing": _NUMPY_TOOL + " (use "
    "numpy.testing on numpy.asarray(x))", "typing": _SUBMODULE + " (static typing of NumPy "
    "arrays)", "polynomial": _SUBMODULE + " (the poly* functions cover the legacy API)",
    "random": "stateful NumPy RNG; use functorch_lite.random (explicit keys)",
    "get_include": _NUMPY_TOOL, "show_config": _NUMPY_TOOL, "show_runtime": _NUMPY_TOOL,
    "info": _NUMPY_TOOL, "test": _NUMPY_TOOL,
    # names jax.numpy has beyond NumPy 2's namespace
    **{name: _NARROW for name in (
        "bfloat16", "float4_e2m1fn", "float6_e2m3fn", "float6_e3m2fn", "float8_e3m4",
        "float8_e4m3", "float8_e4m3b11fnuz", "float8_e4m3fn", "float8_e4m3fnuz",
        "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "int1", "int2", "int4",
        "uint1", "uint2", "uint4")},
    "float_": "NumPy 2 removed this alias; use float64",
    "complex_": "NumPy 2 removed this alias; use complex128",
    "ComplexWarning": "a NumPy 1 warning class (numpy.exceptions in NumPy 2); this module "
    "defines no warning classes",
}
