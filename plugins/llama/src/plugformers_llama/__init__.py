"""plugformers-llama: LLaMA (Touvron et al., 2023) for plugformers, with GGUF loading.

Nothing is imported here: the classes live in ``configuration``, ``modeling_torch``,
``modeling_tf``, ``modeling_flax``, ``tokenization``, ``tokenization_fast`` and ``gguf_map``, and
are reached through the registry (``plugformers.LlamaForCausalLM``) or imported from those
modules directly.
"""

__version__ = "0.1.0"
