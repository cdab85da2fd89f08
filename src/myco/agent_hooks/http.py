"""A tiny HTTP/1.1 client on raw sockets, bounded by a :class:`~myco.agent_hooks.deadline.Deadline`.

``http.client``/``urllib`` cost 25-40 ms of imports per hook call; the daemon speaks plain
HTTP on loopback in the usual setup, which a socket handles in a few lines. ``https://``
URLs fall back to :mod:`http.client` (imported only then). The socket comes from
``_socket``, the C module under :mod:`socket`: the Python wrapper builds its enums and
imports :mod:`selectors` (about 2 ms of every hook's start) for nothing used here. URLs
are split and encoded here too: :mod:`urllib.parse` imports :mod:`re` and
:mod:`ipaddress` (about 2 ms).
"""

from __future__ import annotations

from myco.agent_hooks.deadline import Deadline
from myco.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

try:
    import _socket as sockets
except ImportError:  # pragma: no cover - an interpreter without CPython's module layout
    import socket as sockets  # type: ignore[no-redef]

MAX_RESPONSE = 4 * 1024 * 1024
CONNECT_TIMEOUT = 0.3


def hostname() -> str:
    """:func:`socket.gethostname`, without importing :mod:`socket`."""
    return sockets.gethostname()


class HTTPFailure(Exception):
    """The request got no usable HTTP response (refused, timed out, garbled)."""


class Response(Record):
    status: int
    body: bytes
    content_type: str = ""


#: bytes :func:`quote` never escapes (RFC 3986 unreserved characters)
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def quote(text: str, safe: str = "") -> str:
    """Percent-encode *text* as UTF-8, keeping unreserved characters and *safe*
    (:func:`urllib.parse.quote` with ``safe=""`` by default)."""
    keep = _UNRESERVED.union(safe.encode("ascii")) if safe else _UNRESERVED
    raw = text.encode("utf-8", "surrogatepass")
    if keep.issuperset(raw):
        return text
    return "".join(chr(b) if b in keep else f"%{b:02X}" for b in raw)


def urlencode(pairs: Iterable[tuple[str, str]]) -> str:
    """``name=value&...`` with both percent-encoded (spaces as ``%20``)."""
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)


class URL(Record):
    """The parts of a daemon URL the client needs."""

    scheme: str
    #: ``host[:port]`` as written (the ``Host`` header)
    netloc: str
    #: lower-cased, without IPv6 brackets
    hostname: str
    port: int | None
    #: the base path, ``""`` for none
    path: str


