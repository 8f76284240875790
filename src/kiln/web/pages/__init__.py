"""The pages: each takes a hub session and the query, and gives a template and its values.

One module per noun, as the hub's api/ is split.  The boxes of a page come
from one multicall where they can, so a page costs the hub one or two
requests, not one per box.
"""

from __future__ import annotations

from kiln.web.listing import PageError
from kiln.web.pages import builds, hosts, misc, reports, tags, tasks, users
from kiln.web.pages.common import Page, state_name

PAGES: dict[str, Page] = {}
for _module in (tasks, builds, tags, hosts, users, reports, misc):
    PAGES.update(_module.PAGES)
# The parts of pages that follow what they show: ``?fragment=live`` (fetched again by static/kiln.js).
LIVE: dict[str, Page] = {**tasks.LIVE, **hosts.LIVE}

__all__ = ["LIVE", "PAGES", "PageError", "state_name"]
