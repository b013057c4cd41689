"""Stand-ins for model classes: they record how the Auto classes called them."""


class ToyModel:
    head = "base"

    def __init__(self, config, reference=None, kwargs=None):
        self.config, self.reference, self.kwargs = config, reference, kwargs or {}

    @classmethod
    def from_config(cls, config, **kwargs):
        return cls(config, None, kwargs)

    @classmethod
    def from_pretrained(cls, reference, *, config=None, **kwargs):
        return cls(config, reference, kwargs)


class ToyForMaskedLM(ToyModel):
    head = "masked-lm"


class ToyTokenizer:
    @classmethod
    def from_pretrained(cls, reference, **kwargs):
        tok = cls()
        tok.reference = reference
        return tok
