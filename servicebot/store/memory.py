"""Conversations in this process's memory: for tests and one-off scripts, never for serving."""

from __future__ import annotations

import threading
from collections.abc import Collection, Generator, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from . import PurgeReport, Rating, TurnRecord, as_utc, by_first_turn, issued_any, now


class MemoryStore:
    """A :class:`~servicebot.store.Store` in a dict, safe across threads."""

    blocking = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._turns: dict[str, list[TurnRecord]] = {}
        self._states: dict[str, dict[str, Any]] = {}
        self._saved: dict[str, datetime] = {}  # when each conversation's state was first saved
        self._ratings: dict[str, dict[int, Rating]] = {}  # by conversation, then turn number

    def append_turn(self, turn: TurnRecord) -> TurnRecord:
        with self._lock:
            turns = self._turns.setdefault(turn.conversation_id, [])
            done = next((t for t in turns if t.id == turn.id), None)
            if done is not None:  # the same turn again (a retry): store it once
                return done
            stored = replace(turn, number=len(turns) + 1)
            turns.append(stored)
        return stored

    def history(self, conversation_id: str, limit: int | None = None) -> list[TurnRecord]:
        with self._lock:
            turns = list(self._turns.get(conversation_id, ()))
        if limit is None:
            return turns
        return turns[-limit:] if limit > 0 else []

    def turn_for_message(self, conversation_id: str, message_id: str) -> TurnRecord | None:
        with self._lock:
            turns = list(self._turns.get(conversation_id, ()))
        return next((t for t in reversed(turns) if t.message_id == message_id), None)

    def load_state(self, conversation_id: str) -> dict[str, Any] | None:
        state = self._states.get(conversation_id)
        return None if state is None else dict(state)

    def swap_state(
        self, conversation_id: str, before: dict[str, Any] | None, after: dict[str, Any]
    ) -> bool:
        with self._lock:
            if self._states.get(conversation_id) != before:
                return False
            self._states[conversation_id] = dict(after)
            self._saved.setdefault(conversation_id, now())
        return True

    def turns_since(self, since: datetime) -> Iterator[TurnRecord]:
        since = as_utc(since)
        with self._lock:
            turns = [t for turns in self._turns.values() for t in turns if t.at >= since]
        return iter(sorted(turns, key=lambda turn: turn.at))

    def conversations_since(self, since: datetime) -> list[list[TurnRecord]]:
        since = as_utc(since)
        with self._lock:
            chosen = [list(t) for t in self._turns.values() if any(x.at >= since for x in t)]
        return by_first_turn(turn for turns in chosen for turn in turns)

    def iter_conversations_since(self, since: datetime) -> Generator[list[TurnRecord]]:
        yield from self.conversations_since(since)  # in memory already

    def rate_turn(self, rating: Rating) -> bool:
        with self._lock:
            if not 1 <= rating.turn <= len(self._turns.get(rating.conversation_id, ())):
                return False
            self._ratings.setdefault(rating.conversation_id, {})[rating.turn] = rating
        return True

    def ratings(self, conversation_id: str) -> dict[int, Rating]:
        with self._lock:
            return dict(self._ratings.get(conversation_id, {}))

    def ratings_since(self, since: datetime) -> list[Rating]:
        chosen = [turns[0].conversation_id for turns in self.conversations_since(since)]
        with self._lock:
            return [r for cid in chosen for r in self._ratings.get(cid, {}).values()]

    def conversations_with_placeholders(self, kinds: Collection[str]) -> list[str]:
        with self._lock:
            found = [cid for cid, state in self._states.items() if issued_any(state, kinds)]
            firsts = {
                cid: min((t.at for t in self._turns.get(cid, ())), default=None) for cid in found
            }
            saved = {cid: self._saved[cid] for cid in found}
        return sorted(found, key=lambda cid: firsts[cid] or saved[cid])

    def conversation_ids(self) -> list[str]:
        with self._lock:
            return list({*self._turns, *self._states})

    def purge_conversation(self, conversation_id: str) -> PurgeReport:
        return self._purge([conversation_id])

    def purge_older_than(self, cutoff: datetime) -> PurgeReport:
        cutoff = as_utc(cutoff)
        with self._lock:
            old = [cid for cid, turns in self._turns.items() if max(t.at for t in turns) < cutoff]
        return self._purge(old)

    def ping(self) -> None:
        """A health probe (health.py): memory always answers."""

    def close(self) -> None:
        """Nothing to release."""

    def _purge(self, conversation_ids: list[str]) -> PurgeReport:
        with self._lock:
            known = [cid for cid in conversation_ids if cid in self._turns or cid in self._states]
            turns = sum(len(self._turns.pop(cid, ())) for cid in known)
            for cid in known:
                self._states.pop(cid, None)
                self._saved.pop(cid, None)
                self._ratings.pop(cid, None)
        return PurgeReport(len(known), turns)
