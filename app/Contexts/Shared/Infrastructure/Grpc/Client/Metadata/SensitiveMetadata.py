import re
from collections.abc import Iterable
from functools import lru_cache

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
_KEY = re.compile(r"(?P<qualifier>[a-z0-9]*?)keys?")
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
        key = _KEY.fullmatch(word)
        return key is not None and (key["qualifier"] or previous) not in _ORDINARY_KEYS
