"""Names credentials travel under, and ordinary names that must stay readable.

``SENSITIVE`` are metadata keys (and option or field names) whose values no log
line, repr or error message may show; ``SENDABLE`` those of them a call can send
(gRPC keys are lowercase). ``ORDINARY`` are names whose values stay visible,
some of them chosen to sit close to a credential word (``x-author``,
``x-passenger-count``, ``x-idempotency-key``) so an over-eager rule shows.
"""

SENSITIVE = (
    # authorization headers
    *("authorization", "Authorization", "proxy-authorization", "www-authenticate"),
    *("x-auth-token", "xauthtoken", "x-auth-token-bin", "oauth-state"),
    # API, access, private, secret and other keys
    *("x-api-key", "X-Api-Key", "api_key", "apikey", "x-apikey", "x-goog-api-key"),
    *("x-access-key", "access_key", "accesskey", "x-private-key", "private-key"),
    *("privatekey", "x-secret-key", "ocp-apim-subscription-key", "x-functions-key"),
    # secrets and passwords
    *("secret", "client-secret", "password", "passwd", "pwd", "x-pwd", "db-password"),
    *("mysql_pwd", "x-db-pass", "passphrase"),
    # tokens
    *("token", "access-token", "refresh_token", "id-token", "x-amz-security-token"),
    *("x-csrf-token", "x-xsrf-token", "x-jwt", "jwt", "bearer"),
    # cookies and sessions
    *("cookie", "set-cookie", "session", "session-id", "sessionid", "x-session-token"),
    "connect.sid",
    # credentials, signatures, one-time codes, connection strings
    *("credential", "credentials", "x-creds", "signature", "x-signature"),
    *("x-hub-signature-256", "x-hmac", "otp", "x-otp-code", "x-pin", "x-mfa-code"),
    "sentry-dsn",
)
SENDABLE = tuple(name for name in SENSITIVE if name == name.lower())
ORDINARY = (
    *("x-trace-id", "correlation-id", "request-id", "user-id", "x-content-language"),
    *("x-request-region", "accept-language", "x-user-agent-hint", "x-client-version"),
    *("x-consumer-custom-id", "x-api-version", "x-idempotency-key", "x-cache-key"),
    *("x-public-key", "x-author", "x-forwarded-authority", "x-passenger-count"),
    *("x-footprint", "x-signal-strength", "x-keepalive"),
)
