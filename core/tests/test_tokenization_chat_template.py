"""Chat templates: rendered in a Jinja2 sandbox with Transformers' globals; escapes fail safely."""

from __future__ import annotations

import json

import pytest
from test_tokenization_toy_tokenizer import VOCAB, ToyTokenizer

from plugformers.errors import TokenizerError
from plugformers.tokenization.chat_template import render_chat_template

CHATML = (
    "{% for message in messages %}{{ '<|' + message['role'] + '|> ' + message['content'] + ' <|end|>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|> {% endif %}"
)
CHAT = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "world"}]


@pytest.fixture
def tok():
    return ToyTokenizer(chat_template="{% for m in messages %}{{ m['content'] }} {% endfor %}")


def test_render_and_tokenize(tok):
    assert tok.apply_chat_template(CHAT, tokenize=False) == "hello world "
    assert tok.apply_chat_template(CHAT) == [VOCAB["hello"], VOCAB["world"]]  # no special tokens added
    out = tok.apply_chat_template([CHAT, CHAT[:1]], return_dict=True, padding=True, return_tensors="np")
    assert out["input_ids"].shape == (2, 2) and out["attention_mask"].tolist() == [[1, 1], [1, 0]]


def test_generation_prompt_and_continue_final_message(tok):
    text = tok.apply_chat_template(CHAT[:1], chat_template=CHATML, add_generation_prompt=True, tokenize=False)
    assert text == "<|user|> hello <|end|>\n<|assistant|> "
    cont = tok.apply_chat_template(CHAT, chat_template=CHATML, continue_final_message=True, tokenize=False)
    assert cont == "<|user|> hello <|end|>\n<|assistant|> world"
    with pytest.raises(TokenizerError, match="cannot both"):
        tok.apply_chat_template(CHAT, add_generation_prompt=True, continue_final_message=True)


def test_globals_filters_and_whitespace_control(tok):
    template = (
        "{% if messages|length > 5 %}{{ raise_exception('too many') }}{% endif %}"
        "{{ messages|tojson }}|{{ strftime_now('%Y') }}|{{ bos_token }}|{{ tools[0].name }}|{{ extra }}\n"
        "  {% for m in messages %}\n  {{ m.role }}\n  {% endfor %}"
    )
    text = tok.apply_chat_template([{"role": "user", "content": "héllo"}], chat_template=template, tokenize=False,
                                   tools=[{"name": "search"}], extra="E")
    head, rest = text.split("\n", 1)
    dumped, year, bos, tool, extra = head.split("|")
    assert json.loads(dumped) == [{"role": "user", "content": "héllo"}] and "héllo" in dumped  # tojson keeps non-ASCII
    assert year.isdigit() and bos == "" and tool == "search" and extra == "E"
    assert rest == "  user\n"  # trim_blocks + lstrip_blocks: block lines vanish, expression lines keep their indent
    with pytest.raises(TokenizerError, match="too many"):
        tok.apply_chat_template(CHAT * 3, chat_template=template, tokenize=False, tools=[{"name": "x"}], extra="")


def test_named_templates_and_missing_template():
    tok = ToyTokenizer(chat_template={"default": "D{{ messages|length }}", "tool_use": "T"})
    assert tok.apply_chat_template(CHAT, tokenize=False) == "D2"
    assert tok.apply_chat_template(CHAT, tokenize=False, tools=[{}]) == "T"
    assert tok.apply_chat_template(CHAT, chat_template="tool_use", tokenize=False) == "T"
    with pytest.raises(TokenizerError, match="no chat template"):
        ToyTokenizer().apply_chat_template(CHAT)


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__ }}",
    "{{ messages.__class__.__base__ }}",
    "{{ raise_exception.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{% set x = messages.append({'role': 'x'}) %}",
    "{{ (messages|first).__class__.__init__ }}",
    "{{ self.__init__.__globals__ }}",
])
def test_sandbox_escapes_fail_safely(tok, template):
    with pytest.raises(TokenizerError, match="chat template"):
        tok.apply_chat_template(CHAT, chat_template=template, tokenize=False)


def test_template_syntax_error_names_the_template():
    with pytest.raises(TokenizerError, match="does not parse"):
        render_chat_template("{% for %}", messages=[])
