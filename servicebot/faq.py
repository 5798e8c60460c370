"""The typed schema of a bot's FAQ: a ``faq/*.yaml`` file, its intents, their answers (one
text, or one a language) and few-shot examples.

Every model forbids unknown keys and is frozen once validated, as :mod:`.settings`'s are.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool

from .frozen import Frozen
from .languages import ANY_LANGUAGE
from .settingvalues import Text

# The longest answer text, per language: a few screens in a chat window. The answers of the
# default three intents routed to still print together well under the 100,000 characters a
# template may print (sandbox.MAX_RENDER_CHARS); a 200,000-character paste of the terms made
# every turn that matched it fail, blamed on the system template. A customer's message is cut
# at 50,000 (prefilter.max_chars), and a model's reply at 1,200 (postfilter.max_chars).
MAX_ANSWER_CHARS = 20_000


def _sendable(text: str) -> str:
    """An answer text short enough to send a customer (see ``MAX_ANSWER_CHARS``)."""
    if len(text) > MAX_ANSWER_CHARS:
        raise ValueError(
            f"is {len(text):,} characters long, too long to send a customer (at most "
            f"{MAX_ANSWER_CHARS:,}): answer in a few paragraphs, and link to a page for the rest"
        )
    return text


def _answer_as_mapping(value: Any) -> Any:
    if isinstance(value, dict) and ANY_LANGUAGE in value:
        raise ValueError(f"'{ANY_LANGUAGE}' is not a language code")
    return {ANY_LANGUAGE: value} if isinstance(value, str) else value


Answer = Annotated[
    dict[str, Annotated[Text, AfterValidator(_sendable)]],
    BeforeValidator(_answer_as_mapping),
    AfterValidator(MappingProxyType),
]
IntentName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)]


class FewShot(Frozen):
    """One example exchange shown to the model: how this bot answers this intent."""

    user: Text
    assistant: Text


class Intent(Frozen):
    """Something customers ask about: how they phrase it, and the facts of the answer."""

    name: IntentName
    description: str = ""
    examples: Annotated[tuple[Text, ...], Field(min_length=1)]
    answer: Answer
    few_shot: tuple[FewShot, ...] = ()
    direct: StrictBool = False
    handoff: StrictBool = False
    # Customers say here that an answer did not help: `servicebot report` counts a message
    # routed to it right after an answer against that answer (report.py). With `handoff` too
    # it is no contradiction, and `check` says nothing: one says where the message goes, the
    # other what it says of the answer before it (complaints sent to a person are common).
    complaint: StrictBool = False

    def answer_in(self, language: str) -> str:
        """The canonical answer in ``language`` (a plain-text answer serves every language)."""
        answers: Mapping[str, str] = self.answer
        return answers.get(language) or answers[ANY_LANGUAGE]


class FaqFile(Frozen):
    """One ``faq/*.yaml`` file."""

    intents: Annotated[tuple[Intent, ...], Field(min_length=1)]
