"""Models loaded from bad checkpoints: an error naming the tensor or file, never a half-loaded model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from case import Case

from plugformers.errors import CheckpointError

CONFIG = {"model_type": "bert", "vocab_size": 50, "hidden_size": 16, "num_hidden_layers": 1,
          "num_attention_heads": 2, "intermediate_size": 20, "max_position_embeddings": 32}


def checkpoint(mutate):
    def build(tmp: Path) -> Path:
        from plugformers.checkpoint import save_checkpoint
        from plugformers_bert.configuration import BertConfig
        from plugformers_bert.modeling_torch import BertModel

        tensors = {k: v.numpy() for k, v in BertModel.from_config(BertConfig(**CONFIG)).state_dict().items()}
        mutate(tensors)
        (tmp / "config.json").write_text(json.dumps(CONFIG))
        save_checkpoint(tensors, tmp, max_shard_size="4KB")
        return tmp
    return build


def wrong_shape(tensors):
    tensors["encoder.layer.0.attention.self.query.weight"] = np.zeros((16, 15), np.float32)


def load(framework: str):
    def act(directory: Path):
        from plugformers import AutoModel

        return AutoModel.from_pretrained(directory, framework=framework)
    return act


def drop_a_shard(build):
    def wrapped(tmp: Path) -> Path:
        directory = build(tmp)
        index = json.loads((directory / "model.safetensors.index.json").read_text())
        victim = sorted(set(index["weight_map"].values()))[-1]
        (directory / victim).unlink()
        return directory
    return wrapped


QUERY = "encoder.layer.0.attention.self.query.weight"
CASES = [
    Case("model-pt-mis-shaped-tensor", checkpoint(wrong_shape), load("pt"), CheckpointError, QUERY,
         needs="plugformers_bert"),
    Case("model-tf-mis-shaped-tensor", checkpoint(wrong_shape), load("tf"), CheckpointError, QUERY,
         needs="tensorflow"),
    Case("model-flax-mis-shaped-tensor", checkpoint(wrong_shape), load("flax"), CheckpointError, QUERY,
         needs="flax"),
    Case("model-pt-missing-shard", drop_a_shard(checkpoint(lambda t: None)), load("pt"), CheckpointError,
         "model-", needs="plugformers_bert"),
]
