"""Where a notice leads: the page of its subject (a case, a slip, a meeting, a resolution, an order,
a suggestion, a report) on the host that serves it.

A hall's pages answer on ``<code>.<BASE_DOMAIN>``, the city's on the bare base domain, so a link is
stored as a path and the hall whose host serves it (none: the base domain), and made absolute when it
is shown: with the scheme and port of the request in the in-app list, with ``NOTICE_LINK_SCHEME`` and
``NOTICE_LINK_PORT`` in messages sent without a request (e-mail and the other channels).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from tenants.routing import hall_origin

LINK_PATH_MAX_LENGTH = 300


@dataclass(frozen=True)
class NoticeLink:
    """A page: its path (``/cases/12/``) on the host of ``hall`` (a tenants.Hall; None: the base domain)."""

    path: str
    hall: Any = None

    @property
    def hall_id(self) -> int | None:
        return getattr(self.hall, "pk", None)

    def __post_init__(self) -> None:
        if not self.path.startswith("/") or self.path.startswith("//") or len(self.path) > LINK_PATH_MAX_LENGTH:
            raise ValueError(f"A notice links to a path of this site, not {self.path!r}.")


def _origin(hall_code: str | None, request: Any = None) -> str:
    if request is not None:
        if hall_code:
            return hall_origin(request, hall_code)
        host = request.get_host()
        port = host.rsplit(":", 1)[1] if ":" in host else ""
        return f"{request.scheme}://{settings.BASE_DOMAIN}{':' + port if port else ''}"
    port = f":{settings.NOTICE_LINK_PORT}" if settings.NOTICE_LINK_PORT else ""
    host = f"{hall_code}.{settings.BASE_DOMAIN}" if hall_code else settings.BASE_DOMAIN
    return f"{settings.NOTICE_LINK_SCHEME}://{host}{port}"


def link_url(link: NoticeLink, *, request: Any = None) -> str:
    """The absolute URL of a link (the request's scheme and port when there is one)."""
    return _origin(link.hall.code if link.hall is not None else None, request) + link.path


def notice_link(notice: Any) -> NoticeLink | None:
    """The link stored on a notice, or None (a notice without a subject page, e.g. an SMS to a person)."""
    if not notice.link_path:
        return None
    return NoticeLink(path=notice.link_path, hall=notice.link_hall if notice.link_hall_id else None)


def notice_link_url(notice: Any, *, request: Any = None) -> str:
    """The absolute URL of the notice's subject, for the in-app list and every message body ("" if none).

    Load the notices with ``select_related("link_hall")`` to spare a query each."""
    link = notice_link(notice)
    return link_url(link, request=request) if link is not None else ""


def text_with_link(body: str, url: str) -> str:
    """A message body followed by the link to its subject (channels without a link field)."""
    return f"{body}\n\n{url}" if url else body
