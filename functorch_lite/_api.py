"""User-facing entry points that stage functions: ``make_ir``."""
import functools

from transforms.pytree import tree_map
from transforms.staging import trace_function
from xla_like.backends import devices
from xla_like.config import config
from xla_like.typecheck import typecheck


def make_ir(fun, static_argnums=(), static_argnames=()):
    """Return a function that stages ``fun`` on example arguments into a ``Program``.

    >>> print(make_ir(lambda x: fnp.sin(x) * 2.0)(fnp.ones(3)))
    { lambda a:f32[3] .
      let b:f32[3] = sin a
          c:f32[3] = mul b 2.0
      in (c) }
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if isinstance(static_argnames, str):
        static_argnames = (static_argnames,)

    @functools.wraps(fun)
    def staged(*args, **kwargs):
        program, captured, _ = trace_function(fun, args, kwargs, tuple(static_argnums),
                                              tuple(static_argnames), "make_ir")
        if captured:
            raise ValueError(
                "make_ir: the function closes over values traced by an enclosing transform "
                f"({len(captured)} of them); pass them as arguments instead")
        if config.check_ir:
            typecheck(program)
        return program
    return staged


def device_put(x, device=None):
    """Place ``x`` (array, scalar or pytree of them) on ``device`` (default: the first).

    >>> device_put(np.arange(3.0)).device
    CpuDevice(id=0)
    """
    from functorch_lite.numpy import asarray
    if device is not None and device not in devices():
        raise ValueError(f"device_put: unknown device {device!r}; available: {devices()}")
    return tree_map(asarray, x)
