#!/usr/bin/python3
"""libtorrent (python3-libtorrent) peer driven by Braid's interop tests.

lt_peer.py seed|leech TORRENT SAVE_DIR --listen HOST:PORT [--peer HOST:PORT]...
           [--upload-limit BYTES_PER_S] [--download-limit BYTES_PER_S] [--keep-seeding] [--recheck]
           [--dht-bootstrap HOST:PORT[,HOST:PORT]...] [--lsd]

seed:  trusts the data in SAVE_DIR (seed_mode) unless --recheck, then runs until killed.
leech: downloads into SAVE_DIR and exits 0 once complete (or keeps seeding with --keep-seeding).
       TORRENT may be a magnet URI: the metadata then comes from peers (BEP 9).

--dht-bootstrap turns the DHT on (off otherwise), joining through those nodes only, with the
checks that keep loopback nodes out of libtorrent's routing table and lookups relaxed; the
torrent is announced on the DHT every few seconds. --lsd turns local service discovery
(BEP 14) on: only inside a network namespace of the test's own.

stdout carries one JSON object per line: {"type":"ready"} once the torrent is added and the
listener is up (seeders: once seeding), {"type":"progress",...} twice a second (upload_only_peers: peers libtorrent flags upload_only, BEP 21;
peer_pieces: the pieces each connected peer, by address, has shown),
{"type":"complete","seconds":S} when a leecher has every piece. Errors reported by libtorrent
(tracker, peer, file) go to stderr so a failing test can show them.
"""
import argparse
import json
import sys
import time

import libtorrent as lt


def emit(**kw):
    print(json.dumps(kw), flush=True)


def parse_addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["seed", "leech"])
    p.add_argument("torrent")
    p.add_argument("dir")
    p.add_argument("--listen", required=True)
    p.add_argument("--peer", action="append", default=[])
    p.add_argument("--upload-limit", type=int, default=0)
    p.add_argument("--download-limit", type=int, default=0)
    p.add_argument("--dht-bootstrap", default="")
    p.add_argument("--keep-seeding", action="store_true")
    p.add_argument("--lsd", action="store_true")
    p.add_argument("--recheck", action="store_true")
    p.add_argument("--encryption", choices=["enabled", "forced"], default="enabled",
                   help="forced: RC4-encrypted connections only, both ways (MSE)")
    p.add_argument("--transport", choices=["tcp", "utp", "both"], default="tcp",
                   help="utp: uTP only, both ways (no TCP connections); both: TCP and uTP (libtorrent's default)")
    a = p.parse_args()

    mask = (lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
            | lt.alert.category_t.tracker_notification | lt.alert.category_t.peer_notification
            | lt.alert.category_t.connect_notification)
    settings = {
        "listen_interfaces": a.listen, "enable_dht": False, "enable_lsd": False,
        "enable_upnp": False, "enable_natpmp": False, "enable_outgoing_utp": False,
        "enable_incoming_utp": False, "allow_multiple_connections_per_ip": True,
        "announce_to_all_trackers": True, "announce_to_all_tiers": True,
        "min_announce_interval": 2, "alert_mask": mask,
    }
    if a.lsd:
        settings["enable_lsd"] = True
    if a.transport == "both":
        settings.update({"enable_outgoing_utp": True, "enable_incoming_utp": True})
    if a.transport == "utp":
        settings.update({
            "enable_outgoing_utp": True, "enable_incoming_utp": True,
            "enable_outgoing_tcp": False, "enable_incoming_tcp": False,
        })
    if a.encryption == "forced":
        settings.update({
            "out_enc_policy": int(lt.enc_policy.forced), "in_enc_policy": int(lt.enc_policy.forced),
            "allowed_enc_level": int(lt.enc_level.rc4), "prefer_rc4": True,
        })
    if a.upload_limit:
        settings["upload_rate_limit"] = a.upload_limit
    if a.download_limit:
        settings["download_rate_limit"] = a.download_limit
    if a.dht_bootstrap:
        # Every node of a test shares 127.0.0.1: by default libtorrent keeps one node per IP
        # in its routing table and lookups, and ignores "dark" (loopback) addresses.
        settings.update({
            "enable_dht": True, "dht_bootstrap_nodes": a.dht_bootstrap,
            "dht_restrict_routing_ips": False, "dht_restrict_search_ips": False,
            "dht_ignore_dark_internet": False, "dht_prefer_verified_node_ids": False,
            "dht_enforce_node_id": False, "dht_announce_interval": 5,
        })
    ses = lt.session(settings)
    if a.upload_limit or a.download_limit:
        # Loopback peers fall in libtorrent's local peer class, which ignores the global
        # rate limits: put every address in the global class so the limit applies.
        f = lt.ip_filter()
        f.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(f)

    if a.torrent.startswith("magnet:"):
        if a.mode == "seed":
            print("lt_peer.py: a seeder needs a .torrent, not a magnet", file=sys.stderr)
            return 2
        atp = lt.parse_magnet_uri(a.torrent)
    else:
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(a.torrent)
    atp.save_path = a.dir
    if a.mode == "seed" and not a.recheck:
        atp.flags |= lt.torrent_flags.seed_mode
    atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    h = ses.add_torrent(atp)
    peers = [parse_addr(x) for x in a.peer]

    t0 = time.time()
    ready = False
    complete = False
    last_dial = 0.0
    last_progress = 0.0
    last_dht = 0.0
    while True:
        for al in ses.pop_alerts():
            if al.category() & lt.alert.category_t.error_notification or al.what() in (
                    "hash_failed", "peer_ban", "peer_disconnected", "peer_connect", "peer_error", "peer_blocked"):
                print(f"lt: {al.what()}: {al.message()}", file=sys.stderr, flush=True)
        now = time.time()
        st = h.status()
        if not ready and (a.mode == "leech" or st.is_seeding):
            ready = True
            emit(type="ready", port=ses.listen_port())
        if peers and now - last_dial >= 2:
            last_dial = now
            for pe in peers:
                h.connect_peer(pe)
        if a.dht_bootstrap and now - last_dht >= 3:
            last_dht = now
            h.force_dht_announce()
        if now - last_progress >= 0.5:
            last_progress = now
            extra = {}
            if a.dht_bootstrap:
                extra["dht_nodes"] = ses.status().dht_nodes
            infos = h.get_peer_info()
            upload_only = sum(1 for pi in infos if pi.flags & lt.peer_info.upload_only)
            # What each peer has shown us (its bitfield and haves so far).
            peer_pieces = {f"{pi.ip[0]}:{pi.ip[1]}": sum(1 for b in pi.pieces if b) for pi in infos}
            emit(type="progress", state=str(st.state), progress=st.progress, have=st.total_wanted_done,
                 peers=st.num_peers, upload_only_peers=upload_only, uploaded=st.all_time_upload, downloaded=st.all_time_download,
                 has_metadata=st.has_metadata, peer_pieces=peer_pieces, **extra)
        if a.mode == "leech" and not complete and st.is_seeding:
            complete = True
            emit(type="complete", seconds=round(now - t0, 3))
            if not a.keep_seeding:
                # Pausing flushes and closes the files before the process exits.
                h.pause()
                end = time.time() + 10
                while time.time() < end and not h.status().paused:
                    time.sleep(0.05)
                return 0
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
