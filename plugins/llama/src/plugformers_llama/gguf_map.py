"""How LLaMA GGUF files (llama.cpp's ``llama`` architecture) name things: metadata keys ->
``LlamaConfig`` fields, GGUF tensor names -> Transformers' canonical names.

llama.cpp's converter stores the query and key projections with the rows of each head
interleaved for its rotary kernel; ``reverse_rope_permute`` (core) puts them back in the
rotate-half order our models (and Transformers) use.
"""

from __future__ import annotations

from plugformers.gguf.tensor_map import GGUFMap

_KV_HEADS = ("num_key_value_heads", "num_attention_heads")  # first one set

GGUF_MAP = GGUFMap(
    architectures=("llama",),
    model_type="llama",
    config={
        "{arch}.vocab_size": "vocab_size",
        "{arch}.context_length": "max_position_embeddings",
        "{arch}.embedding_length": "hidden_size",
        "{arch}.feed_forward_length": "intermediate_size",
        "{arch}.block_count": "num_hidden_layers",
        "{arch}.attention.head_count": "num_attention_heads",
        "{arch}.attention.head_count_kv": "num_key_value_heads",
        "{arch}.attention.key_length": "head_dim",
        "{arch}.attention.layer_norm_rms_epsilon": "rms_norm_eps",
        "{arch}.rope.freq_base": "rope_theta",
        "{arch}.rope.scaling.type": "rope_scaling.rope_type",
        "{arch}.rope.scaling.factor": "rope_scaling.factor",
        "{arch}.rope.scaling.original_context_length": "rope_scaling.original_max_position_embeddings",
        "tokenizer.ggml.bos_token_id": "bos_token_id",
        "tokenizer.ggml.eos_token_id": "eos_token_id",
        "tokenizer.ggml.padding_token_id": "pad_token_id",
    },
    config_defaults={"hidden_act": "silu", "attention_bias": False, "mlp_bias": False},
    tensors={
        "token_embd.weight": "model.embed_tokens.weight",
        "output_norm.weight": "model.norm.weight",
        "output.weight": "lm_head.weight",
        "blk.{bid}.attn_norm.weight": "model.layers.{bid}.input_layernorm.weight",
        "blk.{bid}.ffn_norm.weight": "model.layers.{bid}.post_attention_layernorm.weight",
        "blk.{bid}.attn_q.weight": "model.layers.{bid}.self_attn.q_proj.weight",
        "blk.{bid}.attn_k.weight": "model.layers.{bid}.self_attn.k_proj.weight",
        "blk.{bid}.attn_v.weight": "model.layers.{bid}.self_attn.v_proj.weight",
        "blk.{bid}.attn_output.weight": "model.layers.{bid}.self_attn.o_proj.weight",
        "blk.{bid}.attn_q.bias": "model.layers.{bid}.self_attn.q_proj.bias",
        "blk.{bid}.attn_k.bias": "model.layers.{bid}.self_attn.k_proj.bias",
        "blk.{bid}.attn_v.bias": "model.layers.{bid}.self_attn.v_proj.bias",
        "blk.{bid}.attn_output.bias": "model.layers.{bid}.self_attn.o_proj.bias",
        "blk.{bid}.ffn_gate.weight": "model.layers.{bid}.mlp.gate_proj.weight",
        "blk.{bid}.ffn_up.weight": "model.layers.{bid}.mlp.up_proj.weight",
        "blk.{bid}.ffn_down.weight": "model.layers.{bid}.mlp.down_proj.weight",
    },
    transforms={
        "model.layers.{bid}.self_attn.q_proj.weight": ("reverse_rope_permute", "num_attention_heads"),
        "model.layers.{bid}.self_attn.q_proj.bias": ("reverse_rope_permute", "num_attention_heads"),
        "model.layers.{bid}.self_attn.k_proj.weight": ("reverse_rope_permute", _KV_HEADS),
        "model.layers.{bid}.self_attn.k_proj.bias": ("reverse_rope_permute", _KV_HEADS),
    },
    tied_output="output.weight",
)
