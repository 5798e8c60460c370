"""``servicebot check``'s warnings about the model settings that loading cannot give.

A model servicebot does not know the tokenizer of (qwen2.5-7b-instruct, deepseek-chat,
llama3.1:8b) is counted with ``o200k_base``: the counts are an estimate, and its own
tokenizer may count more (Chinese especially), so a prompt fitted to the budget may not fit
the model. Said once, at ``model.name``'s line; setting ``budget.encoding`` silences it. A
``budget.encoding`` other than a known model's own (``cl100k_base`` for gpt-4o) is said at
its line.

A model named as one that thinks before it answers with no opening tag (DeepSeek-R1 and its
distills, QwQ, a ``-thinking`` model: their template puts ``<think>`` in the prompt) streams
its reasoning to the customer with ``model.reasoning: auto`` until its lone ``</think>``
comes: said at ``model.name``'s line, unless ``model.reasoning`` is ``tags``.
"""

from __future__ import annotations

import re

from .budget.estimate import counts_are_estimates
from .budget.tokens import DEFAULT_ENCODING, known_encoding
from .checks import settings_problems
from .config import BotSpec
from .errors import Problem


def token_count_warnings(spec: BotSpec) -> list[Problem]:
    """A model named whose tokenizer servicebot does not carry, with no ``budget.encoding``;
    or a ``budget.encoding`` other than the known encoding of the model named."""
    name, encoding = spec.settings.model.name, spec.settings.budget.encoding
    if counts_are_estimates(name, encoding):
        message = (
            f"token counts for model {name} are an estimate with {DEFAULT_ENCODING}, not its "
            "own tokenizer, which may count more (Chinese especially): leave a margin with "
            "budget.max_prompt_tokens, or set budget.encoding to silence this"
        )
        return settings_problems(spec, {("model", "name"): message})
    own = known_encoding(name)
    if encoding is None or own is None or encoding == own:
        return []
    message = (
        f"budget.encoding {encoding} is not the encoding of model {name} ({own}): prompts "
        f"are counted and fitted to the budget as {name} does not count them; remove "
        "budget.encoding"
    )
    return settings_problems(spec, {("budget", "encoding"): message})


# Names of models that think before they answer with no opening tag: "deepseek-r1",
# "DeepSeek-R1-Distill-Qwen-7B", "qwq:32b", "deepseek-reasoner", "Qwen3-4B-Thinking-2507".
# "r1" only as a word of its own ("deepseek-r1:7b", "r1-1776"), not inside one ("r10").
_THINKS_FIRST = re.compile(r"(?<![a-z0-9])r1(?![0-9])|qwq|reasoner|-thinking", re.IGNORECASE)


def reasoning_warnings(spec: BotSpec) -> list[Problem]:
    """A model named as one that thinks before it answers, read with ``model.reasoning``
    other than ``tags``: a stream shows its reasoning until the lone ``</think>`` comes."""
    model = spec.settings.model
    if model.name is None or model.reasoning == "tags" or not _THINKS_FIRST.search(model.name):
        return []
    message = (
        f"model {model.name} thinks before it answers; set model.reasoning: tags so its "
        "reasoning is never streamed to a customer"
    )
    return settings_problems(spec, {("model", "name"): message})
