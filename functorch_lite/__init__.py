"""functorch_lite: composable grad, vmap and jit over immutable arrays.

>>> import functorch_lite as fl, functorch_lite.numpy as fnp
>>> fl.grad(lambda x: fnp.sum(fnp.sin(x)))(fnp.arange(3.0))
"""
# Importing these registers every transform's rules in its table.
import transforms.jvp_rules  # noqa: F401
import transforms.ad_structural  # noqa: F401
import transforms.ad_reductions  # noqa: F401
import transforms.custom_derivatives  # noqa: F401
import transforms.vmap_rules  # noqa: F401
import transforms.vmap_reductions  # noqa: F401
import transforms.vmap_structural  # noqa: F401
import transforms.jit  # noqa: F401
import transforms.effect_rules  # noqa: F401
import transforms.control_flow_rules  # noqa: F401
import transforms.control_flow_while  # noqa: F401
import transforms.control_flow_batching  # noqa: F401
import transforms.linalg_rules  # noqa: F401
import transforms.fft_rules  # noqa: F401

from transforms.array import Array  # noqa: F401
from transforms.errors import ConcretizationError, EscapedTracerError  # noqa: F401
from transforms.jvp import float0  # noqa: F401
from xla_like.backends import devices  # noqa: F401
from xla_like.config import config  # noqa: F401

from functorch_lite import _array_methods  # noqa: F401  (operators on Array and tracers)
from functorch_lite import numpy  # noqa: F401
from functorch_lite import tree  # noqa: F401
from functorch_lite._api import device_put, make_ir  # noqa: F401
from functorch_lite._autodiff import (grad, jvp, linearize, stop_gradient,  # noqa: F401
                                      value_and_grad, vjp)
from functorch_lite._custom import checkpoint, custom_jvp, custom_vjp, remat  # noqa: F401
from functorch_lite._jacobians import hessian, jacfwd, jacrev  # noqa: F401
from functorch_lite._jit import jit  # noqa: F401
from functorch_lite._vmap import vmap  # noqa: F401
from functorch_lite import ad, debug, lax, nn, random  # noqa: F401
from functorch_lite import scipy  # noqa: F401,E402
