"""Network rules for the CalDAV seam: redirects, proxies, TLS (README "Network rules").

* **Redirects are never followed.** A redirect to another scheme, host or port would send
  the request (its body, and on some stacks its credentials) somewhere the practitioner never
  chose; one on the same server would put an object at an address other than the one the
  sync records. Either is a ServerError naming both URLs; the practitioner puts the new URL
  in the config after checking it.
* **Proxies**: the HTTP stack reads no environment at all (`trust_env = False`: no proxy
  variables, no .netrc, no CA-bundle variables); `proxy_for` decides instead. A loopback URL
  never uses a proxy, and neither does plain http:// (loopback only, by the config rule): a
  proxy would see the request and the Basic credentials in the clear. An https:// URL to
  another host uses `https_proxy`/`HTTPS_PROXY`, else `all_proxy`/`ALL_PROXY`, unless
  `no_proxy`/`NO_PROXY` names the host; the proxy is asked to CONNECT, so it sees the host
  name and port and never the calendar or the password. `http_proxy` is never used.
* **TLS**: the system's trust store, or the calendar's `ca_file` (a PEM bundle) instead of
  it. A failed check says which host and why, and how to give a CA bundle.
"""
from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from ..config.loopback import is_loopback
from ..errors import ConfigError, ServerError
from ..identity import redaction

DEFAULT_PORTS = {"http": 80, "https": 443}
PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
NO_PROXY_VARIABLES = ("no_proxy", "NO_PROXY")
_PROXY_SCHEMES = ("http", "https")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # printable URL characters kept as they are

# OpenSSL X509_V_ERR_* codes, as ssl.SSLCertVerificationError.verify_code carries them.
_UNTRUSTED = {2, 18, 19, 20, 21, 27}
_EXPIRED, _NOT_YET_VALID, _REVOKED = 10, 9, 23
_NAME_MISMATCH = {62, 64}


# ---------------------------------------------------------------- URLs


def redact(url: str) -> str:
    """The URL without any user:password@ part or fragment, safe for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def printable(url: str, limit: int = 300) -> str:
    """A URL from a server, with control and non-ASCII characters escaped, cut to `limit`."""
    text = quote(url, safe=_URL_SAFE)
    return text if len(text) <= limit else text[:limit] + "..."


def from_server_url(url: str) -> str:
    """A URL a server sent (a redirect's Location), its path and query read as data: a
    name part in them is scrubbed (a calendar named after a client), as for the paths of a
    calendar-home listing; the scheme, host and port stay, to say where it points."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, redaction.from_server(parts.path),
                       redaction.from_server(parts.query), ""))


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").rstrip(".").lower(), port or DEFAULT_PORTS.get(scheme)


def host_label(url: str) -> str:
    """host, or host:port when the port is not the scheme's default."""
    scheme, host, port = origin(url)
    shown = f"[{host}]" if ":" in host else host
    return shown if port == DEFAULT_PORTS.get(scheme) else f"{shown}:{port}"


def redirect_refused(method: str, source: str, location: str) -> ServerError:
    """The error for a redirect we did not follow, naming both URLs."""
    src = redact(source)
    dst = printable(from_server_url(redact(urljoin(source, location))))
    (s_scheme, s_host, s_port), (d_scheme, d_host, d_port) = origin(src), origin(dst)
    moved = [what for what, changed in (
        (f"scheme {s_scheme} to {d_scheme}", s_scheme != d_scheme),
        (f"host {s_host} to {d_host}", s_host != d_host),
        (f"port {s_port} to {d_port}", s_port != d_port)) if changed]
    if moved:
        return ServerError(
            f"the calendar server redirected {method} {src} to {dst} (another "
            f"{', '.join(moved)}); pseudocal never follows a redirect to another scheme, "
            "host or port, so nothing was sent there",
            next_step=f"if the calendar really moved, check {dst} yourself (https, your "
                      "provider's host) and put it as the calendar's url in the config",
            where=src)
    return ServerError(
        f"the calendar server redirected {method} {src} to {dst}; pseudocal follows no "
        "redirect, so that every change lands at the address it records",
        next_step=f"if {dst} is the calendar, put it as the calendar's url in the config",
        where=src)


# ---------------------------------------------------------------- proxies


