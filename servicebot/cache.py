"""The answer cache: a model's answer to a first question, reused when it is asked again.

Support bots get the same opening questions all day ("where is my order?"), and the model's
answer depends only on the request. So for a turn with no conversation before it, the answer
is kept under a key made of the normalised message and a digest of everything else the model
is sent: the system prompt as rendered this turn (the templates, the matched intents' FAQ
answers, the customer's details, the pre-filter's flags), the few-shot pairs, the model and
its parameters. Editing an answer or a template, or another customer's name, gives another
key. Entries expire after ``cache.ttl_seconds``; the oldest go first past
``cache.max_entries``. A reused answer still passes the post-filter. The cache lives in the
process: what it saves is a model call, so sharing it between processes would save little
more than each process warming its own.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from .model import ModelRequest
from .settings import CacheSettings

# Spaces, and the punctuation that ends or breaks up a sentence, in English and Chinese.
# Other symbols change what is asked ("S23+", "$5", "C++"): they stay.
_SPACING = re.compile(r"[\s.,!?;:…'\"“”‘’，。！？；：、「」『』]+")


def cache_key(request: ModelRequest) -> str:
    """The key of a request whose last message is the customer's opening question: the same
    question asked another way (case, spacing, punctuation) shares it."""
    *context, question = request.messages
    # A message of punctuation alone keeps its own characters: "???" is not "!!!".
    words = _SPACING.sub(" ", question.content.casefold()).strip() or question.content
    sent = [request.model, dict(request.params), [m.as_dict() for m in context], words]
    return hashlib.sha256(json.dumps(sent, sort_keys=True).encode()).hexdigest()


class AnswerCache:
    """Answers by key, each kept ``ttl_seconds``; safe to share between threads."""

    def __init__(self, settings: CacheSettings, clock: Callable[[], float] = time.monotonic):
        self.settings, self.clock = settings, clock
        self._answers: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            stored_at, answer = self._answers.get(key, (0.0, None))
            if answer is not None and self.clock() - stored_at > self.settings.ttl_seconds:
                del self._answers[key]
                return None
            return answer

    def put(self, key: str, answer: str) -> None:
        with self._lock:
            self._answers[key] = (self.clock(), answer)
            self._answers.move_to_end(key)
            while len(self._answers) > self.settings.max_entries:
                self._answers.popitem(last=False)
