"""ModelOutput classes are JAX pytrees once plugformers_sdk.flax is imported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

from plugformers.outputs import CausalLMOutputWithPast, MaskedLMOutput, ModelOutput
from plugformers_sdk.flax import register_model_output, register_model_outputs


def test_outputs_flatten_to_their_set_fields_and_round_trip():
    out = CausalLMOutputWithPast(logits=jnp.ones((2, 3)), past_key_values=((jnp.zeros(1), jnp.zeros(2)),))
    leaves, treedef = jax.tree.flatten(out)
    assert len(leaves) == 3
    rebuilt = jax.tree.unflatten(treedef, leaves)
    assert isinstance(rebuilt, CausalLMOutputWithPast) and list(rebuilt.keys()) == ["logits", "past_key_values"]
    assert rebuilt.loss is None and rebuilt[0].shape == (2, 3)


def test_outputs_come_back_from_jit_with_key_and_attribute_access():
    out = jax.jit(lambda x: MaskedLMOutput(loss=x.sum(), logits=x * 2))(jnp.ones((2, 2)))
    assert isinstance(out, MaskedLMOutput)
    assert float(out.loss) == 4.0 and float(out["logits"][0, 0]) == 2.0 and out.to_tuple()[0] is out.loss
    paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(out)[0]]
    assert paths == ["['loss']", "['logits']"]


def test_output_classes_defined_later_are_registered():
    @dataclass(repr=False)
    class PluginOutput(ModelOutput):
        scores: Any = None

    register_model_outputs()
    assert isinstance(jax.jit(lambda x: PluginOutput(scores=x))(jnp.ones(2)), PluginOutput)

    @register_model_output
    @dataclass(repr=False)
    class ExplicitOutput(ModelOutput):
        value: Any = None

    assert jax.tree.leaves(ExplicitOutput(value=jnp.ones(1)))[0].shape == (1,)
    assert register_model_output(ExplicitOutput) is ExplicitOutput  # idempotent
