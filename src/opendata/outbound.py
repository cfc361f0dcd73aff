"""Every request the platform makes to an address it was given (an agency API, a published link): one home.

Two parsers that disagree about a URL (``http://127.0.0.1\\@example.org/`` is example.org to
``urllib.parse`` and 127.0.0.1 to urllib3) let a check pass one host while the connection goes to
another. So nothing here decides from the URL's text: the connection itself, at the moment it opens,
resolves the host it is about to use, vets every address against the rule, and connects to the vetted
address (no second lookup for DNS to change). The rule is either "public addresses only" (links on the
portal) or "this one origin only" (an agency's API, whose token must never go anywhere else).

A :class:`Deadline` bounds a whole exchange, however slowly the other side answers: when it passes,
every socket the exchange opened is shut, which ends a read that a byte a second would keep alive.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import weakref
from dataclasses import dataclass, field

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError, NewConnectionError
from urllib3.util import parse_url

DEFAULT_PORTS = {"http": 80, "https": 443}


class RefusedAddress(Exception):
    """The rule forbids where the connection was about to go (raised before a byte is sent)."""


@dataclass(frozen=True)
class Destination:
    """Where a URL leads, read by the same parser the connection uses (urllib3's)."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Destination:
        """The destination of ``url``; :class:`RefusedAddress` for one that is not a usable http(s) URL."""
        try:
            parts = parse_url(url.strip())
        except (LocationParseError, ValueError) as exc:
            raise RefusedAddress(f"not a valid address ({type(exc).__name__})") from None
        scheme = (parts.scheme or "").lower()
        if scheme not in DEFAULT_PORTS or not parts.host:
            raise RefusedAddress("not an http(s) address")
        return cls(scheme, parts.host.strip("[]").lower(), parts.port or DEFAULT_PORTS[scheme])

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


@dataclass(frozen=True)
class AddressRule:
    """Where connections may go. ``only``: this origin and nothing else (addresses private or not, the
    agency's API may live on the city's network). Otherwise public addresses only, unless
    ``allow_private`` or the host is one of ``allowed_hosts`` (the portal's own)."""

    only: Destination | None = None
    allow_private: bool = False
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)

    def vet(self, scheme: str, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host``:``port``, resolved once; RefusedAddress if any of them
        may not be used (a name that resolves to a public and a private address is refused)."""
        host = host.strip("[]").lower()
        if self.only is not None and (scheme, host, port) != (self.only.scheme, self.only.host, self.only.port):
            raise RefusedAddress(f"another host ({host}:{port}) than the connection's own ({self.only})")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise RefusedAddress(f"the name {host!r} does not resolve ({type(exc).__name__})") from None
        addresses = [info[4][0] for info in infos]
        if self.only is None and not self.allow_private and host not in self.allowed_hosts:
            for address in addresses:
                ip = ipaddress.ip_address(address.split("%")[0])
                if not ip.is_global or ip.is_multicast:
                    raise RefusedAddress(f"a private or internal address ({ip})")
        return list(dict.fromkeys(addresses))


class Deadline:
    """One bound for a whole exchange (all its connections, redirects and pages): when it passes, the
    sockets it saw are shut and reading from them ends at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._sockets: weakref.WeakSet = weakref.WeakSet()
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _shut(sock)
            self._sockets.add(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in list(self._sockets):
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _connection_class(base: type[HTTPConnection], scheme: str, rule: AddressRule, deadline: Deadline | None):
    class Guarded(base):  # type: ignore[misc, valid-type]
        def _new_conn(self) -> socket.socket:
            addresses = rule.vet(scheme, self._dns_host, self.port)
            timeout = self.timeout if isinstance(self.timeout, int | float) else None
            if deadline is not None:
                if deadline.expired:
                    raise RefusedAddress(f"the deadline of {deadline.seconds:g} s has passed")
                timeout = min(timeout or deadline.left(), deadline.left()) or 0.001
            failure: OSError | None = None
            for address in addresses:  # the vetted addresses only, in the resolver's order
                try:
                    sock = socket.create_connection((address, self.port), timeout, source_address=self.source_address)
                except OSError as exc:
                    failure = exc
                    continue
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if deadline is not None:
                    deadline.watch(sock)
                return sock
            raise NewConnectionError(self, f"Failed to establish a new connection: {failure}")

    return Guarded


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, rule: AddressRule, deadline: Deadline | None, **kw) -> None:
        self._rule, self._deadline = rule, deadline
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw) -> None:
        super().init_poolmanager(*args, **kw)
        pools = {}
        for scheme, pool, conn in (("http", HTTPConnectionPool, HTTPConnection), ("https", HTTPSConnectionPool, HTTPSConnection)):
            pools[scheme] = type(f"Guarded{pool.__name__}", (pool,),
                                 {"ConnectionCls": _connection_class(conn, scheme, self._rule, self._deadline)})
        self.poolmanager.pool_classes_by_scheme = pools


def guarded_session(rule: AddressRule, deadline: Deadline | None = None, retries=0,
                    user_agent: str = "opendata/0.1") -> requests.Session:
    """A requests session that can only reach what ``rule`` allows, within ``deadline``; no proxy, no
    .netrc credentials from the worker's environment."""
    session = requests.Session()
    adapter = _GuardedAdapter(rule, deadline, max_retries=retries)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    session.trust_env = False
    return session
