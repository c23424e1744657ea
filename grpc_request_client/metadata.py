"""Metadata: checked pairs, the ids sent on every call, size limits, and redaction of secrets."""

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from difflib import get_close_matches
from functools import lru_cache
from types import MappingProxyType
from typing import cast

from grpc_request_client.context import NO_CONTEXT, RequestContextData, TraceId
from grpc_request_client.errors import (
    InvalidGrpcClientSettings,
    InvalidGrpcMetadata,
)
from grpc_request_client.request import MetadataValue, RequestMetadata
from grpc_request_client.security import BearerToken

REDACTED = "[redacted]"
_WORD = re.compile(r"[a-z0-9]+")
# Credentials by themselves, matched as whole words: short enough to be parts of ordinary
# words (``pass`` in ``passenger``, ``otp`` in ``footprint``, ``sig`` in ``signal``).
_WORDS = frozenset(
    {
        *("pass", "pin", "otp", "totp", "hotp", "mfa"),
        *("sig", "sid", "cred", "creds", "dsn", "sas", "connstr"),
    }
)
# Fragments that name a credential wherever they appear in a word, so run-together names
# (``xauthtoken``, ``sessionid``, ``dbpassword``) are caught as well as separated ones.
# ``auth`` spares ``author`` and ``authority`` (the ``:authority`` of a call is a host name)
# but not ``authorization``.
_FRAGMENTS = re.compile(
    r"token|secret|passw|passphrase|passcode|credential|cookie|session|jwt|bearer|saml"
    r"|csrf|xsrf|signature|hmac|pwd|sessid|presigned|auth(?!or(?!i[sz]))"
)
# Nouns that are credentials when the word before names what they open: connection
# strings and database URLs carry passwords, signed URLs grant access, one-time codes log in.
_QUALIFIED = {
    "string": frozenset({"connection", "conn"}),
    "url": frozenset({"database", "db", "jdbc", "redis", "mongodb", "postgres", "amqp", "signed"}),
    "uri": frozenset({"database", "db", "jdbc", "redis", "mongodb", "postgres", "amqp", "signed"}),
    "code": frozenset({"2fa", "access", "recovery", "verification", "reset", "security"}),
}
# A word that is, or ends in, ``key`` is a key: hidden unless what qualifies it (the word
# before, or the start of a run-together word) names one that is never a credential.
_SECRET_KEY_WORD = re.compile(r"(?P<qualifier>[a-z0-9]*?)keys?")
_ORDINARY_KEYS = frozenset(
    {
        *("idempotency", "dedup", "deduplication", "cache", "partition", "routing"),
        *("sort", "shard", "primary", "foreign", "public", "object"),
    }
)


