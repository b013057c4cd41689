"""The layers architectures share, in PyTorch. Same names and constructor signatures as
``plugformers_sdk.tf.layers`` and ``plugformers_sdk.flax.layers``.

The torch module tree is the canonical tree: each layer's parameters carry Transformers'
PyTorch names and layouts (``Linear.weight`` is ``[out, in]``, ``Conv1D.weight`` is ``[in, out]``).
"""

from __future__ import annotations

import torch
from torch import nn

from .activations import activate, get_activation
from .decode_matmul import decode_linear


class Linear(nn.Linear):
    """``y = x @ weight.T + bias``; canonical ``weight`` [out, in], ``bias`` [out]."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__(in_features, out_features, bias=bias)

    def reset_parameters(self) -> None:
        # On the meta device (from_pretrained) there is nothing to initialise; torch's random
        # initialisers on meta tensors would also import torch._dynamo (seconds of start-up).
        if not self.weight.is_meta:
            super().reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fast = decode_linear(x, self.weight, self.bias)  # one-token decoding steps on CPU (generate)
        return fast if fast is not None else super().forward(x)


class Conv1D(nn.Module):
    """GPT-2's "Conv1D", a linear layer stored transposed: canonical ``weight`` [in, out], ``bias`` [out]."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        if not self.weight.is_meta:
            nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fast = decode_linear(x, self.weight.t(), self.bias)  # one-token decoding steps on CPU (generate)
        return fast if fast is not None else torch.matmul(x, self.weight) + self.bias

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"


class Embedding(nn.Embedding):
    """Token/position embeddings; canonical ``weight`` [num_embeddings, embedding_dim].

    ``attend(hidden)`` is ``hidden @ weight.T``: the logits of an LM head tied to this table.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None):
        super().__init__(num_embeddings, embedding_dim, padding_idx=padding_idx)

    def reset_parameters(self) -> None:
        if not self.weight.is_meta:  # see Linear.reset_parameters
            super().reset_parameters()

    def attend(self, hidden: torch.Tensor) -> torch.Tensor:
        return torch.matmul(hidden, self.weight.t())


class LayerNorm(nn.LayerNorm):
    """Layer normalisation over the last dimension; canonical ``weight`` and ``bias`` [hidden]."""

    def __init__(self, hidden_size: int, eps: float = 1e-5, bias: bool = True):
        super().__init__(hidden_size, eps=eps, bias=bias)


class RMSNorm(nn.Module):
    """Root-mean-square normalisation (Llama convention): normalise in float32, cast back to the
    input dtype, then multiply by ``weight`` [hidden]."""

    def __init__(self, hidden_size: int, eps: float = 1e-6):
        super().__init__()
        self.hidden_size = hidden_size
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(hidden_size))

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        dtype = hidden_states.dtype
        x = hidden_states.to(torch.float32)
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)

    def extra_repr(self) -> str:
        return f"{self.hidden_size}, eps={self.eps}"


class Dropout(nn.Dropout):
    """Dropout with probability ``p``, active in training mode only."""

    def __init__(self, p: float):
        super().__init__(p)


class MLP(nn.Module):
    """``down(act(up(x)))`` with configurable attribute names (``c_fc``/``c_proj``, ``fc1``/``fc2``...)."""

    def __init__(self, hidden_size: int, intermediate_size: int, activation: str, bias: bool = True,
                 up_name: str = "up_proj", down_name: str = "down_proj"):
        super().__init__()
        self.up_name, self.down_name = up_name, down_name
        self.act = get_activation(activation)
        setattr(self, up_name, Linear(hidden_size, intermediate_size, bias=bias))
        setattr(self, down_name, Linear(intermediate_size, hidden_size, bias=bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return getattr(self, self.down_name)(activate(self.act, getattr(self, self.up_name)(x)))


class GatedMLP(nn.Module):
    """``down_proj(act(gate_proj(x)) * up_proj(x))`` (Llama's SwiGLU with ``activation="silu"``)."""

    def __init__(self, hidden_size: int, intermediate_size: int, activation: str = "silu", bias: bool = False):
        super().__init__()
        self.act = get_activation(activation)
        self.gate_proj = Linear(hidden_size, intermediate_size, bias=bias)
        self.up_proj = Linear(hidden_size, intermediate_size, bias=bias)
        self.down_proj = Linear(intermediate_size, hidden_size, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gated = activate(self.act, self.gate_proj(x))
        up = self.up_proj(x)
        gated = gated.mul_(up) if not torch.is_grad_enabled() else gated * up
        return self.down_proj(gated)
