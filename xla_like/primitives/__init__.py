"""The catalogue of primitives; importing this package declares all of them."""
from xla_like.primitives import elementwise  # noqa: F401
from xla_like.primitives.elementwise import *  # noqa: F401,F403
from xla_like.primitives import structural  # noqa: F401,E402
from xla_like.primitives.structural import *  # noqa: F401,F403,E402
