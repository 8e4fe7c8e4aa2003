import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=25,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=50,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True, scope="session")
def _private_compilation_cache(tmp_path_factory):
    """Compiled code from the tests goes to a temporary directory, never to the user's
    cache (``~/.cache/functorch_lite``)."""
    from xla_like.config import config
    previous = config.compilation_cache_dir
    config.update("compilation_cache_dir", str(tmp_path_factory.mktemp("compilation_cache")))
    yield
    config.update("compilation_cache_dir", previous)


@pytest.fixture
def restore_config():
    """Put every config option back as it was after the test."""
    from xla_like.config import config
    saved = {k: v for k, (v, _) in config.options().items()}
    yield
    for k, v in saved.items():
        config.update(k, v)
