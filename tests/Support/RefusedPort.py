class RefusedPort:
    """Loopback targets nothing listens on, for calls whose connection must be refused.

    Ports below 1024, which ``bind(("127.0.0.1", 0))`` never hands out: a port that was
    free a moment ago could meanwhile be taken by a server of a test running beside this
    one (pytest-xdist), and the call meant to be refused would be answered.
    """

    @staticmethod
    def target(number: int = 1) -> str:
        if not 1 <= number < 1024:
            raise ValueError(f"a refused port is a privileged one, 1 to 1023, got {number}")
        return f"127.0.0.1:{number}"