class SensitiveMetadata:
    """The one rule deciding which values may be shown, by the name they are stored under.

    Applied to metadata keys (logs, ``GrpcMetadata``'s repr), channel option names
    (``GrpcClientSettings``' repr) and message field names (``RecordedCall``'s repr).
    A name is split into words on anything but ``a-z`` and ``0-9`` after lowercasing
    (``x-api-key`` is ``x``, ``api``, ``key``), and is sensitive when a word

    - contains a credential fragment: ``token``, ``secret``, ``passw`` (password,
      passwd), ``passphrase``, ``passcode``, ``credential``, ``cookie``, ``session``,
      ``jwt``, ``bearer``, ``saml``, ``csrf``, ``xsrf``, ``signature``, ``hmac``,
      ``pwd``, or ``auth`` (authorization, x-auth, oauth; not author or authority);
    - is a short credential word: ``pass``, ``pin``, ``otp``, ``totp``,
      ``hotp``, ``mfa``, ``sig``, ``sid``, ``cred``, ``creds``, ``dsn``, ``sas``,
      ``connstr`` (or contains ``sessid``, as ``phpsessid``, or ``presigned``);
    - is a noun the word before makes a credential: a ``connection string``, a
      database, ``jdbc``, ``redis``... or ``signed`` ``url``/``uri``, an access,
      recovery, verification, reset, security or ``2fa`` ``code``;
    - is or ends in ``key``/``keys`` (``x-api-key``, ``apikey``, ``accesskey``,
      ``x-private-key``), unless the word before it, or its own start, is one of
      ``idempotency``, ``dedup``, ``deduplication``, ``cache``, ``partition``,
      ``routing``, ``sort``, ``shard``, ``primary``, ``foreign``, ``public``,
      ``object``: keys that never open anything.

    It errs towards hiding, because a hidden debug value costs a minute and a leaked
    token an incident: ``x-authenticated-userid`` or ``monkey`` are hidden too. Drawn
    from sentry-python's ``DEFAULT_DENYLIST`` (``sentry_sdk/scrubber.py``, itself from
    Sentry Relay: password, passwd, secret, api_key, auth, credentials, mysql_pwd,
    private_key, token, session, csrf/xsrf, cookie, authorization, connect.sid),
    detect-secrets' keyword list (``detect_secrets/plugins/keyword.py``: pass, pwd,
    privkey, client_key, account_key...) and the OWASP Logging Cheat Sheet's "data to
    exclude" (session ids, access tokens, passwords, connection strings, keys).
    """

    @staticmethod
    @lru_cache(maxsize=512)
    def is_sensitive(name: str) -> bool:
        """Whether values stored under ``name`` (any case) must not be shown."""
        words = _WORD.findall(name.lower())
        return any(
            SensitiveMetadata._names_a_credential(word, words[index - 1] if index else "")
            for index, word in enumerate(words)
        )

    @staticmethod
    def redact(pairs: Iterable[tuple[str, object]]) -> tuple[tuple[str, object], ...]:
        """The pairs with each sensitive key's value replaced by ``[redacted]``."""
        return tuple(
            (key, REDACTED if SensitiveMetadata.is_sensitive(key) else value)
            for key, value in pairs
        )

    @staticmethod
    def _names_a_credential(word: str, previous: str) -> bool:
        if word in _WORDS or _FRAGMENTS.search(word):
            return True
        if previous in _QUALIFIED.get(word, ()):
            return True
        key = _SECRET_KEY_WORD.fullmatch(word)
        return key is not None and (key["qualifier"] or previous) not in _ORDINARY_KEYS


MetadataPairs = tuple[tuple[str, MetadataValue], ...]
# What a request that keeps GrpcRequest's metadata() sends of its own: nothing.
NO_METADATA: Mapping[str, MetadataValue] = MappingProxyType({})


class GrpcMetadata(Mapping[str, MetadataValue]):
    """Read-only metadata that keeps every value of a repeated key.

    gRPC metadata is a list of pairs, not a dict: a server may send a key twice.
    ``metadata["k"]`` gives the first value, as ``grpc.aio.Metadata`` does;
    ``get_all("k")`` gives them all and ``pairs()`` the list as received. The
    repr shows every pair but a credential's value (``SensitiveMetadata``).
    Anything but ``(str, str | bytes)`` pairs raises ``InvalidGrpcMetadata``
    (a dict is refused: iterating one gives its keys, which would split into
    pairs of letters), never repeating a value, where credentials travel.
    """

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Iterable[tuple[str, MetadataValue]] = ()) -> None:
        self._pairs: MetadataPairs = _checked(pairs)

    def __getitem__(self, key: str) -> MetadataValue:
        for candidate, value in self._pairs:
            if candidate == key:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key for key, _ in self._pairs))

    def __len__(self) -> int:
        return len({key for key, _ in self._pairs})

    def get_all(self, key: str) -> tuple[MetadataValue, ...]:
        return tuple(value for candidate, value in self._pairs if candidate == key)

    def pairs(self) -> MetadataPairs:
        return self._pairs

    def __repr__(self) -> str:
        return f"GrpcMetadata({list(SensitiveMetadata.redact(self._pairs))!r})"


def _checked(pairs: object) -> MetadataPairs:
    if isinstance(pairs, Mapping | str | bytes) or not isinstance(pairs, Iterable):
        raise InvalidGrpcMetadata(
            f"<{type(pairs).__name__}>", "metadata must be (key, value) pairs, such as a list"
        )
    checked = tuple(pairs)
    for pair in checked:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise InvalidGrpcMetadata(
                f"<{type(pair).__name__}>", "each item must be a (key, value) pair"
            )
        key, value = pair
        if not isinstance(key, str) or not isinstance(value, str | bytes):
            raise InvalidGrpcMetadata(
                key if isinstance(key, str) else f"<{type(key).__name__}>",
                f"keys must be str and values str or bytes, got a {type(value).__name__} value",
            )
    return tuple((key, value) for key, value in checked)


