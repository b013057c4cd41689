"""TensorFlow dropout: training follows the Keras call, and a model's dropouts share one seed generator.

``Dropout`` is not a Keras layer (constructing one per dropout was a tenth of loading GPT-2 small),
so what a Keras sub-layer would do by itself is checked here: ``training`` left out follows the
call in progress, and the model tracks the one generator its dropouts draw from, once.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from plugformers.configuration import PretrainedConfig  # noqa: E402
from plugformers.errors import ConfigError  # noqa: E402
from plugformers_sdk.tf import Dropout, Linear, MultiHeadAttention, PreTrainedModel, keras, tf  # noqa: E402

X = np.ones((4, 64), np.float32)


class TinyConfig(PretrainedConfig):
    model_type = "tiny-dropout"
    hidden_size: int = 8


class TFTinyBlock(keras.layers.Layer):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.attn = MultiHeadAttention(config.hidden_size, 2, dropout=0.5)
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.drop = Dropout(0.5)

    def call(self, hidden, training=False):
        attended, _ = self.attn(hidden, None, training=training)
        return self.drop(self.dense(attended))  # training left out: the call's own


class TFTinyModel(PreTrainedModel):
    config_class = TinyConfig
    base_model_prefix = "model"

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.block = TFTinyBlock(config)
        self.drop = Dropout(0.25)

    def call(self, hidden, training=False):
        return self.drop(self.block(hidden, training=training), training=training)


class TFTinyHead(PreTrainedModel):
    config_class = TinyConfig
    base_model_prefix = "model"

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.model = TFTinyModel(config)

    def call(self, hidden, training=False):
        return self.model(hidden, training=training)


def seed_states(model) -> list:
    return [v for v in model.variables if "seed_generator_state" in v.path]


def test_dropout_drops_only_when_training_and_refuses_a_bad_p():
    layer = Dropout(0.5)
    np.testing.assert_array_equal(layer(X), X)
    dropped = layer(X, training=True).numpy()
    assert 0 < np.mean(dropped == 0) < 1 and set(np.unique(dropped)) <= {0.0, 2.0}
    np.testing.assert_array_equal(Dropout(0.0)(X, training=True), X)
    for bad in (1.0, -0.1, True, "0.1"):
        with pytest.raises(ConfigError, match="Dropout: p must be in"):
            Dropout(bad)


def test_training_left_out_follows_the_keras_call_in_progress():
    class Wrapper(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.drop = Dropout(0.5)

        def call(self, x, training=False):
            return self.drop(x)

    wrapper = Wrapper()
    np.testing.assert_array_equal(wrapper(X), X)
    np.testing.assert_array_equal(wrapper(X, training=False), X)
    assert np.any(wrapper(X, training=True).numpy() == 0)


def test_a_model_s_dropouts_share_one_generator_tracked_once(tmp_path):
    model = TFTinyHead.from_config(TinyConfig(), seed=3)
    generators = {id(model.model.drop.seed_generator), id(model.model.block.drop.seed_generator),
                  id(model.model.block.attn.attention_dropout.seed_generator)}
    assert len(generators) == 1
    assert len(seed_states(model)) == 1
    model.save_pretrained(tmp_path)
    loaded = TFTinyHead.from_pretrained(tmp_path)
    assert len(seed_states(loaded)) == 1
    hidden = tf.ones((2, 5, 8))
    np.testing.assert_array_equal(loaded(hidden), model(hidden))
    first, second = loaded(hidden, training=True).numpy(), loaded(hidden, training=True).numpy()
    assert not np.array_equal(first, second)  # the shared state advances, in XLA too
    step = tf.function(lambda h: loaded(h, training=True), jit_compile=True)
    assert not np.array_equal(step(hidden).numpy(), step(hidden).numpy())


def test_seeded_builds_draw_the_same_masks():
    hidden = tf.ones((2, 5, 8))
    a, b = TFTinyHead.from_config(TinyConfig(), seed=7), TFTinyHead.from_config(TinyConfig(), seed=7)
    np.testing.assert_array_equal(a(hidden, training=True), b(hidden, training=True))