def split_url(url: str) -> URL:
    """``scheme://[user@]host[:port][/path]``, as :func:`urllib.parse.urlsplit` reads it;
    ``ValueError`` for a port that is not a number in range."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    end = min(
        (i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest)
    )
    netloc, path = rest[:end], rest[end:].partition("?")[0].partition("#")[0]
    host = netloc.rpartition("@")[2]
    port: int | None = None
    if host.startswith("["):
        close = host.find("]")
        hostname, after = (host[1:close], host[close + 1 :]) if close > 0 else (host[1:], "")
    else:
        hostname, _, after = host.partition(":")
        after = ":" + after if _ else ""
    if after.startswith(":") and after[1:]:
        digits = after[1:]
        if not (digits.isascii() and digits.isdigit()) or int(digits) > 65535:
            raise ValueError(f"port out of range or not a number in {url!r}")
        port = int(digits)
    return URL(scheme.lower(), netloc, hostname.lower(), port, path)


def request(
    method: str,
    url: str,
    path: str,
    deadline: Deadline,
    *,
    token: str = "",
    body: bytes | None = None,
    timeout: float = 10.0,
) -> Response:
    """Send one request and read the whole response within *timeout* and the deadline."""
    try:
        parts = split_url(url)
    except ValueError as exc:
        raise HTTPFailure(str(exc)) from None
    deadline = deadline.sub(timeout)
    if deadline.expired():
        raise HTTPFailure("no time left")
    headers = {"Host": parts.netloc, "Connection": "close", "Accept": "*/*"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(len(body))
    full_path = (parts.path.rstrip("/") + path) or "/"
    if parts.scheme == "https":
        return _https(
            method, parts.hostname or "", parts.port or 443, full_path, headers, body, deadline
        )
    if parts.scheme != "http" or not parts.hostname:
        raise HTTPFailure(f"unsupported URL {url!r}")
    head = (
        f"{method} {full_path} HTTP/1.1\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    )
    # An ASCII host goes as bytes: a str host makes getaddrinfo import the idna codec
    # (about a millisecond, on every turn).
    host = parts.hostname
    address: Any = (host.encode("ascii") if host.isascii() else host, parts.port or 80)
    try:
        sock = _connect(address, deadline.cap(CONNECT_TIMEOUT))
        try:
            sock.settimeout(deadline.cap(60.0))
            sock.sendall(head.encode("latin-1") + (body or b""))
            raw = _read_all(sock, deadline)
        finally:
            sock.close()
    except OSError as exc:  # refused, reset, timed out
        raise HTTPFailure(str(exc) or type(exc).__name__) from None
    return _parse(raw)


def _connect(address: tuple[Any, int], timeout: float) -> sockets.socket:
    """A connected TCP socket: each address *address* resolves to in turn, as
    :func:`socket.create_connection` tries them."""
    error: OSError | None = None
    infos = sockets.getaddrinfo(address[0], address[1], 0, sockets.SOCK_STREAM)
    for family, kind, proto, _, where in infos:
        sock = sockets.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(where)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError("getaddrinfo returned no address")


def _read_all(sock: sockets.socket, deadline: Deadline) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        sock.settimeout(deadline.cap(60.0))
        if deadline.expired():
            raise HTTPFailure("timed out")
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)
        size += len(data)
        if size > MAX_RESPONSE:
            raise HTTPFailure("response too large")
        # Stop early once a Content-Length body is complete (no need to wait for close).
        joined = b"".join(chunks)
        end = joined.find(b"\r\n\r\n")
        if end >= 0:
            length = _content_length(joined[:end])
            if length is not None and len(joined) - end - 4 >= length:
                return joined


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return int(value.strip())
            except ValueError:
                return None
    return None


def _parse(raw: bytes) -> Response:
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        raise HTTPFailure("incomplete response")
    lines = head.split(b"\r\n")
    status_parts = lines[0].split(None, 2)
    if len(status_parts) < 2 or not status_parts[0].startswith(b"HTTP/"):
        raise HTTPFailure("not an HTTP response")
    try:
        status = int(status_parts[1])
    except ValueError:
        raise HTTPFailure("bad status line") from None
    chunked = False
    length = None
    ctype = ""
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-type":
            ctype = value.strip().decode("latin-1").lower()
        elif key == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif key == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise HTTPFailure("bad content-length") from None
    if chunked:
        return Response(status, _dechunk(rest), ctype)
    if length is not None:
        if len(rest) < length:
            raise HTTPFailure("truncated body")
        rest = rest[:length]
    return Response(status, rest, ctype)


def _dechunk(data: bytes) -> bytes:
    out: list[bytes] = []
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            raise HTTPFailure("truncated chunked body")
        try:
            size = int(data[pos:eol].split(b";")[0], 16)
        except ValueError:
            raise HTTPFailure("bad chunk size") from None
        if size == 0:
            return b"".join(out)
        start = eol + 2
        if len(data) < start + size:
            raise HTTPFailure("truncated chunked body")
        out.append(data[start : start + size])
        pos = start + size + 2


def _https(
    method: str,
    host: str,
    port: int,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    deadline: Deadline,
) -> Response:
    import http.client

    conn = http.client.HTTPSConnection(host, port, timeout=deadline.cap(CONNECT_TIMEOUT))
    try:
        conn.request(method, path, body=body, headers=headers)
        if conn.sock is not None:
            conn.sock.settimeout(deadline.cap(60.0))
        resp = conn.getresponse()
        ctype = (resp.getheader("Content-Type") or "").lower()
        return Response(resp.status, resp.read(MAX_RESPONSE), ctype)
    except (OSError, http.client.HTTPException) as exc:
        raise HTTPFailure(str(exc) or type(exc).__name__) from None
    finally:
        conn.close()
