"""What the benchmark's runner (bench.py) and its report (report.py) share."""

import socket

MiB = 1 << 20
LEECHERS = ["braid", "libtorrent", "aria2", "transmission", "anacrolix"]
LABEL = {"braid": "Braid", "libtorrent": "libtorrent", "aria2": "aria2",
         "transmission": "Transmission", "anacrolix": "anacrolix/torrent"}


def human(n):
    for unit, mul in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", 1 << 10)):
        if n >= mul and n % mul == 0:
            return f"{n // mul} {unit}"
    return f"{n} B"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
