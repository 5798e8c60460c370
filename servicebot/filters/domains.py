"""The top-level domains an address may end in (:data:`TLDS`), for the two readers that need
them: the PII detector's written-out emails (``emails.py``: "john at gmail dot com") and the
post-filter's bare links and disguised addresses (``postfilter/links.py``:
"maple-refunds.com", not "Node.js"). One list, so an ending read as an address by one is
read as one by the other.
"""

from __future__ import annotations

from typing import Final

TLDS: Final = frozenset(
    """com net org edu gov info biz xyz top site online shop store app dev io ai ly me tv cc co
    club live link click asia cloud tech pro mobi name cn uk de jp fr ru hk tw us eu in au ca
    sg kr nl es it se ch br mx nz zip mov support help page email website space icu vip buzz
    lol sbs cfd tk ml ga cf gq pw ws su gg to fi""".split()
)
