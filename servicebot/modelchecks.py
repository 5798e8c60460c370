"""``servicebot check``'s warnings about the model settings that loading cannot give.

A model servicebot does not know the tokenizer of (qwen2.5-7b-instruct, deepseek-chat,
llama3.1:8b) is counted with ``o200k_base``: the counts are an estimate, and its own
tokenizer may count more (Chinese especially), so a prompt fitted to the budget may not fit
the model. Said once, at ``model.name``'s line; setting ``budget.encoding`` silences it.
"""

from __future__ import annotations

from .budget.estimate import counts_are_estimates
from .budget.tokens import DEFAULT_ENCODING
from .checks import settings_problems
from .config import BotSpec
from .errors import Problem


def token_count_warnings(spec: BotSpec) -> list[Problem]:
    """A model named whose tokenizer servicebot does not carry, with no ``budget.encoding``."""
    name, encoding = spec.settings.model.name, spec.settings.budget.encoding
    if not counts_are_estimates(name, encoding):
        return []
    message = (
        f"token counts for model {name} are an estimate with {DEFAULT_ENCODING}, not its own "
        "tokenizer, which may count more (Chinese especially): leave a margin with "
        "budget.max_prompt_tokens, or set budget.encoding to silence this"
    )
    return settings_problems(spec, {("model", "name"): message})
