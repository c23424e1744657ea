import contextlib
import os


class TcpConnections:
    """The established TCP connections this process holds towards a port, read from /proc.

    Each is named by its local port, so a test can tell "the client reused its
    connection" from "it opened another one", without looking inside grpc.
    """

    @staticmethod
    def to(port: int) -> frozenset[int]:
        inodes = set()
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(FileNotFoundError):
                inodes.add(os.readlink(f"/proc/self/fd/{fd}").removeprefix("socket:[").rstrip("]"))
        local_ports = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as rows:
                for row in list(rows)[1:]:
                    fields = row.split()
                    remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                    if remote_port == port and fields[3] == "01" and fields[9] in inodes:
                        local_ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        return frozenset(local_ports)
