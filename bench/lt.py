#!/usr/bin/python3
"""libtorrent (python3-libtorrent) peer for Braid's benchmark.

lt.py seed    TORRENT|FOLDER DIR --listen HOST:PORT [--dial-file F]
lt.py leech   TORRENT DIR --listen HOST:PORT [--peer HOST:PORT]...
lt.py recheck TORRENT DIR --listen HOST:PORT
lt.py create  TORRENT DIR [--v1-only]

seed:    trusts the data (seed_mode), libtorrent's high_performance_seed
         settings; given a FOLDER, seeds every .torrent file in it; prints
         {"type":"ready"} once all seed, then runs until killed. Every address listed in the dial file (one HOST:PORT a line;
         the benchmark rewrites it per run) is dialled every 0.5 s, because
         Transmission and aria2 are reached only when the seeder dials them.
leech:   downloads, prints {"type":"complete","seconds":S}, pauses (which
         flushes and closes the files) and exits 0.
recheck: adds the torrent over complete data with no resume data, forces a
         full recheck, prints {"type":"checked","seconds":S,"pieces":N} once
         every piece is verified, and exits 0 (1 if pieces are missing).

create:  makes a torrent of the tree DIR (named after it) with libtorrent's
         default piece size; --v1-only leaves out the v2 hashes and the
         padding files that align each file to a piece, so pieces span files.

Everything is loopback only: no DHT, LSD, UPnP, NAT-PMP or uTP.
"""
import argparse
import json
import os
import sys
import time

import libtorrent as lt


def emit(**kw):
    print(json.dumps(kw), flush=True)


def addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def session(listen, seed, extra=None):
    s = lt.high_performance_seed() if seed else lt.default_settings()
    s.update(extra or {})
    s.update({
        "listen_interfaces": listen, "enable_dht": False, "enable_lsd": False,
        "enable_upnp": False, "enable_natpmp": False, "enable_outgoing_utp": False,
        "enable_incoming_utp": False, "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification,
    })
    return lt.session(s)


def add(ses, torrent, d, flags_on=0, flags_off=0):
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(torrent)
    atp.save_path = d
    atp.flags |= flags_on
    atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused | flags_off)
    return ses.add_torrent(atp)


def errors(ses):
    for al in ses.pop_alerts():
        print(f"lt: {al.what()}: {al.message()}", file=sys.stderr, flush=True)


def seed(a):
    if os.path.isdir(a.torrent):  # a folder of .torrent files: seed them all
        paths = sorted(os.path.join(a.torrent, f) for f in os.listdir(a.torrent) if f.endswith(".torrent"))
        # A daemon busy adding or checking refuses some handshakes: keep
        # dialling it (by default a peer is dropped after 3 failures and
        # retried after 60 s).
        ses = session(a.listen, True, {"max_failcount": 1000, "min_reconnect_time": 1})
    else:
        paths = [a.torrent]
        ses = session(a.listen, True)
    hs = [add(ses, t, a.dir, lt.torrent_flags.seed_mode) for t in paths]
    ready = False
    last_dial = 0.0
    while True:
        errors(ses)
        if not ready and all(h.status().is_seeding for h in hs):
            ready = True
            emit(type="ready", port=ses.listen_port(), torrents=len(hs))
        now = time.time()
        if a.dial_file and now - last_dial >= 0.5:
            last_dial = now
            try:
                with open(a.dial_file) as f:
                    peers = [addr(x.strip()) for x in f if x.strip()]
            except OSError:
                peers = []
            for pe in peers:
                for h in hs:
                    h.connect_peer(pe)
        time.sleep(0.05)


def leech(a):
    t0 = time.time()
    ses = session(a.listen, False)
    h = add(ses, a.torrent, a.dir)
    peers = [addr(x) for x in a.peer]
    last_dial = 0.0
    while True:
        errors(ses)
        now = time.time()
        if now - last_dial >= 2:
            last_dial = now
            for pe in peers:
                h.connect_peer(pe)
        if h.status().is_seeding:
            emit(type="complete", seconds=round(time.time() - t0, 3))
            h.pause()
            end = time.time() + 10
            while time.time() < end and not h.status().paused:
                time.sleep(0.02)
            return 0
        time.sleep(0.02)


def recheck(a):
    t0 = time.time()
    ses = session(a.listen, False)
    h = add(ses, a.torrent, a.dir)
    h.force_recheck()
    n = h.torrent_file().num_pieces()
    checking = (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data,
                lt.torrent_status.queued_for_checking)
    seen_check = False
    deadline = time.time() + 600
    while time.time() < deadline:
        errors(ses)
        st = h.status()
        if st.state in checking:
            seen_check = True
        elif st.num_pieces == n:
            emit(type="checked", seconds=round(time.time() - t0, 3), pieces=st.num_pieces)
            return 0
        elif seen_check:
            emit(type="checked", seconds=round(time.time() - t0, 3), pieces=st.num_pieces)
            return 1
        time.sleep(0.01)
    return 1


def create(a):
    fs = lt.file_storage()
    lt.add_files(fs, a.dir)
    ct = lt.create_torrent(fs, 0, lt.create_torrent.v1_only if a.v1_only else 0)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(a.dir)))
    with open(a.torrent, "wb") as f:
        f.write(lt.bencode(ct.generate()))
    emit(type="created", files=fs.num_files(), pieces=ct.num_pieces(), piece_length=ct.piece_length())
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["seed", "leech", "recheck", "create"])
    p.add_argument("torrent")
    p.add_argument("dir")
    p.add_argument("--listen")
    p.add_argument("--v1-only", action="store_true")
    p.add_argument("--peer", action="append", default=[])
    p.add_argument("--dial-file")
    a = p.parse_args()
    if a.mode == "create":
        return create(a)
    if not a.listen:
        p.error("--listen is required")
    os.makedirs(a.dir, exist_ok=True)
    return {"seed": seed, "leech": leech, "recheck": recheck}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
