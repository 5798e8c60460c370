"""What ``servicebot check`` warns of in the profanity lists (``prefilter.words``).

Owns the warnings about listed words the bot's own text holds: the post-filter masks listed
words in the model's answers too, and the model copies the FAQ answers, few-shot replies and
templates, so a listed word inside one (``干`` listed, an answer saying 洗干净) would reach
customers as ``洗****净``. Each word is warned of once, at the first place that holds it.
And listed words that are numbers (``87``, Taiwan's slang for "idiot"), which never match: a
number alone is never a word (``87折`` is 13% off, ``87元`` a price).
"""

from __future__ import annotations

from collections.abc import Iterator

from .checks import settings_problems
from .config import TEMPLATES_FOLDER, BotSpec, Place, placed_in_intents
from .errors import Problem
from .filters.cjkwords import INSIGNIFICANT
from .filters.normalise import normalise
from .filters.profanity import ProfanityFilter, is_number
from .filters.traditional import folds
from .languages import ANY_LANGUAGE
from .prefilter import bot_profanity_filter


def number_warnings(spec: BotSpec) -> list[Problem]:
    """Listed words that are numbers, at their line in ``servicebot.yaml``: they never match,
    by design, and nothing else would say so."""
    return settings_problems(
        spec,
        {
            ("prefilter", "words", kind, index): (
                f"'{word}' is a number, and a number alone is never masked (87折 is a discount, "
                "87元 a price): this word never matches; list the phrases it is used in (很87)"
            )
            for kind, words in spec.settings.prefilter.words.items()
            for index, word in enumerate(words)
            if is_number(word.strip())
        },
    )


def own_text_warnings(spec: BotSpec) -> list[Problem]:
    """The operator's listed words (``prefilter.words``) in the bot's FAQ answers, few-shot
    replies and templates, once each. Read with the bot's own filter only when a listed
    word's letters appear in that text at all (:func:`_may_hold_listed`): building the
    filter takes 40 ms, a tenth of ``check``'s start, and most bots' text holds none."""
    if not _may_hold_listed(spec):
        return []
    profanity = bot_profanity_filter(spec.settings.prefilter)
    seen: set[str] = set()
    messages: dict[Place, str] = {}
    near: dict[Place, str] = {}
    for place, text in _model_copies(spec):
        if found := _new_words(profanity, text, seen):
            messages[place] = _message(found)
            near[place] = found[0][0]
    problems = placed_in_intents(spec.root, messages, near)
    for name, source in spec.templates.items():
        path = spec.root / TEMPLATES_FOLDER / name
        for number, line in enumerate(source.splitlines(), 1):
            if found := _new_words(profanity, line, seen):
                column = line.find(found[0][0]) + 1
                problems.append(Problem(path, _message(found), number, column or None, line))
    return problems


def _may_hold_listed(spec: BotSpec) -> bool:
    """Whether a word of the operator's lists may be in the bot's own text: its letters and
    digits, in one case and script, inside those of the text. False only where the filter
    too finds none, but for an English word the bot's text spells in leetspeak ("sh1t"),
    which an operator does not write in an answer; then the precise read is skipped."""
    words = [word for listed in spec.settings.prefilter.words.values() for word in listed]
    if not words:
        return False
    table = folds()  # translated whole: fold_traditional's check for what to fold costs more
    listed = {INSIGNIFICANT.sub("", word.lower().translate(table)) for word in words} - {""}
    texts = [text for _, text in _model_copies(spec)] + list(spec.templates.values())
    own = INSIGNIFICANT.sub("", "\n".join(texts).lower().translate(table))
    return any(word in own for word in listed)


def _model_copies(spec: BotSpec) -> Iterator[tuple[Place, str]]:
    """Each FAQ answer and few-shot reply, at its place in its intent."""
    for intent in spec.intents:
        for language, answer in intent.answer.items():
            yield (
                (intent.name, ("answer",) if language == ANY_LANGUAGE else ("answer", language)),
                answer,
            )
        for index, pair in enumerate(intent.few_shot):
            yield (intent.name, ("few_shot", index, "assistant")), pair.assistant


def _new_words(profanity: ProfanityFilter, text: str, seen: set[str]) -> list[tuple[str, str]]:
    """(as written, category) of each listed word in ``text`` not in ``seen``, which gains
    them: a word is the letters and digits it is read as (干净 and 乾淨 are one)."""
    normalised = normalise(text)
    found = []
    for finding in profanity.find(normalised.text, normalised):
        word = INSIGNIFICANT.sub("", normalised.text[finding.start : finding.end]).lower()
        if word not in seen:
            seen.add(word)
            start, end = normalised.original_span(finding.start, finding.end)
            found.append((text[start:end], finding.kind))
    return found


def _message(found: list[tuple[str, str]]) -> str:
    """The warning for the listed words ``found`` in one place."""
    words = ", ".join(f"'{typed}' ({kind})" for typed, kind in found)
    return (
        f"the profanity filter masks {words} here, and the post-filter masks it in the "
        "model's answers to customers as ****: reword it, or add the word it is part of to "
        "prefilter.allow_words"
    )
