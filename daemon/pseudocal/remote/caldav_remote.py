"""The Remote for a real CalDAV server, through caldav's DAVClient.

Every operation is one `DAVClient.request()` with our own conditional
headers, so each costs exactly one HTTP request (counted in `requests`):
no discovery, no UID search before a PUT, no silent retry with altered data.
caldav's `Event.save()` may retry a failed PUT with cleaned-up data; we never
want that, and we send the bytes we were given unchanged (`WireBytes`).

If a server answers a PUT without an ETag header, the ETag is read with one
PROPFIND Depth: 0 (a second request for that write). Radicale, Xandikos and
Nextcloud all return it.

The network rules (no redirect followed, no proxy from the environment except
HTTPS_PROXY/ALL_PROXY for https to another host, TLS failures explained, a
listing trusted only as a real multistatus) are in `remote.network`.

The calendar URL must be a calendar: `list()` reads the collection's own entry in its
PROPFIND (no extra request) and refuses a calendar home, a principal, a plain WebDAV
collection, an address book or a single resource (`NotACalendar`, a config error naming
the key), so no event is ever PUT into something that is not a calendar (a PUT into a
calendar home makes a new calendar per event on some servers). `make_calendar()` is the
MKCALENDAR behind `pseudocal check --create-calendars`.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from urllib.parse import unquote, urljoin, urlsplit
from xml.sax.saxutils import escape as xml_escape

from caldav.davclient import DAVClient  # what `caldav.DAVClient` loads (typed there)
from caldav.lib import error as dav_error
from caldav.lib.http_sync import requests as http
from caldav.lib.python_utilities import WireBytes
from lxml import etree

from ..errors import ConfigError, ServerError
from ..identity import redaction
from ..models import CalendarSettings
from . import network
from .base import REFUSED_STATUSES, check_name, conflict, refused, unreachable
from .network import redact

PROFILES = ("radicale", "xandikos", "nextcloud")  # caldav server profiles we know
ICAL = "text/calendar; charset=utf-8"
DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
UID_PRECONDITIONS = (f"{CALDAV}no-uid-conflict", f"{CALDAV}unique-scheduling-object-resource")
_MULTIGET = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:prop><D:getetag/><C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>"
)
_PROPFIND_ETAG = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>'
)
CALENDAR_TYPE = "{urn:ietf:params:xml:ns:caldav}calendar"  # RFC 4791 §4.2
_MKCALENDAR = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:set><D:prop><D:displayname>{name}</D:displayname></D:prop></D:set></C:mkcalendar>"
)


class _CaldavNoise(logging.Filter):
    """caldav's DAVResponse logs a body it cannot parse as XML (a web page, a proxy's
    answer) at INFO on the *root* logger, with a traceback and the whole body, and warns
    on its own logger about the content type. pseudocal reports such a reply itself (a
    ServerError naming the URL and what came back), so both records are dropped: no
    traceback and no server body reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.msg if isinstance(record.msg, str) else ""
        if record.name == "root" and record.module == "response" and text.startswith(
                "Expected some valid XML"):
            return False
        return not (record.name == "caldav" and text.startswith(
            "Deviation from expectations found: Unexpected content type"))


def _silence_caldav_noise() -> None:
    for logger in (logging.getLogger(), logging.getLogger("caldav")):
        if not any(isinstance(f, _CaldavNoise) for f in logger.filters):
            logger.addFilter(_CaldavNoise())


_silence_caldav_noise()


def _collection_url(url: str) -> str:
    url = redact(url)
    return url if url.endswith("/") else url + "/"


def _features(server: str | None) -> str | None:
    if server is None or server == "generic":
        return None
    if server not in PROFILES:
        raise ConfigError(f"unknown calendar server profile {server!r}",
                          next_step=f"use one of {', '.join(PROFILES)} or leave it out",
                          where="calendar.server")
    return server


def _is_uid_conflict(resp) -> bool:
    """Does a 409/412 carry the CalDAV `no-uid-conflict` precondition?"""
    body = resp.raw or ""
    tags = dav_error.parse_preconditions(body)
    return any(t.endswith("}no-uid-conflict") for t in tags) or "no-uid-conflict" in body


