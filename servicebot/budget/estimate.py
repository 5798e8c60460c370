"""When token counts are an estimate, and saying so.

servicebot carries OpenAI's two encodings only. A model OpenAI did not make (Qwen, DeepSeek,
Llama, served by vLLM, Ollama, llama.cpp or a provider's API) is counted with
``o200k_base`` unless ``budget.encoding`` names one: its own tokenizer may count more,
Chinese especially, and a prompt fitted to the budget may not fit the model. ``check`` warns
of it (modelchecks.py), ``render`` labels the encoding as assumed, and a server's reported
``prompt_tokens`` far from our count is logged once per process, not per turn.

``budget.encoding`` set for such a model is the operator's word that it counts close enough:
``check`` says nothing, and ``render`` names the encoding as theirs, not the model's. Set for
one of OpenAI's models to another encoding than its own, ``check`` warns at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..notices import warn_once
from .tokens import known_encoding

MISCOUNT_SHARE = 0.25  # a server's count this far from ours (either way) is worth a warning
MISCOUNT_TOKENS = 10  # ...and this many tokens: chat formats add a few of their own


def counts_are_estimates(model: str | None, configured: str | None) -> bool:
    """Whether counts for ``model`` are an estimate nobody chose: a model named, not one of
    OpenAI's, and no ``budget.encoding`` set."""
    return model is not None and configured is None and known_encoding(model) is None


def encoding_label(encoding: str, model: str | None, configured: str | None) -> str:
    """The encoding as ``render`` shows it: marked assumed when counts are an estimate, and
    as ``budget.encoding``'s when that is not the model's own (or its own is unknown)."""
    if counts_are_estimates(model, configured):
        return f"{encoding} (assumed: not {model}'s own tokenizer; budget.encoding sets it)"
    own = known_encoding(model)
    if model is None or configured is None or configured == own:
        return encoding
    if own is None:
        return f"{encoding} (budget.encoding: servicebot does not carry {model}'s own tokenizer)"
    return f"{encoding} (budget.encoding: {model}'s own is {own})"


def compare_counts(step: Mapping[str, Any], encoding: str) -> None:
    """Log, once per process, a server's prompt tokens far from ours (more than
    MISCOUNT_SHARE and MISCOUNT_TOKENS apart), from a model step's detail (``model``,
    ``prompt_tokens`` the server reported, ``budget_count`` ours with ``encoding``): the budget
    fits prompts by our count, and a model that counts more may find them too long. Once, as
    every turn would say it."""
    counted, reported = step["budget_count"], step["prompt_tokens"]
    if not reported:  # a server that leaves the prompt out of its usage counted nothing
        return
    gap = abs(reported - counted)
    if gap <= MISCOUNT_TOKENS or gap <= MISCOUNT_SHARE * max(counted, 1):
        return
    warn_once(
        "miscount",
        "the server counted %d prompt tokens where servicebot counted %d (with %s) for model "
        "%s: prompts are fitted to the budget by servicebot's count; leave a margin with "
        "budget.max_prompt_tokens, or set budget.encoding (said once per process)",
        reported,
        counted,
        encoding,
        step["model"],
    )
