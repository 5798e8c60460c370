"""The answer cache: a model's answer to a first question, reused when it is asked again.

Support bots get the same opening questions all day ("where is my order?"), and the model's
answer to them depends only on the prompt. So for a turn with no conversation before it, the
answer is kept under a key made of the normalised message, the routing result and a
fingerprint of the bot's FAQ, templates and model settings: editing any of them changes
every key. Entries expire after ``cache.ttl_seconds``; the oldest go first past
``cache.max_entries``. A reused answer still passes the post-filter. The cache lives in the
process (an ``OrderedDict``): what it saves is a model call, so sharing it between processes
would save little more than each process warming its own.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from .config import BotSpec
from .filters.normalise import normalise
from .routing import Routing
from .settings import CacheSettings

_NOT_WORD = re.compile(r"[\W_]+")


def fingerprint(spec: BotSpec) -> str:
    """A digest of everything an answer depends on besides the message itself."""
    settings = spec.settings
    parts = [
        repr(spec.intents),  # frozen models: their repr holds every field
        json.dumps(dict(sorted(spec.templates.items()))),
        repr((settings.name, settings.contact, settings.model)),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class AnswerCache:
    """Answers by key, each kept ``ttl_seconds``."""

    def __init__(
        self,
        settings: CacheSettings,
        fingerprint: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings, self.fingerprint, self.clock = settings, fingerprint, clock
        self._answers: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def key(self, message: str, routing: Routing, flags: Iterable[str]) -> str:
        """The key of a message as routing read it: the same question asked another way
        (case, spacing, punctuation) shares it; another route or intent does not."""
        words = _NOT_WORD.sub(" ", normalise(message).text.casefold()).strip()
        parts = [self.fingerprint, words, routing.route, routing.language, *sorted(flags)]
        parts += [match.intent.name for match in routing.matches]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def get(self, key: str) -> str | None:
        found = self._answers.get(key)
        if found is None:
            return None
        stored_at, answer = found
        if self.clock() - stored_at > self.settings.ttl_seconds:
            del self._answers[key]
            return None
        return answer

    def put(self, key: str, answer: str) -> None:
        self._answers[key] = (self.clock(), answer)
        self._answers.move_to_end(key)
        while len(self._answers) > self.settings.max_entries:
            self._answers.popitem(last=False)
