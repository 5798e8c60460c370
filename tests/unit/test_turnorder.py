"""The line each conversation's turns wait in (``servicebot/turnorder.py``)."""

from __future__ import annotations

import threading

import pytest

from servicebot import turnorder


def test_a_thread_stopped_while_it_waits_leaves_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # Stopped (Ctrl-C) while it waited, its place stayed in the line, and every later turn
    # of the conversation waited out its whole bound behind it.
    first = turnorder.take("bot", "c1", bound=60)
    with monkeypatch.context() as patched:

        def interrupted(self: turnorder.Place) -> float:
            raise KeyboardInterrupt

        patched.setattr(turnorder.Place, "seconds_left", interrupted)
        with pytest.raises(KeyboardInterrupt):
            turnorder.take("bot", "c1", bound=60)
    third: list[turnorder.Place] = []
    taker = threading.Thread(target=lambda: third.append(turnorder.take("bot", "c1", 60)))
    taker.start()
    first.let_go()
    taker.join(timeout=10)
    assert third, "the third turn waited behind the place the stopped thread left"
    third[0].let_go()
