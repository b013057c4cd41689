from plugformers import PretrainedConfig


class ToyConfig(PretrainedConfig):
    model_type = "toy"
    positive_fields = ("hidden_size",)
    hidden_size: int = 8