# What grpc-core counts per header (hpack_constants.h kEntryOverhead; RFC 7541 section 4.1).
ENTRY_OVERHEAD = 32
# grpc-core's default limit on the headers of a request a server accepts
# (DEFAULT_MAX_HEADER_LIST_SIZE_SOFT_LIMIT in src/core/call/metadata_info.h): above it the
# server refuses at random, and always from the 16 KiB hard limit on.
GRPC_DEFAULT_LIMIT = 8 * 1024
# Left for the headers grpc adds itself (:path, :authority, user-agent, te, content-type,
# grpc-timeout, grpc-accept-encoding...): 470-560 bytes by the same count, measured with
# grpcio 1.85 for ordinary method paths and targets.
RESERVED_FOR_GRPC = 1024
MAX_METADATA_BYTES = GRPC_DEFAULT_LIMIT - RESERVED_FOR_GRPC
_AUTHORIZATION = "authorization"
_BEARER = "Bearer "


class MetadataSize:
    """Refuses metadata a server would refuse for its size, counting it as grpc-core does.

    A gRPC server's HPACK parser (``hpack_parser.cc``) adds up each header as
    the length of its key, plus the length of its value as sent (a ``-bin``
    value in base64), plus 32 bytes, and refuses the request above its limit
    (``grpc.max_metadata_size``, 8 KiB by default) with an error that names no
    key. The request's pairs, the ids the client adds and a fixed bearer token
    must fit in ``MAX_METADATA_BYTES`` (7168 bytes): grpc's default less 1 KiB
    for grpc's own headers. A server configured for more is still held to the
    default. ``OutgoingMetadata`` adds a call's pairs up by this count, on every
    call, and raises ``too_big`` when they do not fit.
    """

    @staticmethod
    def of_bearer_token(token: BearerToken | None) -> int:
        """The bytes of ``authorization: Bearer <token>`` for a fixed token; 0 for a provider.

        A provider's token is only known on grpc's threads as the call is sent, so
        it is not counted.
        """
        if token is None or not isinstance(token.source, str):
            return 0
        return len(_AUTHORIZATION) + len(_BEARER) + len(token.source) + ENTRY_OVERHEAD

    @staticmethod
    def of(key: str, value: MetadataValue) -> int:
        """The bytes grpc-core counts for one pair."""
        sent = len(value) if isinstance(value, str) else MetadataSize.base64_length(value)
        return len(key) + sent + ENTRY_OVERHEAD

    @staticmethod
    def too_big(pairs: MetadataPairs, total: int, credentials: int) -> InvalidGrpcMetadata:
        """The error for ``pairs`` of ``total`` bytes, ``credentials`` of them a bearer token's."""
        key, value = max(pairs, key=lambda pair: MetadataSize.of(*pair))
        token = f" ({credentials} of them the bearer token's)" if credentials else ""
        return InvalidGrpcMetadata(
            key,
            f"the call's metadata would be {total} bytes{token}, over the "
            f"{MAX_METADATA_BYTES} bytes a grpc server takes by default, and this key is the "
            f"largest at {MetadataSize.of(key, value)} bytes (a pair counts its key, its value, "
            f"base64 under -bin, and {ENTRY_OVERHEAD}; the ids the client adds count too)",
        )

    @staticmethod
    def base64_length(value: bytes) -> int:
        """The length of ``value`` in base64, as grpc sends a ``-bin`` value."""
        return (len(value) + 2) // 3 * 4


TRACE_ID_KEY = "x-trace-id"
USER_ID_KEY = "user-id"
CORRELATION_ID_KEY = "correlation-id"
REQUEST_ID_KEY = "request-id"
_ID_KEYS = frozenset({TRACE_ID_KEY, USER_ID_KEY, CORRELATION_ID_KEY, REQUEST_ID_KEY})
# The names ``sent_ids`` takes, in the order the ids are sent.
_ID_NAMES = ("trace_id", "user_id", "correlation_id", "request_id")
_NO_IDS = "none"
_NOTHING_SENT: tuple[MetadataPairs, str, str, str] = ((), "", "", "")


