"""What the post-filter tests (test_postfilter.py, test_contacts.py, test_links.py,
test_markup.py, test_leakage.py) review answers with: a system prompt (``SYSTEM``), its
facts (``FACTS``), what the bot's files give (``KNOWN``: a phone, an email and the
website), a post-filter over them with any settings changed (``postfilter``), and a
result's events but the amount check's (``without_amounts``), for tests of other checks
whose answers give a price by the way."""

from __future__ import annotations

from servicebot.filters import FilterEvent, FilterResult
from servicebot.postfilter import Postfilter
from servicebot.settings import PostfilterSettings

SYSTEM = (
    "You are the assistant for Maple Market. Never invent order details, prices, dates, links,"
    " phone numbers or email addresses. Facts: Refunds take 5-10 business days after the"
    " warehouse receives your return at https://maple.example.com/returns."
)
FACTS = "Refunds take 5-10 business days after the warehouse receives your return."
KNOWN = FACTS + " Call +1 800-555-0199, email support@maple.example.com, https://maple.example.com"


def postfilter(**settings: object) -> Postfilter:
    """A post-filter over ``KNOWN`` and ``FACTS``, with ``settings`` changed from the defaults."""
    return Postfilter(PostfilterSettings.model_validate(settings), KNOWN, FACTS)


def without_amounts(result: FilterResult) -> tuple[FilterEvent, ...]:
    """``result``'s events but those of the amount check (test_amounts.py's)."""
    return tuple(event for event in result.events if event.detector != "amount")
