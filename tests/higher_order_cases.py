"""Cases for the primitives whose params hold sub-programs or user rules: each is
staged from a small user function so its params are exactly what the library makes."""
import numpy as np
from hypothesis import strategies as st

import functorch_lite as fl
from functorch_lite import numpy as fnp
from xla_like import primitives as P


def _single_eqn(program, prim):
    (eqn,) = [e for e in program.eqns if e.prim is prim]
    return eqn


def _smooth(x):
    return fnp.sin(x) * 2.0 + x


def _custom_jvp_fn():
    f = fl.custom_jvp(_smooth)
    f.defjvp(lambda p, t: (f(p[0]), t[0] * (fnp.cos(p[0]) * 2.0 + 1.0)))
    return f


def _custom_vjp_fn():
    f = fl.custom_vjp(_smooth)
    f.defvjp(lambda x: (f(x), fnp.cos(x)), lambda c, ct: (ct * (c * 2.0 + 1.0),))
    return f


STAGED = {
    P.custom_jvp_call_p: _custom_jvp_fn,
    P.custom_vjp_call_p: _custom_vjp_fn,
    P.remat_p: lambda: fl.checkpoint(_smooth),
    P.jit_p: lambda: fl.jit(_smooth),
}


def staged_case(prim):
    @st.composite
    def case(draw):
        shape = draw(st.sampled_from([(), (3,), (2, 2)]))
        dtype = draw(st.sampled_from([np.float32, np.float64]))
        x = np.asarray(draw(st.floats(-2, 2)) + np.arange(np.prod(shape)).reshape(shape),
                       dtype)
        eqn = _single_eqn(fl.make_ir(STAGED[prim]())(x), prim)
        return [x], dict(eqn.params)
    return case()


HIGHER_ORDER_CASES = {prim: staged_case(prim) for prim in STAGED}

# Primitives with no meaning outside the transform that binds them: their reference
# implementation raises a clear error instead (tested in test_primitives).
NO_STANDALONE_IMPL = {P.psum_p: NameError, P.pmax_p: NameError, P.pmin_p: NameError,
                      P.all_gather_p: NameError, P.axis_index_p: NameError,
                      P.custom_lin_p: NotImplementedError}
