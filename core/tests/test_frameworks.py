import numpy as np
import pytest

from plugformers.frameworks import convert_to_tensors, modules_installed, normalise_framework


def test_availability_is_known_without_importing():
    assert modules_installed("json") and not modules_installed("a_module_that_does_not_exist")
    assert normalise_framework("pytorch") == "pt" and normalise_framework("jax") == "flax"
    with pytest.raises(ValueError, match="framework='mxnet'"):
        normalise_framework("mxnet")


@pytest.mark.parametrize("kind, module", [("pt", "torch"), ("tf", "tensorflow"), ("jax", "jax"), ("np", "numpy")])
def test_return_tensors(kind, module):
    pytest.importorskip(module, reason=f"{module} not installed")
    ids = np.array([[1, 2, 3], [4, 5, 0]], dtype=np.int64)
    tensor = convert_to_tensors(ids, kind)
    assert np.array_equal(np.asarray(tensor), ids)
    assert type(tensor).__module__.split(".")[0] in {module, "jaxlib", "tensorflow"}


def test_bad_return_tensors():
    with pytest.raises(ValueError, match="return_tensors='mx'"):
        convert_to_tensors(np.zeros(2), "mx")
