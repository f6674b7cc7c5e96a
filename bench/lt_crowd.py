#!/usr/bin/python3
"""A crowd of libtorrent (python3-libtorrent) leechers in one process, for
Braid's benchmark (scenario 8).

lt_crowd.py TORRENT DIR --leechers N --seeder HOST:PORT

Starts N sessions, each listening on its own 127.0.0.1 port and storing in
DIR/N, prints {"type":"listening","ports":[...]}, adds the torrent to every
session at once and prints {"type":"started"}; every leecher is given the
seeder's address and every other leecher's, so they trade pieces among
themselves. Each completion prints {"type":"complete","leecher":I,
"seconds":S}, S from "started". Once all are complete it prints
{"type":"done","seconds":[...]}, pauses every torrent (which flushes and
closes the files) and exits 0.

Everything is loopback only: no DHT, LSD, UPnP, NAT-PMP or uTP.
"""
import argparse
import json
import os
import sys
import time

import libtorrent as lt

from lt import add, addr, emit, errors  # noqa: E402


def session():
    s = lt.default_settings()
    s.update({
        "listen_interfaces": "127.0.0.1:0", "enable_dht": False, "enable_lsd": False,
        "enable_upnp": False, "enable_natpmp": False, "enable_outgoing_utp": False,
        "enable_incoming_utp": False, "allow_multiple_connections_per_ip": True,
        # Thirty sessions share the machine's cores: a few disk threads each.
        "aio_threads": 2,
        "alert_mask": lt.alert.category_t.error_notification,
    })
    return lt.session(s)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("torrent")
    p.add_argument("dir")
    p.add_argument("--leechers", type=int, required=True)
    p.add_argument("--seeder", required=True)
    a = p.parse_args()
    if not 1 <= a.leechers <= 200:
        p.error("--leechers: 1..200")
    sessions = [session() for _ in range(a.leechers)]
    ports = [s.listen_port() for s in sessions]
    emit(type="listening", ports=ports)
    handles = []
    for i, s in enumerate(sessions):
        d = os.path.join(a.dir, str(i))
        os.makedirs(d, exist_ok=True)
        handles.append(add(s, a.torrent, d))
    t0 = time.time()
    emit(type="started")
    seeder = addr(a.seeder)
    for i, h in enumerate(handles):
        # Each pair of leechers is dialled from one side only; libtorrent
        # keeps the rest of what it learns in its peer list.
        for j in range(i + 1, len(handles)):
            h.connect_peer(("127.0.0.1", ports[j]))
    done = [None] * len(handles)
    last_dial = 0.0
    while None in done:
        for s in sessions:
            errors(s)
        now = time.time()
        if now - last_dial >= 2:
            last_dial = now
            for i, h in enumerate(handles):
                if done[i] is None:
                    h.connect_peer(seeder)
        for i, h in enumerate(handles):
            if done[i] is None and h.status().is_seeding:
                done[i] = round(time.time() - t0, 3)
                emit(type="complete", leecher=i, seconds=done[i])
        time.sleep(0.02)
    emit(type="done", seconds=done)
    for h in handles:
        h.pause()
    end = time.time() + 20
    while time.time() < end and not all(h.status().paused for h in handles):
        time.sleep(0.05)
    return 0


if __name__ == "__main__":
    sys.exit(main())
