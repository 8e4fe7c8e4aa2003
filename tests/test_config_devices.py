"""Configuration (``functorch_lite.config``) and the device registry."""
import numpy as np
import pytest

import functorch_lite
import functorch_lite.numpy as fnp
from xla_like.backends import CpuDevice, default_device, get_backend
from xla_like.config import Config, _parse_bool


@pytest.fixture
def restore_check_ir():
    saved = functorch_lite.config.check_ir
    yield
    functorch_lite.config.update("check_ir", saved)


# ---- config -------------------------------------------------------------------------

def test_update_and_read(restore_check_ir):
    config = functorch_lite.config
    config.update("check_ir", False)
    assert config.check_ir is False
    config.update("check_ir", True)
    assert config.check_ir is True


def test_update_parses_strings(restore_check_ir):
    functorch_lite.config.update("check_ir", "off")
    assert functorch_lite.config.check_ir is False
    functorch_lite.config.update("check_ir", "Yes")
    assert functorch_lite.config.check_ir is True


def test_unknown_option_lists_known_ones():
    with pytest.raises(AttributeError, match=r"unknown config option 'no_such'.*check_ir"):
        functorch_lite.config.update("no_such", 1)
    with pytest.raises(AttributeError, match=r"unknown config option 'no_such'.*check_ir"):
        functorch_lite.config.no_such  # noqa: B018


def test_attribute_assignment_is_refused():
    with pytest.raises(AttributeError, match=r"config.update\(name, value\)"):
        functorch_lite.config.check_ir = False
    assert functorch_lite.config.check_ir in (True, False)


def test_options_have_docs():
    options = functorch_lite.config.options()
    value, doc = options["check_ir"]
    assert value is functorch_lite.config.check_ir
    assert "type-check" in doc


@pytest.mark.parametrize("text,value", [("1", True), ("true", True), (" ON ", True),
                                        ("yes", True), ("0", False), ("False", False),
                                        ("off", False), ("", False)])
def test_env_var_bool(monkeypatch, text, value):
    monkeypatch.setenv("FUNCTORCH_LITE_CHECK_IR", text)
    config = Config()
    config.define("check_ir", not value, _parse_bool, "doc")
    assert config.check_ir is value


def test_env_var_absent_gives_default(monkeypatch):
    monkeypatch.delenv("FUNCTORCH_LITE_CHECK_IR", raising=False)
    config = Config()
    config.define("check_ir", True, _parse_bool, "doc")
    assert config.check_ir is True


def test_env_var_unreadable_names_option(monkeypatch):
    monkeypatch.setenv("FUNCTORCH_LITE_CHECK_IR", "maybe")
    with pytest.raises(ValueError, match="config option 'check_ir': cannot read 'maybe'"):
        Config().define("check_ir", True, _parse_bool, "doc")


def test_env_var_uses_option_parser(monkeypatch):
    monkeypatch.setenv("FUNCTORCH_LITE_CACHE_SIZE", "64")
    config = Config()
    config.define("cache_size", 8, lambda name, text: int(text), "entries")
    assert config.cache_size == 64
    config.update("cache_size", "16")     # strings go through the same parser
    assert config.cache_size == 16


# ---- devices ------------------------------------------------------------------------

def test_devices_lists_the_cpu():
    assert functorch_lite.devices() == [CpuDevice(id=0)]
    assert functorch_lite.devices("cpu") == [CpuDevice(0)]
    assert repr(functorch_lite.devices()[0]) == "CpuDevice(id=0)"
    assert functorch_lite.devices()[0].platform == "cpu"


def test_unknown_platform_error():
    with pytest.raises(ValueError, match=r"unknown or unavailable platform 'tpu'.*'cpu'"):
        functorch_lite.devices("tpu")
    with pytest.raises(ValueError, match="'tpu'"):
        get_backend("tpu")


def test_device_equality_and_hash():
    assert CpuDevice(0) == CpuDevice(0) and hash(CpuDevice(0)) == hash(CpuDevice(0))
    assert CpuDevice(0) != CpuDevice(1)
    assert CpuDevice(0) != "cpu:0"
    assert len({CpuDevice(0), CpuDevice(0), CpuDevice(1)}) == 2


def test_array_device():
    x = fnp.asarray(np.arange(3.0))
    assert x.device == CpuDevice(0) == default_device()
    assert x.devices() == {CpuDevice(0)}
    assert (x * 2.0).device == CpuDevice(0)
