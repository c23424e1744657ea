import grpc

_NAMES = {
    "none": grpc.Compression.NoCompression,
    "gzip": grpc.Compression.Gzip,
    "deflate": grpc.Compression.Deflate,
}


class CompressionChoice:
    """Reads a compression given as a ``grpc.Compression`` or by name, for clients and requests."""

    @staticmethod
    def parse(value: object, error: type[Exception], what: str) -> grpc.Compression | None:
        if value is None or isinstance(value, grpc.Compression):
            return value
        if isinstance(value, str) and value.lower() in _NAMES:
            return _NAMES[value.lower()]
        raise error(f"{what} must be a grpc.Compression or one of {sorted(_NAMES)}, got {value!r}")
