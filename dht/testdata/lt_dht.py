#!/usr/bin/python3
"""libtorrent (python3-libtorrent) DHT node driven by Braid's dht tests.

lt_dht.py --listen 127.0.0.1:0 --bootstrap HOST:PORT [--announce HEX] [--get-peers HEX]

Joins the DHT through --bootstrap only. --announce adds a torrent by info hash (no metadata) so
libtorrent announces itself for it; --get-peers looks the hash up every second. stdout carries one
JSON object per line: {"type":"ready","port":P} once listening,
{"type":"peers","info_hash":HEX,"peers":["ip:port",...]} for each get_peers result, and
{"type":"announced","info_hash":HEX,"peers":["ip:port"]} for each announce_peer it accepted.
DHT alerts go to stderr so a failing test can show them. Runs until killed.
"""
import argparse
import json
import sys
import tempfile
import time

import libtorrent as lt


def emit(**kw):
    print(json.dumps(kw), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--announce")
    p.add_argument("--get-peers")
    a = p.parse_args()

    settings = {
        "listen_interfaces": a.listen,
        "enable_dht": True,
        "dht_bootstrap_nodes": a.bootstrap,
        "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        # Every node of the test shares 127.0.0.1. By default libtorrent keeps
        # one node per /24 in a routing-table bucket and in a lookup; the few
        # nodes here pass without these two, larger loopback swarms need them.
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        # libtorrent bans for dht_block_timeout (5 min) an IP sending more than
        # 5 packets a second (averaged over 10 s); here every node is that IP.
        "dht_block_ratelimit": 10000,
        "alert_mask": lt.alert.category_t.dht_notification | lt.alert.category_t.dht_operation_notification
        | lt.alert.category_t.error_notification,
    }
    ses = lt.session(settings)
    h = None
    if a.announce:
        atp = lt.add_torrent_params()
        atp.info_hashes = lt.info_hash_t(lt.sha1_hash(bytes.fromhex(a.announce)))
        atp.save_path = tempfile.mkdtemp(prefix="lt-dht-")
        atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
        h = ses.add_torrent(atp)
    emit(type="ready", port=ses.listen_port())

    last = 0.0
    while True:
        for al in ses.pop_alerts():
            if isinstance(al, lt.dht_get_peers_reply_alert):
                emit(type="peers", info_hash=str(al.info_hash), peers=[f"{ip}:{port}" for ip, port in al.peers()])
            elif isinstance(al, lt.dht_announce_alert):
                emit(type="announced", info_hash=str(al.info_hash), peers=[f"{al.ip}:{al.port}"])
            else:
                print(f"lt: {al.what()}: {al.message()}", file=sys.stderr, flush=True)
        now = time.time()
        if now - last >= 1:
            last = now
            if h is not None:
                h.force_dht_announce()
            if a.get_peers:
                ses.dht_get_peers(lt.sha1_hash(bytes.fromhex(a.get_peers)))
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