def _etag_of(resp) -> str | None:
    etag = resp.headers.get("ETag") if resp.headers else None
    return etag or None


class _Redirected(Exception):
    """A redirect answer, stopped before the HTTP stack could follow it."""

    def __init__(self, source: str, location: str) -> None:
        super().__init__(source, location)
        self.source, self.location = source, location


def _refuse_redirects(response, **_kw) -> None:
    """niquests response hook: runs before any redirect is followed, and stops it."""
    if response.is_redirect:
        source, location = str(response.url or ""), response.headers.get("Location", "")
        response.close()
        raise _Redirected(source, location)


class MissingCalendar(ServerError):
    """The calendar URL names nothing on the server (404, or 409 on a write into it)."""


class NotACalendar(ConfigError):
    """The calendar URL answers, but as something else: `what` says what it is."""

    def __init__(self, message: str, *, what: str, **kw) -> None:
        super().__init__(message, **kw)
        self.what = what


class CalDAVRemote:
    """One calendar collection on a CalDAV server."""

    def __init__(self, settings: CalendarSettings, password: str | None,
                 timeout: float = 30, key: str = "calendar.url") -> None:
        self.url = _collection_url(settings.url)
        self.key = key  # the config key that holds the URL, for messages
        self.requests = 0
        self._path = urlsplit(self.url).path
        self._ca_file = network.check_ca_file(settings.ca_file) if settings.ca_file else None
        self._proxy = network.proxy_for(self.url)  # (proxy URL, its variable) or None
        self._client = DAVClient(
            url=self.url,
            username=settings.username,
            password=(password or "") if settings.username else None,
            auth_type="basic" if settings.username else None,
            timeout=timeout,  # type: ignore[arg-type]  # caldav says int; requests takes float
            ssl_verify_cert=self._ca_file or True,
            features=_features(settings.server),  # type: ignore[arg-type]  # None: its default
            enable_rfc6764=False,
            rate_limit_handle=False,
        )
        session = self._client.session
        session.trust_env = False  # no proxy, .netrc or CA variables behind our back
        session.max_redirects = 0  # belt and braces: the hook below refuses first
        session.hooks.setdefault("response", []).append(_refuse_redirects)
        self._client.proxy = self._proxy[0] if self._proxy else None
        self._calendar = self._client.calendar(url=self.url)  # no request
        self._closed = False

    # ------------------------------------------------------------ Remote

    def list(self) -> dict[str, str]:
        resp = self._send("PROPFIND", self.url, _PROPFIND_ETAG,
                          {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
        if resp.status in (405, 501):
            raise self._not_webdav(resp)
        if resp.status != 207:
            raise self._collection_error(resp, "PROPFIND")
        found = self._parse_listing(resp, listing=True)
        self._require_calendar(resp.tree)
        return found

    def get(self, href: str) -> tuple[bytes, str]:
        resp = self._send("GET", self._abs(href), headers={"Accept": "text/calendar"})
        if resp.status == 404:
            raise conflict("gone", href, "cannot read a calendar object that is gone")
        if resp.status != 200:
            raise self._status_error(resp, "GET", href)
        data = getattr(resp, "_raw_body", b"") or resp.raw.encode("utf-8")
        return data, _etag_of(resp) or self._fetch_etag(href)

    def multiget(self, hrefs: Sequence[str]) -> dict[str, tuple[bytes, str]]:
        """One REPORT calendar-multiget (RFC 4791 §7.9): {href: (data, etag)} for the hrefs
        still there (a gone one answers 404 inside the multistatus and is left out)."""
        if not hrefs:
            return {}
        body = _MULTIGET.format(hrefs="".join(f"<D:href>{xml_escape(h)}</D:href>"
                                              for h in hrefs))
        resp = self._send("REPORT", self.url, body.encode("utf-8"),  # no Depth (RFC 4791)
                          {"Content-Type": "application/xml; charset=utf-8"})
        if resp.status != 207:
            raise self._collection_error(resp, "REPORT")
        if resp.tree is None or resp.tree.tag != f"{DAV}multistatus":
            raise ServerError(
                f"the calendar server at {self.url} answered a calendar-multiget REPORT with "
                f"{resp.status} and no WebDAV multistatus",
                next_step="check that the URL points to a CalDAV calendar; nothing was changed",
                where=self.url)
        found = {}
        for node in resp.tree.iter(f"{DAV}response"):
            href, data, etag = _read_object(node)
            if href and data is not None:
                found[urlsplit(href).path] = (data, etag or "")
        return found

    def create(self, name: str, data: bytes) -> tuple[str, str]:
        url = str(self._calendar.url.join(check_name(name)))
        href = urlsplit(url).path
        resp = self._put(url, data, {"If-None-Match": "*"})
        if resp.status in (412, 409) and _is_uid_conflict(resp):
            raise conflict("uid", href, "the same UID already exists at another href",
                           holder=_holder(resp.raw))
        if resp.status == 412:
            raise conflict("exists", href, "an object already exists at this name")
        return href, self._written(resp, "PUT", href)

    def update(self, href: str, data: bytes, etag: str) -> str:
        resp = self._put(self._abs(href), data, {"If-Match": etag})
        if resp.status in (412, 409) and _is_uid_conflict(resp):
            raise conflict("uid", href, "the object's UID conflicts with another object",
                           holder=_holder(resp.raw))
        if resp.status == 412:
            raise conflict("etag", href, "the object changed since it was read; not updated")
        if resp.status == 404:
            raise conflict("gone", href, "cannot update a calendar object that is gone")
        return self._written(resp, "PUT", href)

    def delete(self, href: str, etag: str) -> None:
        resp = self._send("DELETE", self._abs(href), headers={"If-Match": etag})
        if resp.status == 412:
            raise conflict("etag", href, "the object changed since it was read; not deleted")
        if resp.status == 404:
            raise conflict("gone", href, "cannot delete a calendar object that is gone")
        if resp.status not in (200, 202, 204):
            raise self._status_error(resp, "DELETE", href)

    def make_calendar(self) -> bool:
        """MKCALENDAR at this URL (RFC 4791 §5.3.1), named after its last path segment:
        True when made, False when a calendar already exists there. Two requests: the
        collection above is read first (PROPFIND Depth: 0), and a calendar is never made
        inside another calendar (Xandikos and Radicale would make one no phone shows);
        any other answer is a ServerError saying why."""
        from xml.sax.saxutils import escape
        name = unquote(self._path.rstrip("/").rsplit("/", 1)[-1]) or "calendar"
        body = _MKCALENDAR.format(name=escape(name)).encode("utf-8")
        step = ("create it in the calendar app or the server's web interface, or set "
                f"{self.key} to a calendar that exists")
        self._refuse_inside_a_calendar(name)
        try:
            resp = self._send("MKCALENDAR", self.url, body,
                              {"Content-Type": "application/xml; charset=utf-8"})
        except ServerError as exc:  # 401/403 (caldav raises them), 5xx, transport
            told = getattr(exc.__context__, "preconditions", None) or []  # a 403's DAV:error
            if any(t.endswith("}resource-must-be-null") for t in told):
                return False  # Xandikos and Cyrus: something is there already
            if any(t.endswith("}calendar-collection-location-ok") for t in told):
                raise ServerError(
                    f"could not create the calendar {self.url}: the server does not allow a "
                    "calendar at that place (inside another calendar, or outside your "
                    "calendar home)", next_step=step, where=self.url) from None
            mine = getattr(exc.__context__, "status", None) != 401  # 401: the credentials
            raise ServerError(f"could not create the calendar {self.url}: {exc.message}",
                              next_step=step if mine else exc.next_step,
                              where=self.url) from None
        if resp.status in (200, 201, 204):
            return True
        if resp.status in (405, 409) and "resource-must-be-null" in (resp.raw or ""):
            return False
        if resp.status == 409:
            parent = self.url[:self.url.rstrip("/").rfind("/") + 1]
            raise MissingCalendar(
                f"could not create the calendar {self.url}: the collection above it, "
                f"{parent}, does not exist (409 on MKCALENDAR)",
                next_step=f"check {self.key} up to the calendar's own name (that part is "
                          "your calendar home on the server)", where=self.url)
        if resp.status == 405:
            raise ServerError(
                f"could not create the calendar {self.url}: the server does not allow "
                "MKCALENDAR there (405); something else may already be at that URL",
                next_step=step, where=self.url)
        raise self._status_error(resp, "MKCALENDAR", self._path)

    def _refuse_inside_a_calendar(self, name: str) -> None:
        """A ServerError when the collection above this URL is itself a calendar. Any other
        answer (missing, not WebDAV, forbidden) is left for MKCALENDAR itself to tell."""
        parent = self.url[:self.url.rstrip("/").rfind("/") + 1]
        try:
            resp = self._send("PROPFIND", parent, _PROPFIND_ETAG,
                              {"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
        except ServerError:
            return
        if resp.status != 207 or resp.tree is None:
            return
        own = _split_listing(resp.tree, urlsplit(parent).path)[0]
        if own is not None and CALENDAR_TYPE in own:
            home = parent[:parent.rstrip("/").rfind("/") + 1]
            raise ServerError(
                f"{self.key}: not creating the calendar {self.url}: the collection above "
                f"it, {parent}, is itself a calendar, and a calendar inside a calendar is "
                "one that calendar apps do not show; nothing was created",
                next_step=f"set {self.key} to {parent} itself, or to a new calendar next "
                          f"to it, such as {home}{name}/, and run `pseudocal check "
                          "--create-calendars` again", where=self.key)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._client.close()

    def __enter__(self) -> "CalDAVRemote":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ requests

    def _abs(self, href: str) -> str:
        return urljoin(self.url, href)

    def _put(self, url: str, data: bytes, condition: dict[str, str]):
        return self._send("PUT", url, WireBytes(bytes(data)),
                          {"Content-Type": ICAL, **condition})

    def _send(self, method: str, url: str, body: bytes | str = "",
              headers: dict[str, str] | None = None):
        """One HTTP request; transport failures become ServerError."""
        self.requests += 1
        try:
            # caldav annotates str; it sends bytes as they are (our PUT bodies)
            resp = self._client.request(url, method, body, headers or {})  # type: ignore[arg-type]
        except _Redirected as exc:
            raise network.redirect_refused(method, exc.source or url, exc.location) from None
        except http.exceptions.TooManyRedirects as exc:  # only if the hook did not run
            where = exc.response.headers.get("Location", "") if exc.response else ""
            raise network.redirect_refused(method, url, where) from None
        except dav_error.AuthorizationError as exc:
            raise self._auth_error(exc, url, method) from None
        except dav_error.RateLimitError as exc:
            raise self._rate_limited(exc) from None
        except http.exceptions.Timeout:
            raise unreachable(self.url, f"no answer within {self._client.timeout} s") from None
        except (http.exceptions.RequestException, OSError) as exc:
            raise self._transport_error(exc) from None
        except (dav_error.DAVError, etree.XMLSyntaxError) as exc:
            raise ServerError(f"unreadable reply from the calendar server at {self.url} "
                              f"to {method}: {exc.__class__.__name__}",
                              next_step="check that the URL points to a CalDAV calendar",
                              where=self.url) from None
        if resp.status == 501 and method == "PROPFIND":
            raise self._not_webdav(resp)  # a plain web server: PROPFIND is not implemented
        if resp.status >= 500:
            raise self._status_error(resp, method, urlsplit(url).path)
        if method in ("PUT", "DELETE") and resp.status in REFUSED_STATUSES:
            raise refused(resp.status, method, urlsplit(url).path, self.url)
        return resp

    def _written(self, resp, method: str, href: str) -> str:
        if resp.status in (404, 409):
            raise self._collection_error(resp, method)
        if resp.status not in (200, 201, 204):
            raise self._status_error(resp, method, href)
        return _etag_of(resp) or self._fetch_etag(href)

    def _fetch_etag(self, href: str) -> str:
        """One PROPFIND Depth: 0, for servers that return no ETag on PUT/GET."""
        resp = self._send("PROPFIND", self._abs(href), _PROPFIND_ETAG,
                          {"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
        if resp.status == 404:
            raise conflict("gone", href, "the object vanished right after it was written")
        if resp.status != 207:
            raise self._status_error(resp, "PROPFIND", href)
        etags = self._parse_listing(resp, keep_self=True)
        if not etags:
            raise ServerError(f"the calendar server at {self.url} gave no ETag for {href}",
                              next_step="use a CalDAV server that supports ETags",
                              where=href)
        return next(iter(etags.values()))

    # ------------------------------------------------------------ replies

    def _parse_listing(self, resp, keep_self: bool = False,
                       listing: bool = False) -> dict[str, str]:
        """{href: etag} from a real WebDAV multistatus, never from anything else.

        An HTML page (a proxy's, a captive portal's, a plain web server's) or any other
        document is a ServerError, not an empty listing the planner would trust; so is a
        calendar listing without a single DAV:response (it always holds the collection)."""
        if resp.tree is None and not resp.raw:
            raise ServerError(f"empty PROPFIND reply from the calendar server at {self.url}",
                              next_step="check that the URL points to a CalDAV calendar",
                              where=self.url)
        if resp.tree is None or resp.tree.tag != f"{DAV}multistatus":
            raise self._not_multistatus(resp)
        nodes = list(resp.tree.iter(f"{DAV}response"))
        if listing and not nodes:
            raise self._not_multistatus(resp, "an empty multistatus (not even the calendar "
                                              "itself)")
        found: dict[str, str] = {}
        for node in nodes:
            href, etag, is_collection = _read_response(node)
            if href and etag and (keep_self or not is_collection):
                found[urlsplit(href).path] = etag
        return found

    def _not_multistatus(self, resp, what: str = "") -> ServerError:
        if not what:
            kind = (resp.headers.get("Content-Type", "") if resp.headers else "").split(";")[0]
            tag = etree.QName(resp.tree).localname if resp.tree is not None else ""
            what = (f"a <{tag}> document" if tag else "a document") + (
                f" ({kind})" if kind else "")
        return ServerError(
            f"the calendar server at {self.url} answered PROPFIND with {resp.status} and "
            f"{what} instead of a WebDAV listing of the calendar: the URL is not a CalDAV "
            "calendar, or a proxy or web server answered in its place; pseudocal trusts no "
            "listing it cannot read",
            next_step="check the calendar URL (and any proxy); nothing was changed",
            where=self.url)

    def _transport_error(self, exc: BaseException) -> ServerError:
        tls = network.tls_failure(self.url, exc, self._ca_file,
                                  tls_error=isinstance(exc, http.exceptions.SSLError))
        if tls is not None:
            return tls
        if self._proxy and isinstance(exc, http.exceptions.ProxyError):
            proxy, variable = self._proxy
            return ServerError(
                f"cannot reach the calendar server at {self.url} through the proxy "
                f"{redact(proxy)} (from {variable}): {_transport_detail(exc)}",
                next_step=f"check the proxy, or add {network.origin(self.url)[1]} to "
                          "NO_PROXY to go direct; the next sync will try again",
                where=self.url)
        return unreachable(self.url, _transport_detail(exc))

    def _auth_error(self, exc: dav_error.AuthorizationError, url: str,
                    method: str = "") -> ServerError:
        """401: our credentials. 403 with a UID precondition (Cyrus answers a second object
        with an existing UID with 403 `unique-scheduling-object-resource` naming the href
        that holds it): a "uid" conflict carrying that href. Any other 403 to a PUT or
        DELETE: this one object is refused. Else: this account may not use the calendar."""
        href = urlsplit(url).path
        if any(t in UID_PRECONDITIONS for t in (exc.preconditions or [])):
            return conflict("uid", href, "the same UID already exists at another href",
                            holder=_holder(exc.body))
        status = getattr(exc, "status", None) or 401
        if status == 403 and method in ("PUT", "DELETE"):
            return refused(403, method, href, self.url)
        if status == 401:
            what, step = "refused our credentials (401)", "check the username and password file"
        else:
            what, step = (f"forbids access ({status})",
                          "check that this account may write to this calendar")
        return ServerError(f"the calendar server at {self.url} {what}",
                           next_step=step, where=self.url)

    def _rate_limited(self, exc: dav_error.RateLimitError) -> ServerError:
        after = f"; it asks us to wait {exc.retry_after}" if exc.retry_after else ""
        return ServerError(
            f"the calendar server at {self.url} answered {exc.status or 429}: "
            f"too many requests or temporarily unavailable{after}",
            next_step="nothing to do: the next sync will try again", where=self.url)

    def _collection_error(self, resp, method: str) -> ServerError:
        if resp.status in (404, 409):
            return self._missing(resp.status, method)
        if method == "PROPFIND" and 200 <= resp.status < 300:
            return self._not_multistatus(resp)
        return self._status_error(resp, method, self._path)

    def _missing(self, status: int, method: str) -> MissingCalendar:
        return MissingCalendar(
            f"the calendar {self.url} does not exist ({status} on {method})",
            next_step=f"check {self.key}, or create the calendar: "
                      "`pseudocal check --create-calendars`",
            where=self.url)

    def _require_calendar(self, tree) -> None:
        """The listing's entry for the collection itself must have the CalDAV `calendar`
        resource type; anything else is a NotACalendar saying what it is instead (or a
        MissingCalendar, for servers that answer a missing one with a 207 holding 404)."""
        own, status, children = _split_listing(tree, self._path)
        if status == 404:
            raise self._missing(404, "PROPFIND")
        if status is not None and not 200 <= status < 300:
            raise ServerError(
                f"the calendar server at {self.url} answered PROPFIND with {status} for the "
                "calendar itself", next_step="check the calendar URL and the server's logs",
                where=self.url)
        if own is not None and CALENDAR_TYPE in own:
            return
        calendars = [redaction.from_server(urljoin(self.url, path)) for path, types in children
                     if CALENDAR_TYPE in types]  # the server's names: data, never raw
        folder = own is not None and f"{DAV}collection" in own
        if own is None:
            what = "a resource whose type the server does not give (no DAV:resourcetype)"
        elif "{urn:ietf:params:xml:ns:carddav}addressbook" in own:
            what, folder = "an address book (CardDAV)", False
        elif f"{DAV}principal" in own:
            what = "the account's principal (the address of the account itself)"
        elif any(t.startswith("{urn:ietf:params:xml:ns:caldav}schedule-") for t in own):
            what, folder = "a scheduling inbox or outbox", False
        elif folder and calendars:
            what = "a calendar home (the collection that holds the account's calendars)"
        elif folder:
            what = ("a plain WebDAV collection (a folder, or a calendar home with no "
                    "calendar in it yet)")
        else:
            what = "a single resource (a file or a page)"
        held = ""
        if calendars:
            more = f" and {len(calendars) - 3} more" if len(calendars) > 3 else ""
            held = f"; it holds the calendars {', '.join(calendars[:3])}{more}"
            step = (f"set {self.key} to the URL of one calendar, such as {calendars[0]}, "
                    "or to a new one below it and run `pseudocal check --create-calendars`")
        elif folder:
            step = (f"set {self.key} to the URL of a calendar; to make one here, set it to "
                    f"{self.url}NAME/ and run `pseudocal check --create-calendars`")
        else:
            step = (f"set {self.key} to the CalDAV URL of a calendar (your calendar app or "
                    "the server's help shows it)")
        raise NotACalendar(
            f"{self.key}: {self.url} is {what}, not a calendar{held}; nothing was written "
            "there", what=what, next_step=step, where=self.key)

    def _not_webdav(self, resp) -> ServerError:
        status = f"{resp.status} {resp.reason}" if resp.reason else str(resp.status)
        return ServerError(
            f"{self.key}: {self.url} is not a WebDAV collection: it answered PROPFIND with "
            f"{status}, as a plain web page or web server does",
            next_step=f"set {self.key} to the CalDAV URL of a calendar (not the address of "
                      "a web page or of the server's web interface); nothing was changed",
            where=self.url)

    def _status_error(self, resp, method: str, href: str) -> ServerError:
        retry = resp.status >= 500
        status = f"{resp.status} {resp.reason}" if resp.reason else str(resp.status)
        return ServerError(
            f"the calendar server at {self.url} answered {status} to {method} {href}",
            next_step=("the server is failing; the next sync will try again" if retry else
                       "check the calendar URL and the server's logs"),
            where=href)


def _read_response(node) -> tuple[str | None, str | None, bool]:
    """(href, etag from a 200 propstat, is it a collection) of one DAV:response."""
    href_node = node.find(f"{DAV}href")
    href = href_node.text.strip() if href_node is not None and href_node.text else None
    etag, is_collection = None, False
    for propstat in node.iter(f"{DAV}propstat"):
        status = propstat.findtext(f"{DAV}status") or ""
        if " 200 " not in f"{status} ":
            continue
        etag = propstat.findtext(f"{DAV}prop/{DAV}getetag") or etag
        is_collection |= propstat.find(f"{DAV}prop/{DAV}resourcetype/{DAV}collection") is not None
    return href, (etag.strip() if etag else None), is_collection


def _read_object(node) -> tuple[str | None, bytes | None, str | None]:
    """(href, calendar data as CRLF bytes, etag) of one DAV:response of a multiget."""
    href_node = node.find(f"{DAV}href")
    href = href_node.text.strip() if href_node is not None and href_node.text else None
    for propstat in node.iter(f"{DAV}propstat"):
        if " 200 " not in f"{propstat.findtext(f'{DAV}status') or ''} ":
            continue
        text = propstat.findtext(f"{DAV}prop/{CALDAV}calendar-data")
        etag = propstat.findtext(f"{DAV}prop/{DAV}getetag")
        if text:
            data = re.sub(r"\r?\n", "\r\n", text).encode("utf-8")
            return href, data, etag.strip() if etag else None
    return href, None, None


def _holder(body: bytes | str | None) -> str:
    """The path of the DAV:href inside a UID precondition of an error body, or ""."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not body:
        return ""
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False,
                                                              no_network=True))
    except etree.XMLSyntaxError:
        return ""
    for tag in UID_PRECONDITIONS:
        text = root.findtext(f"{tag}/{DAV}href")
        if text and text.strip():
            return urlsplit(text.strip()).path
    return ""


def _split_listing(tree, path: str) -> tuple[frozenset[str] | None, int | None, list]:
    """(resource types of the collection's own entry, the status of that entry when the
    server gives one for the whole entry, [(href path, types)] of the other entries).

    The own entry is the one whose href is `path` (compared unquoted, without a trailing
    slash), else the first one, which is where servers put it. Its types are None when
    no 200 propstat gives a DAV:resourcetype at all."""
    entries = []
    for node in tree.iter(f"{DAV}response"):
        href = (node.findtext(f"{DAV}href") or "").strip()
        status = (node.findtext(f"{DAV}status") or "").split()  # for the whole entry
        code = int(status[1]) if len(status) > 1 and status[1].isdigit() else None
        types: set[str] = set()
        known = False
        for propstat in node.iter(f"{DAV}propstat"):
            if " 200 " not in f"{propstat.findtext(f'{DAV}status') or ''} ":
                continue
            found = propstat.find(f"{DAV}prop/{DAV}resourcetype")
            if found is not None:
                known = True
                types.update(child.tag for child in found if isinstance(child.tag, str))
        entries.append((urlsplit(href).path, frozenset(types) if known else None, code))
    if not entries:
        return None, None, []

    def same(a: str) -> bool:
        return unquote(a).rstrip("/") == unquote(path).rstrip("/")

    own = next((i for i, (p, _, _) in enumerate(entries) if same(p)), 0)
    rest = [(p, t or frozenset()) for i, (p, t, _) in enumerate(entries) if i != own]
    return entries[own][1], entries[own][2], rest


def _transport_detail(exc: BaseException) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused (is the server running?)"
    if "name" in text and ("resolv" in text or "known" in text):
        return "the host name does not resolve (DNS)"
    return f"network error ({exc.__class__.__name__})"