def proxy_for(url: str, environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(proxy URL, the variable it came from) for a calendar URL, or None: go direct.

    Raises ServerError for a proxy pseudocal cannot use (not http:// or https://).
    """
    env = os.environ if environ is None else environ
    scheme, host, port = origin(url)
    if scheme != "https" or is_loopback(host):
        return None
    for variable in NO_PROXY_VARIABLES:
        if env.get(variable) and no_proxy_matches(host, port, env[variable]):
            return None
    name = next((n for n in PROXY_VARIABLES if env.get(n, "").strip()), None)
    if name is None:
        return None
    proxy = env[name].strip()
    if "://" not in proxy:
        proxy = "http://" + proxy  # as curl reads "host:port"
    if urlsplit(proxy).scheme.lower() not in _PROXY_SCHEMES or not urlsplit(proxy).hostname:
        raise ServerError(
            f"the proxy in {name} ({printable(redact(proxy))}) is not one pseudocal can use: "
            "it talks to http:// and https:// proxies only",
            next_step=f"set HTTPS_PROXY to an http:// or https:// proxy, or add "
                      f"{host} to NO_PROXY",
            where=name)
    return proxy, name


def no_proxy_matches(host: str, port: int | None, value: str) -> bool:
    """Does a NO_PROXY list name this host? Entries: `*`, a domain (its subdomains too,
    with or without a leading dot or `*.`), `host:port`, an IP address or a CIDR range."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in value.replace(" ", "").lower().split(","):
        if not entry:
            continue
        if entry == "*":
            return True
        try:
            network = ipaddress.ip_network(entry.strip("[]"), strict=False)
        except ValueError:
            network = None
        if network is not None:
            if address is not None and address.version == network.version \
                    and address in network:
                return True
            continue
        name, colon, wanted = entry.partition(":")
        if colon and (not wanted.isdigit() or int(wanted) != port):
            continue
        name = name.removeprefix("*").lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


# ---------------------------------------------------------------- TLS


def check_ca_file(path: Path) -> str:
    """The CA bundle as a path string for the HTTP stack; ConfigError if unusable."""
    try:
        ssl.create_default_context(cafile=str(path))
    except ssl.SSLError:
        raise ConfigError(f"the CA file {path} holds no PEM certificate",
                          next_step="set ca_file to the PEM file (-----BEGIN CERTIFICATE-----) "
                                    "of the authority that signed the server's certificate",
                          where=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the CA file {path} ({exc.strerror or exc})",
                          next_step="set ca_file under the calendar's table to a readable "
                                    "PEM file, or remove it to use the system's trust store",
                          where=str(path)) from None
    return str(path)


def _chain(exc: BaseException, limit: int = 20):
    """The exception and its causes: __cause__, __context__, .reason, exception args."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < limit:
        item = todo.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        linked = [item.__cause__, item.__context__, getattr(item, "reason", None),
                  *getattr(item, "args", ())]
        todo += [x for x in linked if isinstance(x, BaseException)]


def tls_failure(url: str, exc: BaseException, ca_file: str | None,
                tls_error: bool = False) -> ServerError | None:
    """A ServerError saying which host and why, when `exc` is a TLS failure (an ssl.SSLError
    in its chain, or `tls_error`: the HTTP stack said so); else None."""
    found = [x for x in _chain(exc) if isinstance(x, ssl.SSLError)]
    verify = next((x for x in found if isinstance(x, ssl.SSLCertVerificationError)), None)
    if not found and not tls_error:
        return None
    host = host_label(url)
    bundle = (f"the CA file {ca_file}" if ca_file else "the system's trust store")
    give_ca = ('if the server uses a private or self-signed certificate, set ca_file = '
               '"/path/to/ca.pem" (the PEM file of the authority that signed it) under '
               "[calendar] or [calendars.<name>]; never turn the check off")
    if verify is not None:
        code, detail = verify.verify_code, (verify.verify_message or "").rstrip(".")
        if code in _UNTRUSTED:
            why = f"its certificate is not trusted by {bundle} ({detail})"
            step = give_ca if not ca_file else (
                f"check that {ca_file} holds the authority that signed the server's "
                "certificate, and that nothing on the network intercepts TLS")
        elif code == _EXPIRED:
            why = "its certificate has expired"
            step = ("whoever runs the server must renew its certificate; "
                    "also check this machine's date and time")
        elif code == _NOT_YET_VALID:
            why = "its certificate is not valid yet"
            step = "check this machine's date and time"
        elif code in _NAME_MISMATCH:
            why = f"its certificate is for another host name, not {origin(url)[1]}"
            step = ("put the host name the certificate is for in the calendar URL (ask your "
                    "provider), and check that the name points to the right server")
        elif code == _REVOKED:
            why = "its certificate has been revoked"
            step = "whoever runs the server must replace its certificate"
        else:
            why = f"its certificate was refused ({detail or 'code ' + str(code)})"
            step = give_ca
    else:
        reason = next((str(x.reason) for x in found if getattr(x, "reason", None)), "")
        if "WRONG_VERSION_NUMBER" in reason or "RECORD_LAYER" in reason:
            why = "the server does not speak TLS on this port"
            step = "check the port in the calendar URL, and that it is the https:// one"
        else:
            why = f"the TLS handshake failed ({reason or 'no reason given'})"
            step = give_ca
    return ServerError(f"the TLS check of the calendar server {host} failed: {why}; "
                       "nothing was sent", next_step=step, where=redact(url))
