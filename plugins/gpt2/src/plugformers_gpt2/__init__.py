"""plugformers-gpt2: GPT-2 (Radford et al., 2019) for plugformers.

Nothing is imported here: the classes live in ``configuration``, ``modeling_torch``,
``modeling_tf``, ``modeling_flax``, ``tokenization`` and ``tokenization_fast``, and are reached
through the registry (``plugformers.GPT2LMHeadModel``) or imported from those modules directly.
"""

__version__ = "0.1.0"
