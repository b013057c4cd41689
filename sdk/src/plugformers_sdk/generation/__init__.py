"""Text generation: ``GenerationConfig`` and the framework-neutral decoding behind ``model.generate``.

- :mod:`.config`: ``GenerationConfig`` (``generation_config.json``, Transformers' keys).
- :mod:`.mixin`: ``GenerationMixin.generate`` (a base of every framework's ``PreTrainedModel``)
  and the ``GenerationBackend`` each framework implements; ``CausalLMGeneration`` (a causal LM
  head's ``prepare_inputs_for_generation``) and ``cached_length`` (positions in a tuple KV cache).
- :mod:`.array_ops`: the few array operations everything below is written against; each
  framework implements them once (``plugformers_sdk.<fw>.generation``).
- :mod:`.logits_process`: the logits processors (one implementation for the three frameworks).
- :mod:`.decoding`: one decoding step (greedy, sampling, beam search) as a pure function.
- :mod:`.stopping`: host-side stopping criteria (stop strings, ``max_time``).
- :mod:`.outputs`: ``GenerateDecoderOnlyOutput``, ``GenerateBeamDecoderOnlyOutput``.

Nothing here imports a framework (``cached_length`` reaches TensorFlow only for a TF tensor).
"""

from .config import GENERATION_CONFIG_NAME, GenerationConfig
from .mixin import CausalLMGeneration, GenerationBackend, GenerationMixin, cached_length
from .outputs import GenerateBeamDecoderOnlyOutput, GenerateDecoderOnlyOutput

__all__ = [
    "GENERATION_CONFIG_NAME", "GenerationConfig", "GenerationMixin", "GenerationBackend",
    "CausalLMGeneration", "cached_length",
    "GenerateDecoderOnlyOutput", "GenerateBeamDecoderOnlyOutput",
]