class SentIds:
    """Which ids a client sends as metadata on every call: its ``sent_ids`` option.

    - ``trace_id`` as ``x-trace-id``, ``user_id`` as ``user-id`` and
      ``correlation_id`` as ``correlation-id``: the current ``RequestContext``'s,
      each sent when the context has one. The client never makes them up: a
      service's server interceptors open a context for each request with the
      ids that arrived (fresh ones for a caller that sent none), and a job or a
      script opens its own with ``RequestContext.scope()``.
    - ``request_id`` as ``request-id``: made for each call (a UUID4 in hex) and
      sent unchanged on every retry of it, so a server that reads it can tell a
      retry from a new call.

    The default is the context's three, without a request id: the ids that came
    with the request being served keep travelling, and a call made outside any
    context sends nothing the caller did not ask for, as a grpcio stub does.
    The names are given as a collection (a list, tuple or set; ``()`` sends no
    id) and kept in the order above; the environment gives them separated by
    commas, ``none`` for no id. A request that sets one of these keys itself
    sends its own value whatever is chosen here.
    """

    NAMES = _ID_NAMES
    DEFAULT = ("trace_id", "user_id", "correlation_id")

    __slots__ = ("_correlation", "_request", "_trace", "_user")

    def __init__(self, names: Iterable[str] = DEFAULT) -> None:
        """``names``: checked already (``parse``), as settings keep them."""
        chosen = frozenset(names)
        self._trace = "trace_id" in chosen
        self._user = "user_id" in chosen
        self._correlation = "correlation_id" in chosen
        self._request = "request_id" in chosen

    @staticmethod
    def parse(value: object, name: str) -> tuple[str, ...]:
        """The settings' check: a collection of names, kept in the order they are sent.

        Raises ``InvalidGrpcClientSettings`` for anything else (a single str
        among them: it would be read as its letters), naming the closest name.
        """
        if isinstance(value, str | bytes) or not isinstance(value, Collection):
            raise InvalidGrpcClientSettings(
                f"{name} must be a list, tuple or set of names among {list(_ID_NAMES)}, "
                f"got {value!r}"
            )
        for chosen in value:
            if chosen not in _ID_NAMES:
                close = get_close_matches(str(chosen), _ID_NAMES, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise InvalidGrpcClientSettings(
                    f"{name}: {chosen!r} is no id the client sends; the ids are "
                    f"{list(_ID_NAMES)}{hint}"
                )
        return tuple(known for known in _ID_NAMES if known in value)

    @staticmethod
    def read(raw: str) -> tuple[str, ...]:
        """Names separated by commas, from an environment variable; ``none`` for no id."""
        if raw.lower() == _NO_IDS:
            return ()
        return tuple(part.strip() for part in raw.split(","))

    def of(self, context: RequestContextData) -> tuple[MetadataPairs, str, str, str]:
        """The pairs a call made in ``context`` adds, then its trace, correlation and request ids.

        An id not sent is ``""``, so a log event names only what was sent.
        """
        if context is NO_CONTEXT and not self._request:  # a call outside any context
            return _NOTHING_SENT
        pairs: list[tuple[str, MetadataValue]] = []
        trace_id = context.trace_id if self._trace else None
        if trace_id is not None:
            pairs.append((TRACE_ID_KEY, trace_id))
        if self._user and context.user_id is not None:
            pairs.append((USER_ID_KEY, context.user_id))
        correlation_id = context.correlation_id if self._correlation else None
        if correlation_id is not None:
            pairs.append((CORRELATION_ID_KEY, correlation_id))
        request_id = TraceId.generate() if self._request else ""
        if request_id:
            pairs.append((REQUEST_ID_KEY, request_id))
        return tuple(pairs), trace_id or "", correlation_id or "", request_id


_DEFAULT_IDS = SentIds()
_METADATA_KEY = re.compile(r"[0-9a-z_.\-]+")
_KNOWN_GOOD_KEYS_LIMIT = 1024
_OWNED = "gRPC sets this HTTP/2 header itself; grpc-core drops or replaces the value"
_FORBIDDEN = "a connection-specific header HTTP/2 forbids (RFC 9113, 8.2.2); proxies refuse it"
# gRPC's own request headers (PROTOCOL-HTTP2.md) and HTTP/2's forbidden ones.
_HTTP_HEADERS = {
    "te": _OWNED,
    "content-type": _OWNED,
    "content-length": _OWNED,
    "user-agent": _OWNED + " (set the client's user_agent= option instead)",
    "host": _OWNED,
    "connection": _FORBIDDEN,
    "transfer-encoding": _FORBIDDEN,
    "upgrade": _FORBIDDEN,
    "keep-alive": _FORBIDDEN,
    "proxy-connection": _FORBIDDEN,
}


class OutgoingMetadata:
    """Turns a request's metadata into what goes on the wire, refusing what gRPC would.

    grpc-core rejects or silently drops bad keys and values, and the failure then
    shows up far from its cause; checking here names the key before anything is
    sent. Valid keys are remembered (they are nearly always the same handful) so
    the check costs a set lookup on the hot path.

    The ids go after the request's own pairs: those the client's ``SentIds``
    chooses (by default the context's ``x-trace-id``, ``user-id`` and
    ``correlation-id``, when it has them). A request that sets one of these keys
    itself keeps its own value, and the ids returned are the ones sent. What is
    sent must fit in what a server takes by default (``MetadataSize`` counts as
    grpc-core does).

    The request id, when chosen, names one logical call: a UUID4 in hex, made
    once per call before its first attempt and sent unchanged on every retry of
    it. It identifies the call the caller made, not each trip over the wire, so
    a server that sees the same request id twice knows it is a retry (and can
    answer it from what it did the first time).
    """

    _known_good_keys: set[str] = set()

    @classmethod
    def build(
        cls,
        declared: RequestMetadata,
        context: RequestContextData,
        credentials: int = 0,
        ids: SentIds = _DEFAULT_IDS,
        owner: type[object] = object,
    ) -> tuple[MetadataPairs, str, str, str]:
        """The pairs to send, then the trace, correlation and request ids among them (``""``: none).

        ``declared`` is what the request's ``metadata()`` returned (an empty
        mapping for a request that keeps ``GrpcRequest``'s); anything but a
        mapping or ``(key, value)`` pairs, ``None`` included, raises
        ``InvalidGrpcMetadata`` naming ``owner`` (the request's class) and what
        it returned: a request's declared type says ``RequestMetadata``.

        ``credentials``: the bytes grpc's call credentials will add (``MetadataSize``);
        ``ids``: which ids the client sends.
        """
        added, trace_id, correlation_id, request_id = ids.of(context)
        if declared is NO_METADATA or (not declared and isinstance(declared, Mapping)):
            if added or credentials:  # nothing at all to send fits
                cls._fit(added, credentials)
            return added, trace_id, correlation_id, request_id
        pairs, own = cls._declared(declared, owner)
        if not own:
            pairs = (*pairs, *added)
            cls._fit(pairs, credentials)
            return pairs, trace_id, correlation_id, request_id
        pairs = (*pairs, *(pair for pair in added if pair[0] not in own))
        cls._fit(pairs, credentials)
        return (
            pairs,
            own.get(TRACE_ID_KEY, trace_id),
            own.get(CORRELATION_ID_KEY, correlation_id),
            own.get(REQUEST_ID_KEY, request_id),
        )

    @classmethod
    def rewritten(
        cls,
        declared: RequestMetadata,
        credentials: int = 0,
        sent: MetadataPairs = (),
        owner: type[object] = object,
    ) -> tuple[MetadataPairs, str, str, str]:
        """Pairs a ``GrpcCallStage`` sends instead, checked as a request's own, and their ids.

        Taken as a request's ``metadata()`` is (a mapping or ``(key, value)``
        pairs; a ``None`` value drops its key), and every key, value and the
        total size checked: ``InvalidGrpcMetadata`` names the first bad key, or
        the largest one when the whole is too big. The trace, correlation and
        request ids returned are those among the pairs, ``""`` for one the
        stage dropped, so a log event names what was sent. ``sent`` are the
        pairs the stage was given, checked already: a stage that keeps some of
        them as they are (the same tuple objects) and adds a few has only those
        few checked again.
        """
        quick = cls._kept_and_added(declared, sent) if sent and type(declared) is tuple else None
        pairs, own = cls._declared(declared, owner) if quick is None else quick
        cls._fit(pairs, credentials)
        return (
            pairs,
            own.get(TRACE_ID_KEY, ""),
            own.get(CORRELATION_ID_KEY, ""),
            own.get(REQUEST_ID_KEY, ""),
        )

    @staticmethod
    def _fit(pairs: MetadataPairs, credentials: int) -> None:
        """Raise ``InvalidGrpcMetadata`` naming the largest key when ``pairs`` are too big.

        Counted as ``MetadataSize`` says, inline: every call pays for it.
        """
        total = credentials + ENTRY_OVERHEAD * len(pairs)
        for key, value in pairs:
            total += len(key) + (
                len(value) if isinstance(value, str) else MetadataSize.base64_length(value)
            )
        if total > MAX_METADATA_BYTES:
            raise MetadataSize.too_big(pairs, total, credentials)

    @classmethod
    def _kept_and_added(
        cls, declared: tuple[object, ...], sent: MetadataPairs
    ) -> tuple[MetadataPairs, dict[str, str]] | None:
        """A stage's tuple of pairs, those it kept from ``sent`` unchecked; ``None``: the long way.

        The long way is for anything but ``(key, value)`` tuples among the pairs
        added, and for a ``None`` value (which drops its key).
        """
        already = {id(pair) for pair in sent}
        added = [item for item in declared if id(item) not in already]
        if not all(type(item) is tuple for item in added):
            return None
        pairs, _ = cls._declared(added, object)  # type: ignore[arg-type]  # pairs: checked there
        if len(pairs) != len(added):
            return None
        checked = cast("MetadataPairs", declared)  # every pair: checked now, or kept
        own: dict[str, str] = {}
        for key, value in checked:
            if key in _ID_KEYS and isinstance(value, str):
                own.setdefault(key, value)
        return checked, own

    @classmethod
    def _declared(
        cls, declared: RequestMetadata, owner: type[object]
    ) -> tuple[MetadataPairs, dict[str, str]]:
        """The request's own pairs, checked, and the ids it set itself."""
        pairs: list[tuple[str, MetadataValue]] = []
        own: dict[str, str] = {}
        for key, value in cls._items(declared, owner):
            if value is None:
                continue
            cls._check(key, value)
            if key in _ID_KEYS and isinstance(value, str):
                own.setdefault(key, value)
            pairs.append((key, value))
        return tuple(pairs), own

    @staticmethod
    def _items(
        declared: RequestMetadata, owner: type[object]
    ) -> Iterable[tuple[str, MetadataValue | None]]:
        """The ``(key, value)`` items; ``InvalidGrpcMetadata`` naming ``owner`` for anything else.

        ``None`` is refused rather than read as "no metadata" (the declared type
        is ``RequestMetadata``; ``{}`` says none). A str or a list of two-letter
        strs would otherwise unpack into pairs of letters and be sent as
        metadata nobody wrote.
        """
        if isinstance(declared, Mapping):
            return declared.items()
        if isinstance(declared, str | bytes) or not isinstance(declared, Iterable):
            raise OutgoingMetadata._not_pairs(owner, f"returned {type(declared).__name__}")
        items = list(declared)
        for item in items:
            if not (isinstance(item, tuple | list) and len(item) == 2):
                raise OutgoingMetadata._not_pairs(
                    owner, f"returned an item that is a {type(item).__name__}"
                )
        return items

    @staticmethod
    def _not_pairs(owner: type[object], returned: str) -> InvalidGrpcMetadata:
        who = "metadata()" if owner is object else f"{owner.__qualname__}.metadata()"
        return InvalidGrpcMetadata(
            "",
            f"{who} must return a mapping or (key, value) pairs ({{}} for none), "
            f"but {returned}; nothing was sent",
        )

    @classmethod
    def _check(cls, key: str, value: MetadataValue) -> None:
        if type(key) is not str or key not in cls._known_good_keys:
            cls._check_key(key)
        if key.endswith("-bin"):
            if not isinstance(value, bytes):
                raise InvalidGrpcMetadata(key, "keys ending in -bin take bytes values")
        elif not isinstance(value, str):
            raise InvalidGrpcMetadata(
                key,
                f"values must be str (bytes only under -bin keys), got {type(value).__name__}",
            )
        elif not (value.isascii() and value.isprintable()):
            raise InvalidGrpcMetadata(
                key, "values must be printable ASCII; send other data under a key ending in -bin"
            )

    @classmethod
    def _check_key(cls, key: object) -> None:
        if not isinstance(key, str):
            raise InvalidGrpcMetadata(repr(key), f"keys must be str, got {type(key).__name__}")
        if not _METADATA_KEY.fullmatch(key):
            if _METADATA_KEY.fullmatch(key.lower()):
                raise InvalidGrpcMetadata(key, f"keys must be lowercase: use {key.lower()!r}")
            raise InvalidGrpcMetadata(key, "keys may only contain a-z, 0-9, '-', '_' and '.'")
        if key.startswith("grpc-"):
            raise InvalidGrpcMetadata(key, "the 'grpc-' prefix is reserved for gRPC itself")
        if key in _HTTP_HEADERS:
            raise InvalidGrpcMetadata(key, _HTTP_HEADERS[key])
        if len(cls._known_good_keys) < _KNOWN_GOOD_KEYS_LIMIT:
            cls._known_good_keys.add(key)
