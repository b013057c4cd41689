"""``pretrained_io.gc_paused``: no cyclic collections while a model is built, and the collector's
state is restored afterwards, whatever happens."""

from __future__ import annotations

import gc

import pytest

from plugformers_sdk.pretrained_io import gc_paused


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_and_resumed_after(collector_on):
    seen = gc_paused(lambda: gc.isenabled())()
    assert seen is False and gc.isenabled()


def test_resumed_after_an_error(collector_on):
    def fails():
        raise ValueError("bad checkpoint")

    with pytest.raises(ValueError, match="bad checkpoint"):
        gc_paused(fails)()
    assert gc.isenabled()


def test_left_off_if_it_was_off(collector_on):
    gc.disable()
    gc_paused(lambda: None)()
    assert not gc.isenabled()
