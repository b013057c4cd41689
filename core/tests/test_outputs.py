import pytest

from plugformers.outputs import MaskedLMOutput, SequenceClassifierOutput


def test_attribute_key_and_index_access_skip_none():
    out = MaskedLMOutput(logits=[1, 2])
    assert out.logits == out["logits"] == out[0] == [1, 2]
    assert list(out.keys()) == ["logits"] and out.loss is None
    with pytest.raises(KeyError):
        out["loss"]
    with_loss = SequenceClassifierOutput(loss=0.5, logits=[3])
    assert with_loss[0] == 0.5 and with_loss[1] == [3] and with_loss.to_tuple() == (0.5, [3])
    assert with_loss[:2] == (0.5, [3])


def test_setting_a_field_later_is_visible_everywhere():
    out = MaskedLMOutput(logits=1)
    out.loss = 2
    assert out["loss"] == 2 and "loss" in out
    out["hidden_states"] = (3,)
    assert out.hidden_states == (3,)


def test_rebuilt_from_key_value_pairs():
    # TensorFlow's nest rebuilds a returned mapping as cls(iterator of (key, value)).
    out = MaskedLMOutput(iter([("loss", 1.5), ("logits", [2])]))
    assert out.loss == 1.5 and out.logits == [2] and list(out.keys()) == ["loss", "logits"]
    assert MaskedLMOutput({"logits": 3}).logits == 3
    with pytest.raises(TypeError, match="no field 'colour'"):
        MaskedLMOutput(iter([("colour", 1)]))
