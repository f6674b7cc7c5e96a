"""The benchmark's report: Markdown tables, the targets and kept notes."""
import os
import statistics

import stracesum
from common import LABEL, MiB, human
from daemon import LIST_FIELDS


def fmt_spread(t, digits=2):
    med, lo, hi = t
    if lo == hi:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def interference(b, scenario):
    """How many cores other work used, on average, during a scenario's
    runs (the machine's busy time minus the measured processes')."""
    cores = [max(r["other_cpu"], 0) / r["seconds"] for r in b.results
             if r["scenario"] == scenario and r["ok"] and "other_cpu" in r and r["seconds"] > 0]
    if not cores:
        return []
    return ["", f"Other work on the machine during these runs: median {statistics.median(cores):.2f} of "
                f"{os.cpu_count()} cores, max {max(cores):.2f}."]


def overfetch(b, scenario):
    """Braid's downloaded bytes beyond the file (duplicate or discarded
    blocks), from the "fetched" count in its completion line."""
    extra = [r["fetched"] / b.size - 1 for r in b.results
             if r["scenario"] == scenario and r["client"] == "braid" and r["ok"] and r.get("fetched")]
    if not extra:
        return []
    return ["", f"Braid fetched {100 * statistics.median(extra):.1f}% more than the file "
                f"(median; max {100 * max(extra):.1f}%): duplicate or discarded blocks."]


def straced(b, *keys):
    """The `strace -f -c` summaries (BENCH_STRACE=1) of a scenario's extra
    Braid runs: (key, what was traced) pairs."""
    out = []
    for key, what in keys:
        if key in b.straces:
            out += ["", stracesum.line(what, b.straces[key])]
    return out


SECTION_SCENARIO = {"1": "download", "2": "download", "3": "swarm", "4": "verify", "5": "scale", "6": "browser",
                    "7": "smallfiles", "8": "crowd", "9": "pair", "10": "daemon"}


def tables(b, summ):
    """The result tables of the scenarios this run measured."""
    chosen = set(b.a.scenarios.split(","))
    sections = []
    for line in all_tables(b, summ):
        if line.startswith("### "):
            key = line[4:].split(".")[0]
            # The v2 rows sit in the download and verify tables.
            keep = SECTION_SCENARIO.get(key) in chosen or ("v2" in chosen and key in ("1", "4"))
            sections.append((keep, [line]))
        elif sections:
            sections[-1][1].append(line)
    out = []
    for keep, lines in sections:
        if keep:
            while lines and not lines[-1]:
                lines.pop()
            out += ([""] if out else []) + lines
    return out


def all_tables(b, summ):
    gib = b.size / (1 << 30)
    lines = []
    n = os.cpu_count()
    label = dict(LABEL, **{"sha1-1": "SHA-1 limit, 1 core", f"sha1-{n}": f"SHA-1 limit, {n} cores",
                           "braid-v2": "Braid, v2", "libtorrent-v2": "libtorrent, v2",
                           "sha256-1": "SHA-256 limit (v2), 1 core", f"sha256-{n}": f"SHA-256 limit (v2), {n} cores"})

    def get(sc, c, piece):
        return summ.get((sc, c, piece))

    lines += ["### 1. Download from one libtorrent seeder", "",
              "| leecher | piece | ok | wall s | MB/s | CPU s | CPU s/GiB | peak RSS MiB | seeder CPU s |",
              "|---|---|---|---|---|---|---|---|---|"]
    for piece in (MiB, 256 << 10):
        for c in b.leechers:
            s = get("download", c, piece)
            if not s:
                continue
            if not s["ok"]:
                lines.append(f"| {LABEL[c]} | {human(piece)} | 0/{s['runs']} | failed | | | | | |")
                continue
            lines.append(f"| {LABEL[c]} | {human(piece)} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | "
                         f"{fmt_spread(s['mbps'], 0)} | {fmt_spread(s['cpu'])} | {s['cpu'][0] / gib:.2f} | "
                         f"{fmt_spread(s['rss_mib'], 0)} | {s['seeder_cpu'][0]:.2f} |")
    for c in ("braid", "libtorrent"):
        s = get("download-v2", c, MiB)
        if not s:
            continue
        if not s["ok"]:
            lines.append(f"| {LABEL[c]} | 1 MiB, v2 | 0/{s['runs']} | failed | | | | | |")
            continue
        lines.append(f"| {LABEL[c]} | 1 MiB, v2 | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | "
                     f"{fmt_spread(s['mbps'], 0)} | {fmt_spread(s['cpu'])} | {s['cpu'][0] / gib:.2f} | "
                     f"{fmt_spread(s['rss_mib'], 0)} | {s['seeder_cpu'][0]:.2f} |")
    if get("download-v2", "braid", MiB):
        lines += ["", "\"1 MiB, v2\": a v2-only (BEP 52) torrent of the same file, made by `braid create --protocol v2` "
                      "(the bytes libtorrent 2.0 makes), served by the same kind of libtorrent seeder."]
    lines += overfetch(b, "download") + interference(b, "download")
    lines += straced(b, ("download", "a Braid download, 1 MiB pieces"))
    lines += ["", "### 2. Upload to a libtorrent leecher", "",
              "| seeder | piece | ok | wall s | MB/s | seeder CPU s | seeder CPU s/GiB | seeder peak RSS MiB | leecher CPU s |",
              "|---|---|---|---|---|---|---|---|---|"]
    for piece in (MiB, 256 << 10):
        for c in ("braid", "libtorrent"):
            s = get("upload", c, piece)
            if not s:
                continue
            if not s["ok"]:
                lines.append(f"| {LABEL[c]} | {human(piece)} | 0/{s['runs']} | failed | | | | | |")
                continue
            lines.append(f"| {LABEL[c]} | {human(piece)} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | "
                         f"{fmt_spread(s['mbps'], 0)} | {fmt_spread(s['seeder_cpu'])} | "
                         f"{s['seeder_cpu'][0] / gib:.2f} | {s['seeder_rss_mib'][2]:.0f} | {s['leecher_cpu'][0]:.2f} |")
    lines += interference(b, "upload")
    lines += ["", "### 3. Twenty libtorrent seeders, one leecher (1 MiB pieces)", "",
              "| leecher | ok | wall s | MB/s | CPU s | peak RSS MiB | seeders' CPU s |", "|---|---|---|---|---|---|---|"]
    for c in ("braid", "libtorrent"):
        s = get("swarm", c, MiB)
        if not s:
            continue
        if not s["ok"]:
            lines.append(f"| {LABEL[c]} | 0/{s['runs']} | failed | | | | |")
            continue
        lines.append(f"| {LABEL[c]} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | {fmt_spread(s['mbps'], 0)} | "
                     f"{fmt_spread(s['cpu'])} | {fmt_spread(s['rss_mib'], 0)} | {s['seeder_cpu'][0]:.2f} |")
    lines += overfetch(b, "swarm") + interference(b, "swarm")
    lines += straced(b, ("swarm", "a Braid download from the twenty seeders"))
    lines += ["", "### 4. Resume verify of the complete download (1 MiB pieces, data in the page cache)", "",
              "| verifier | ok | seconds | MB/s | % of all-core limit | CPU s | peak RSS MiB |",
              "|---|---|---|---|---|---|---|"]
    n = os.cpu_count()
    for scenario, clients, algo in (("verify", ["braid", "libtorrent", "aria2", "anacrolix"], "sha1"),
                                    ("verify-v2", ["braid", "libtorrent"], "sha256")):
        lim = get(scenario, f"{algo}-{n}", MiB)
        for c in clients + [f"{algo}-1", f"{algo}-{n}"]:
            s, name = get(scenario, c, MiB), label[c] if scenario == "verify" else label.get(f"{c}-v2", label[c])
            if not s:
                continue
            if not s["ok"]:
                lines.append(f"| {name} | 0/{s['runs']} | failed | | | | |")
                continue
            is_lim = c.startswith(algo + "-")
            share = f"{100 * s['mbps'][0] / lim['mbps'][0]:.0f}%" if lim and lim["ok"] and not is_lim else "–"
            lines.append(f"| {name} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | {fmt_spread(s['mbps'], 0)} | "
                         f"{share} | {'–' if is_lim else fmt_spread(s['cpu'])} | "
                         f"{'–' if is_lim else fmt_spread(s['rss_mib'], 0)} |")
    if get("verify-v2", "braid", MiB):
        lines += ["", "\", v2\" rows: the same file as a v2-only torrent (1 MiB pieces, SHA-256 Merkle trees of "
                      "16 KiB blocks) against the SHA-256 limit; the others against the SHA-1 limit."]
    lines += interference(b, "verify")
    lines += ["", "### 5. Many idle torrents in one Braid client", ""]
    sc = b.scale
    if sc:
        leak_g = sc["goroutines_after_churn"] - sc["goroutines"]
        saved = f"{sc['saved_seconds']:.1f}" if "saved_seconds" in sc else "–"
        lines += ["| torrents | records written s | RSS MiB | peak RSS MiB | goroutines | heap MiB | idle CPU | churn | goroutines after | heap after MiB |",
                  "|---|---|---|---|---|---|---|---|---|---|",
                  f"| {sc['torrents']} × {human(sc['file_bytes'])} | {saved} | {sc['rss_mib']:.1f} | {sc['peak_rss_mib']:.1f} | "
                  f"{sc['goroutines']} | {sc['heap_mib']:.1f} | {sc['idle_cpu_percent']:.2f}% of a core over "
                  f"{sc['idle_seconds']:.0f} s | {sc['churn_cycles']} × {sc['churn_per_cycle']} removed and re-added | "
                  f"{sc['goroutines_after_churn']} ({leak_g:+d}) | {sc['heap_after_churn_mib']:.1f} "
                  f"({sc['heap_after_churn_mib'] - sc['heap_mib']:+.1f}) |"]
    else:
        lines.append("not measured (failed; see the log)")
    lines += ["", "### 6. In the browser (headless Chromium, WebRTC on loopback)", ""] + browser_table(b)
    lines += ["", "### 7. Many small files from one libtorrent seeder", ""] + smallfiles_table(b, summ)
    n = b.crowd["leechers"] if b.crowd else "many"
    lines += ["", f"### 8. One seeder, a crowd of {n} libtorrent leechers", ""] + crowd_table(b, summ)
    lines += ["", "### 9. Pairs: Braid → Braid and libtorrent → libtorrent (1 MiB pieces)", ""] + pair_table(b, summ)
    n = f"{b.daemon['shape']['seed'] + b.daemon['shape']['local'] + b.daemon['shape']['none']:,}" if b.daemon else "Many"
    lines += ["", f"### 10. {n} torrents in one daemon, over Transmission's RPC", ""] + daemon_table(b)
    return lines


def daemon_table(b):
    d = b.daemon
    rows = [(LABEL[k], d[k]) for k in ("braid", "transmission") if d and k in d]
    if not rows:
        return ["not measured (failed or not selected; see the log)"]
    sh = d["shape"]

    def ms(r, fmt):
        v = r.get(f"get_{fmt}_ms")
        return f"{v[0]:.1f} / {v[1]:.1f} ({r[f'get_{fmt}_kib']:.0f} KiB)" if v else "–"
    lines = [f"{sh['seed']:,} torrents seeding a small file each (16 to 128 KiB, 16 KiB pieces; {sh['bytes'] / MiB:.0f} MiB "
             f"for all the torrents), {sh['local']:,} downloading from a local libtorrent seeder and {sh['none']:,} from nobody, "
             "added by `torrent-add` with `metainfo`, one daemon at a time. RSS and idle CPU once every torrent has "
             f"settled and the seeder has gone, idle CPU over {d['idle_window']} s; `torrent-get` of the "
             f"{len(LIST_FIELDS)} list fields of every torrent, {d['calls']} calls, median / p95 ms; restart: "
             "SIGTERM until every torrent is back in its status (seeding ones seeding, files unchanged).", "",
             "| daemon | added s (torrent-add ms median / p95) | settled s | RSS MiB | peak RSS MiB | idle CPU | torrent-get table ms | "
             "torrent-get object ms | stop s | back s | restart s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    def f(r, k, fmt):
        return fmt.format(r[k]) if k in r else "–"
    failed = []
    for name, r in rows:
        add = f" ({r['add_ms'][0]:.0f} / {r['add_ms'][1]:.0f})" if "add_ms" in r else ""
        lines.append(f"| {name} | {f(r, 'add_s', '{:.1f}')}{add} | {f(r, 'settle_s', '{:.1f}')} | "
                     f"{f(r, 'rss_mib', '{:.0f}')} | {f(r, 'hwm_mib', '{:.0f}')} | {f(r, 'idle_cpu_percent', '{:.2f}%')} | "
                     f"{ms(r, 'table')} | {ms(r, 'object')} | {f(r, 'stop_s', '{:.1f}')} | {f(r, 'back_s', '{:.1f}')} | "
                     f"{f(r, 'restart_s', '{:.1f}')} |")
        if "failed" in r:
            failed += [f"{name} failed: {r['failed']}", ""]
    return lines + [""] + failed + ["transmission-daemon 3.00 speaks rpc-version 16, which has no table format."]


def crowd_table(b, summ):
    cr = b.crowd
    if not cr:
        return ["not measured (failed or not selected; see the log)"]
    lines = [f"One {human(cr['bytes'])} torrent ({cr['pieces']} pieces of {human(cr['piece'])}) served by one seeder "
             f"to {cr['leechers']} libtorrent leechers started together in one process (`bench/lt_crowd.py`), each "
             "given the seeder's and every other leecher's address, so they trade. Seconds from adding the torrent "
             "to every leecher; MB/s is all the leechers' bytes over the last completion; \"last ÷ first\" is "
             "the spread of completion times (1.00: all at once).", "",
             "| seeder | ok | last done s | first s | median s | last ÷ first | MB/s | seeder CPU s | "
             "seeder peak RSS MiB | leechers' CPU s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for c in ("braid", "libtorrent"):
        s = summ.get(("crowd", c, cr["piece"]))
        if not s:
            continue
        if not s["ok"]:
            lines.append(f"| {LABEL[c]} | 0/{s['runs']} | failed | | | | | | | |")
            continue
        lines.append(f"| {LABEL[c]} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | {fmt_spread(s['first_s'])} | "
                     f"{fmt_spread(s['median_s'])} | {fmt_spread(s['ratio'])} | {fmt_spread(s['mbps'], 0)} | "
                     f"{fmt_spread(s['seeder_cpu'])} | {fmt_spread(s['seeder_rss_mib'], 0)} | "
                     f"{fmt_spread(s['leecher_cpu'])} |")
    return lines + interference(b, "crowd") + straced(b, ("crowd-seeder", "the Braid seeder serving the crowd"))


def pair_table(b, summ):
    lines = ["| pair | ok | wall s | MB/s | seeder CPU s | seeder peak RSS MiB | leecher CPU s | leecher peak RSS MiB | "
             "speed ÷ libtorrent |", "|---|---|---|---|---|---|---|---|---|"]
    lt_s = summ.get(("pair", "libtorrent", MiB))
    for c in ("braid", "libtorrent"):
        s = summ.get(("pair", c, MiB))
        if not s:
            continue
        if not s["ok"]:
            lines.append(f"| {LABEL[c]} → {LABEL[c]} | 0/{s['runs']} | failed | | | | | | |")
            continue
        ratio = ""
        if c == "braid" and lt_s and lt_s["ok"]:
            ratio = f"{s['mbps'][0] / lt_s['mbps'][0]:.2f}×"
        lines.append(f"| {LABEL[c]} → {LABEL[c]} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | "
                     f"{fmt_spread(s['mbps'], 0)} | {fmt_spread(s['seeder_cpu'])} | {fmt_spread(s['seeder_rss_mib'], 0)} | "
                     f"{fmt_spread(s['cpu'])} | {fmt_spread(s['rss_mib'], 0)} | {ratio} |")
    if len(lines) == 2:
        return ["not measured (failed or not selected; see the log)"]
    return lines + overfetch(b, "pair") + interference(b, "pair") + straced(
        b, ("pair-seeder", "the Braid seeder"), ("pair", "the Braid leecher"))


def smallfiles_table(b, summ):
    sm = b.small
    if not sm or "pieces" not in sm:
        return ["not measured (failed or not selected; see the log)"]
    lines = [f"{sm['files']:,} files of 1 B to 48 KiB in nested folders, {sm['bytes'] / MiB:.1f} MiB, made by "
             f"libtorrent as a v1 torrent: {sm['pieces']} pieces of {human(sm['piece_length'])}, most spanning "
             "several files.", "",
             "| leecher | ok | wall s | MB/s | CPU s | peak RSS MiB | seeder CPU s | Braid's speed ÷ this |",
             "|---|---|---|---|---|---|---|---|"]
    br_s = summ.get(("smallfiles", "braid", 0))
    for c in ("braid", "libtorrent", "aria2"):
        s = summ.get(("smallfiles", c, 0))
        if not s:
            continue
        if not s["ok"]:
            lines.append(f"| {LABEL[c]} | 0/{s['runs']} | failed | | | | | |")
            continue
        ratio = ""
        if c != "braid" and br_s and br_s["ok"]:
            ratio = f"{br_s['mbps'][0] / s['mbps'][0]:.2f}×"
        lines.append(f"| {LABEL[c]} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | {fmt_spread(s['mbps'], 0)} | "
                     f"{fmt_spread(s['cpu'])} | {fmt_spread(s['rss_mib'], 0)} | {s['seeder_cpu'][0]:.2f} | {ratio} |")
    return lines + interference(b, "smallfiles") + straced(b, ("smallfiles", "a Braid download"))


def browser_table(b):
    br = b.browser
    if not br:
        return ["not measured (failed or not selected; see the log)"]
    lines = [f"A {human(br['size'])} torrent of four files. Each run opens a fresh browser profile per client, which "
             "downloads one torrent per pair, timed in its page from adding the torrent until it holds every byte, "
             "then removes it.", "",
             "| leecher ← seeder | ok | seconds | MiB/s | Braid ÷ WebTorrent |", "|---|---|---|---|---|"]
    for pair in ("node", "browser"):
        bs, ws = br["summary"][f"braid:{pair}"], br["summary"][f"webtorrent:{pair}"]
        ratio = f"{bs['MiBps'][0] / ws['MiBps'][0]:.2f}×" if "MiBps" in bs and "MiBps" in ws else "–"
        for s, r in ((bs, ratio), (ws, "")):
            if "MiBps" not in s:
                lines.append(f"| {s['label']} | {s['ok']}/{s['runs']} | failed | | {r} |")
                continue
            lines.append(f"| {s['label']} | {s['ok']}/{s['runs']} | {fmt_spread(s['seconds'])} | "
                         f"{fmt_spread(s['MiBps'])} | {r} |")
    ws = br["summary"].get("braid:ws")  # no WebTorrent row: it has no WebSocket peers
    if ws:
        cells = (f"{fmt_spread(ws['seconds'])} | {fmt_spread(ws['MiBps'])}" if "MiBps" in ws else "failed | ")
        lines.append(f"| {ws['label']} | {ws['ok']}/{ws['runs']} | {cells} | – |")
    tasks = [(s["label"], s["longestTaskMs"]) for k, s in br["summary"].items()
             if k.startswith("braid:") and "longestTaskMs" in s]
    if tasks:
        lines += ["", "Longest main-thread task in Braid's leecher page while it downloads (Chromium's longtask "
                      "entries, which start at 50 ms): " + "; ".join(
                          f"{label} {ms:.0f} ms" if ms else f"{label} none over 50 ms" for label, ms in tasks) + "."]
    ceil = br.get("ceiling", {})
    if ceil:
        parts = [f"{c['label']} → Chromium {fmt_spread(c['rows'][0]['MiBps'])} MiB/s"
                 for c in (ceil.get("node"), ceil.get("node-wt"), ceil.get("browser")) if c]
        lines += ["", f"The bare data channel, with no BitTorrent on either side (`bench/rtc-ceiling.mjs`, "
                      f"16 KiB messages, the same size and runs): {'; '.join(parts)}. "
                      "Browser clients run below this line; framed like WebTorrent, the sender sends each block "
                      "as WebTorrent's seeder does (its header and its data as two messages, at most 64 KiB "
                      "buffered) and the page answers each with a request-sized message: the most a leecher "
                      "doing no BitTorrent work gets from that seeder."]
    w = br["wasm"]
    v = br.get("versions", {})
    lines += ["", f"web/braid.wasm: {w['raw'] / MiB:.2f} MiB raw, {w['gzip'] / MiB:.2f} MiB gzipped (gzip -9). "
                  f"Braid {v.get('braid', {}).get('release', '?')}, WebTorrent {v.get('webtorrent', '?')} "
                  "(its browser bundle; the Node seeder is the same version)."]
    return lines


def targets(b, summ):
    """The issue's targets as ratios measured in this run."""
    lines = ["| target | measured | met |", "|---|---|---|"]
    gib = b.size / (1 << 30)

    def med(sc, c, piece, f):
        s = summ.get((sc, c, piece))
        return s[f][0] if s and s["ok"] and f in s else None

    br = med("download", "braid", MiB, "mbps")
    anchors = {c: med("download", c, MiB, "mbps") for c in b.leechers if c != "braid"}
    anchors = {c: v for c, v in anchors.items() if v}
    if br and anchors:
        best = max(anchors, key=anchors.get)
        r = br / anchors[best]
        lines.append(f"| download ≥ fastest anchor (aim 1.5×), 1 MiB pieces | {r:.2f}× {LABEL[best]} "
                     f"({br:.0f} vs {anchors[best]:.0f} MB/s) | {'yes' if r >= 1 else 'no'} |")
    bc, lc = med("download", "braid", MiB, "cpu"), med("download", "libtorrent", MiB, "cpu")
    if bc is not None and lc:
        lines.append(f"| CPU s/GiB ≤ libtorrent's | {bc / gib:.2f} vs {lc / gib:.2f} | {'yes' if bc <= lc else 'no'} |")
    rss = summ.get(("download", "braid", MiB))
    if rss and rss["ok"]:
        peak = max(rss["rss_mib"][2], summ.get(("download", "braid", 256 << 10), rss)["rss_mib"][2])
        lines.append(f"| peak RSS downloading ≤ 64 MiB | {peak:.0f} MiB at {human(b.size)} | {'yes' if peak <= 64 else 'no'} |")
    bv, av = med("verify", "braid", MiB, "mbps"), med("verify", "aria2", MiB, "mbps")
    lim = med("verify", f"sha1-{os.cpu_count()}", MiB, "mbps")
    if bv and av:
        extra = f", {100 * bv / lim:.0f}% of the all-core SHA-1 limit" if lim else ""
        lines.append(f"| verify ≥ 2× aria2 | {bv / av:.2f}× ({bv:.0f} vs {av:.0f} MB/s{extra}) | {'yes' if bv >= 2 * av else 'no'} |")
    lines += v2_targets(b, summ, med)
    lines += daemon_targets(b)
    sc = b.scale
    if sc:
        lines.append(f"| {sc['torrents']} idle torrents ≤ 200 MiB RSS, < 2% of a core | {sc['rss_mib']:.0f} MiB, "
                     f"{sc['idle_cpu_percent']:.1f}% | {'yes' if sc['rss_mib'] <= 200 and sc['idle_cpu_percent'] < 2 else 'no'} |")
        leak = sc["goroutines_after_churn"] > sc["goroutines"] or sc["heap_after_churn_mib"] > 1.25 * sc["heap_mib"] + 1
        lines.append(f"| churn leaks nothing | goroutines {sc['goroutines']} → {sc['goroutines_after_churn']}, heap "
                     f"{sc['heap_mib']:.1f} → {sc['heap_after_churn_mib']:.1f} MiB | {'no' if leak else 'yes'} |")
    br = b.browser
    if br:
        bs, ws = br["summary"]["braid:node"], br["summary"]["webtorrent:node"]
        if "MiBps" in bs and "MiBps" in ws:
            r = bs["MiBps"][0] / ws["MiBps"][0]
            c = br.get("ceiling", {})
            bare = [f"{what} {c[k]['rows'][0]['MiBps'][0]:.1f}" for k, what in
                    (("node", "bare channel from the seeder's stack"), ("node-wt", "framed like its seeder")) if c.get(k)]
            bare = "; " + ", ".join(bare) if bare else ""
            lines.append(f"| browser ≥ 1.5× WebTorrent from the same seeder | {r:.2f}× ({bs['MiBps'][0]:.1f} vs "
                         f"{ws['MiBps'][0]:.1f} MiB/s at {human(br['size'])}{bare}) | {'yes' if r >= 1.5 else 'no'} |")
        bb, wb = br["summary"]["braid:browser"], br["summary"]["webtorrent:browser"]
        if "MiBps" in bb and "MiBps" in wb:
            r = bb["MiBps"][0] / wb["MiBps"][0]
            lines.append(f"| browser → browser ≥ 1.5× WebTorrent → WebTorrent | {r:.2f}× ({bb['MiBps'][0]:.1f} vs "
                         f"{wb['MiBps'][0]:.1f} MiB/s) | {'yes' if r >= 1.5 else 'no'} |")
            c = br.get("ceiling", {}).get("browser")
            if c:
                cm = c["rows"][0]["MiBps"][0]
                lines.append(f"| browser → browser ≥ 60% of the bare data channel | {100 * bb['MiBps'][0] / cm:.0f}% "
                             f"({bb['MiBps'][0]:.1f} of {cm:.1f} MiB/s) | {'yes' if bb['MiBps'][0] >= 0.6 * cm else 'no'} |")
        nw = br["summary"].get("braid:ws", {})
        if "MiBps" in nw:
            lines.append(f"| native → browser over WebSocket ≥ 20 MiB/s | {nw['MiBps'][0]:.1f} MiB/s | "
                         f"{'yes' if nw['MiBps'][0] >= 20 else 'no'} |")
        lt = [s["longestTaskMs"] for k, s in br["summary"].items() if k.startswith("braid:") and "longestTaskMs" in s]
        if lt:
            lines.append(f"| longest main-thread task ≤ 50 ms | {max(lt):.0f} ms | {'yes' if max(lt) <= 50 else 'no'} |")
        gz = br["wasm"]["gzip"] / MiB
        lines.append(f"| wasm ≤ 3 MiB gzipped | {gz:.2f} MiB | {'yes' if gz <= 3 else 'no'} |")
    bs = med("smallfiles", "braid", 0, "mbps")
    for c, want in (("libtorrent", 1.2), ("aria2", 1.0)):
        o = med("smallfiles", c, 0, "mbps")
        if bs and o:
            lines.append(f"| many small files ≥ {want:.1f}× {LABEL[c]} | {bs / o:.2f}× ({bs:.0f} vs {o:.0f} MB/s) | "
                         f"{'yes' if bs >= want * o else 'no'} |")
    bp, lp = med("pair", "braid", MiB, "mbps"), med("pair", "libtorrent", MiB, "mbps")
    if bp and lp:
        bsc, lsc = med("pair", "braid", MiB, "seeder_cpu"), med("pair", "libtorrent", MiB, "seeder_cpu")
        lines.append(f"| pair: Braid → Braid ≥ 2× libtorrent → libtorrent | {bp / lp:.2f}× ({bp:.0f} vs {lp:.0f} MB/s; "
                     f"seeder CPU {bsc:.2f} vs {lsc:.2f} s) | {'yes' if bp >= 2 * lp else 'no'} |")
    cr = b.crowd
    if cr:
        bl, ll = med("crowd", "braid", cr["piece"], "seconds"), med("crowd", "libtorrent", cr["piece"], "seconds")
        if bl and ll:
            lines.append(f"| crowd of {cr['leechers']}: last completion ≤ libtorrent seeder's | {bl:.2f} vs {ll:.2f} s "
                         f"at {human(cr['bytes'])} | {'yes' if bl <= ll else 'no'} |")
        bsc, lsc = med("crowd", "braid", cr["piece"], "seeder_cpu"), med("crowd", "libtorrent", cr["piece"], "seeder_cpu")
        if bsc is not None and lsc:
            lines.append(f"| crowd: seeder CPU ≤ half of libtorrent's | {bsc:.2f} vs {lsc:.2f} s ({bsc / lsc:.2f}×) | "
                         f"{'yes' if bsc <= lsc / 2 else 'no'} |")
    if gib < 1:
        lines.append("")
        lines.append(f"(Measured at {human(b.size)}, not the 1 GiB the targets name.)")
    return lines


def daemon_targets(b):
    """Issue 15's targets for the daemon scenario."""
    dm = (b.daemon or {}).get("braid")
    if not dm:
        return []
    n = f"{dm['torrents']:,}"
    tr = b.daemon.get("transmission", {})

    def vs(k, f):
        return f" (Transmission {f.format(tr[k])})" if k in tr else ""
    lines = []
    if "rss_mib" in dm:
        lines += [f"| daemon, {n} torrents: RSS ≤ 256 MiB | {dm['rss_mib']:.0f} MiB{vs('rss_mib', '{:.0f} MiB')} | "
                  f"{'yes' if dm['rss_mib'] <= 256 else 'no'} |",
                  f"| daemon idle CPU < 2% of a core | {dm['idle_cpu_percent']:.2f}%{vs('idle_cpu_percent', '{:.2f}%')} | "
                  f"{'yes' if dm['idle_cpu_percent'] < 2 else 'no'} |"]
    if "get_object_ms" in dm:
        trget = f", Transmission {tr['get_object_ms'][0]:.1f} ms" if "get_object_ms" in tr else ""
        lines.append(f"| daemon torrent-get of the list (table) median ≤ 50 ms | {dm['get_table_ms'][0]:.1f} ms "
                     f"(p95 {dm['get_table_ms'][1]:.1f}; object format {dm['get_object_ms'][0]:.1f} ms{trget}) | "
                     f"{'yes' if dm['get_table_ms'][0] <= 50 else 'no'} |")
    if "restart_s" in dm:
        lines.append(f"| daemon restart until all are back ≤ 10 s | {dm['restart_s']:.1f} s{vs('restart_s', '{:.1f} s')} | "
                     f"{'yes' if dm['restart_s'] <= 10 else 'no'} |")
    elif "stop_s" in dm:
        lines.append(f"| daemon restart until all are back ≤ 10 s | not all came back (stop alone {dm['stop_s']:.1f} s) | no |")
    return lines


def v2_targets(b, summ, med):
    """Issue 16's targets for the v2 rows."""
    lines = []
    bd, ld = med("download-v2", "braid", MiB, "mbps"), med("download-v2", "libtorrent", MiB, "mbps")
    if bd and ld:
        lines.append(f"| v2 download ≥ libtorrent's speed | {bd / ld:.2f}× ({bd:.0f} vs {ld:.0f} MB/s) | "
                     f"{'yes' if bd >= ld else 'no'} |")
    s = summ.get(("download-v2", "braid", MiB))
    if s and s["ok"]:
        rss = s["rss_mib"][2]
        lines.append(f"| v2 download peak RSS ≤ 64 MiB | {rss:.0f} MiB at {human(b.size)} | {'yes' if rss <= 64 else 'no'} |")
    bv, lv = med("verify-v2", "braid", MiB, "mbps"), med("verify-v2", "libtorrent", MiB, "mbps")
    lim = med("verify-v2", f"sha256-{os.cpu_count()}", MiB, "mbps")
    if bv and lv:
        lines.append(f"| v2 re-verify ≥ 2× libtorrent | {bv / lv:.2f}× ({bv:.0f} vs {lv:.0f} MB/s) | "
                     f"{'yes' if bv >= 2 * lv else 'no'} |")
    if bv and lim:
        lines.append(f"| v2 re-verify ≥ 80% of the all-core SHA-256 limit | {100 * bv / lim:.0f}% ({bv:.0f} of "
                     f"{lim:.0f} MB/s) | {'yes' if bv >= 0.8 * lim else 'no'} |")
    return lines


def report(b, summ, m, started, took):
    tl = tables(b, summ)
    tg = targets(b, summ)
    size_env = "" if b.size == 1 << 30 else f"BENCH_SIZE={b.a.size} "
    runs_env = "" if b.runs == 3 else f"BENCH_RUNS={b.runs} "
    md = [
        "# Braid performance", "",
        f"Measured by `{size_env}{runs_env}make bench`{' (smoke run)' if b.smoke else ''} on "
        f"{started:%Y-%m-%d %H:%M} UTC, taking {took / 60:.0f} min: a {human(b.size)} random file, "
        f"{b.runs} run{'s' if b.runs > 1 else ''} per row, interleaved (one run of every client, then the next); "
        "cells show the median and, in brackets, the min–max spread.",
        "", "![chart](performance.svg)", "",
        "## Machine", "",
        f"- {m['nproc']} cores, {m['cpu']}, {m['mem_gib']} GiB RAM, Linux {m['kernel']}",
        f"- load average at start: {m['load_start']}; at end: {m['load']}; 1-minute load seen after runs: "
        f"{min(r['load1'] for r in b.results):.2f}–{max(r['load1'] for r in b.results):.2f} "
        "(the benchmark's own seeder and leecher make about 1–2; more means other work shared the cores "
        "and shows as spread)" if b.results else "",
        f"- Braid {m['commit']}, {m['go']}; libtorrent {m['libtorrent']} (python3-libtorrent); {m['aria2']}; "
        f"{m['transmission']}; anacrolix/torrent {m['anacrolix']}", "",
        "## Results", "", *tl, "",
        "## Targets from the performance issue", "", *tg, "",
        "## Method", "",
        "- Everything runs on 127.0.0.1 with DHT, local discovery, PEX, UPnP/NAT-PMP and uTP off; no trackers: "
        "leechers are given the seeder's address, and the seeder dials aria2 and Transmission (aria2 cannot "
        "dial a given peer; Transmission ignores loopback peers it learns of).",
        "- Seeders are libtorrent with `high_performance_seed` settings in seed mode (no hashing), one "
        "process for a whole table; the data is in the page cache.",
        "- Wall seconds run from starting the leecher process until it exits with the file complete "
        "(process start-up and shutdown included; Transmission is stopped by its `--finish` hook). "
        "MB/s is 10^6 bytes per second. CPU seconds (user+system) and peak RSS come from the leecher's "
        "`wait4` rusage, so they include its child processes; seeder CPU is read from `/proc`. "
        "Every download is compared byte for byte with the original.",
        "- Before each run the benchmark waits (at most `BENCH_QUIET_WAIT` s) for a second in which other "
        "work keeps less than a quarter of a core busy; under each table, \"other work\" is the machine's "
        "busy CPU time (`/proc/stat`) minus the measured processes', per second of run: on a shared "
        "machine it says how far to trust a row.",
        "- Upload: `braid seed` verifies the data first (not timed), then a libtorrent leecher downloads "
        "from it; the libtorrent seeder row uses the same leecher. Seeder peak RSS includes Braid's verify.",
        "- Verify: a complete copy of the data with no resume data; Braid is timed from start to its "
        "`{\"type\":\"resume\"}` line (`braid seed --json`), libtorrent from start to the end of "
        "`force_recheck`, aria2 (`--check-integrity=true --seed-time=0`) and anacrolix (`--verify`) to exit. "
        "The SHA-1 limit is `bench/sha1limit`: Go's crypto/sha1 over the file piece by piece on 1 and on all cores. "
        "The v2 rows verify the same file as a v2-only torrent (`braid create --protocol v2`, 1 MiB pieces): "
        "Braid to its resume line, libtorrent's `force_recheck`; their limit is `bench/sha1limit -algo sha256`: "
        "crypto/sha256 of every 16 KiB block and each piece's Merkle tree up to its root, on 1 and on all cores.",
        "- Scale: `bench/scale` drives the Braid API in one process (the interactive loop cannot turn the "
        "DHT off): small single-file torrents seeding with no peers; RSS from `/proc/self/status`, CPU from "
        "`getrusage` over the idle window, which starts once every torrent seeds and has written its resume "
        "record (\"records written s\": from the first add until then); goroutines and heap in use after a forced GC.",
        "- Browser: `bench/browser.mjs`, in a network namespace holding only loopback "
        "(`scripts/netns.sh`), through the browser tests' harness (`web/e2e/lib`): Braid's WebSocket tracker "
        "signals WebRTC; the Node seeder is WebTorrent with 256 KiB pieces; in the browser pairs WebTorrent "
        "seeds with the piece length Braid's `seed()` chose. Each leecher runs in a fresh Chromium profile "
        "(Braid stores in IndexedDB, WebTorrent in memory), checked byte for byte after timing. "
        "`BENCH_BROWSER_SIZE` sets its size (default: `BENCH_SIZE` up to 64 MiB; 2 MiB in a smoke run). "
        "`bench/rtc-ceiling.mjs` then sends as many bytes over a bare data channel (a sender loop with "
        "back-pressure on `bufferedAmount`, a page that only counts bytes) from Node's `@roamhq/wrtc`, from "
        "Node framed like WebTorrent's seeder (`--like webtorrent`), and from a second Chromium.",
        "- Many small files: `bench/smallfiles` writes the same tree every time (`-seed 1`), `lt.py create "
        "--v1-only` makes the torrent with libtorrent's default piece size, one libtorrent seeder serves it "
        "to Braid and to a libtorrent leecher, and each download is compared with the tree by `diff -r`.",
        "- Crowd: its own random file (`BENCH_CROWD_SIZE`, default 256 MiB; 16 MiB in a smoke run) and "
        "`BENCH_CROWD_LEECHERS` (default 30; 6) libtorrent sessions in one Python process (`bench/lt_crowd.py`: "
        "default settings but two disk threads each, every session on its own 127.0.0.1 port), which dial each "
        "other once and the seeder every 2 s until complete. The Braid and libtorrent seeders both run "
        "throughout, on the same data and torrent, and take turns serving the crowd; the seeder's CPU is its "
        "`/proc` time during the run, its peak RSS the run's `VmHWM` (reset through `/proc/PID/clear_refs` "
        "before each run); every leecher's file is compared with the original.",
        "- Pairs: the benchmark's file and 1 MiB torrent; a `braid seed` (verified first, not timed) serving "
        "`braid download`, and the libtorrent seeder serving a libtorrent leecher, taking turns; leecher "
        "figures as in the download table, seeder figures as in the crowd.",
        "- Daemon: `bench/daemonload` writes the torrents (the same bytes every time); `bench/daemon.py` starts "
        "`braid daemon` (DHT, LSD, uTP, port mapping and WebRTC off, peers on 127.0.0.1), then "
        "transmission-daemon (the same settings in its settings.json), each with the download queue off "
        "(`session-set`), and drives both over Transmission's RPC on one keep-alive connection. "
        "The local seeder is libtorrent (`lt.py seed` of the folder of torrents) dialling the daemon. "
        "RSS and peak RSS are `VmRSS` and `VmHWM` from `/proc/PID/status`; idle CPU is the daemon's "
        "user+system time from `/proc/PID/stat` over the window; a restart is SIGTERM, a clean exit, the same "
        "command again, and `torrent-get` polled every 0.2 s; the seeding files' sizes, modification times "
        "and bytes are compared after each daemon. `BENCH_DAEMON_TORRENTS` sets the count (default 2,000; "
        "50 in a smoke run).",
        "- `BENCH_STRACE=1` adds, after the timed runs of the download (1 MiB pieces), swarm, small-files, crowd "
        "and pair scenarios, one more Braid run under `strace -f -c` (a leecher started under it; a running "
        "seeder attached to, thread by thread, for that run), not timed; the table notes list its calls.",
        "", "## Reproduce", "",
        "```sh",
        "make bench                                  # 1 GiB, 3 runs: writes docs/PERFORMANCE.md and docs/performance.svg",
        "BENCH_SIZE=256MiB BENCH_RUNS=5 make bench   # other sizes (16MiB, 256MiB, 1GiB) and run counts",
        "BENCH_SIZE=16MiB BENCH_RUNS=1 bash bench/run.sh --smoke   # what `make test` runs; output in a temp dir",
        "```", "",
        "`bench/run.sh` installs the Debian packages (python3-libtorrent, aria2, transmission-cli, "
        "mktorrent) with `scripts/install-test-deps.sh` and builds anacrolix/torrent's `cmd/torrent` "
        "v1.59.1 in a scratch module outside this repository (cached under `~/.cache/braid-bench`).", "",
    ]
    return tl, "\n".join(md)


NOTES_MARK = "<!-- Notes below this line are written by hand; make bench keeps them. -->"


def kept_notes(path):
    """The hand-written part of an existing report (from NOTES_MARK on)."""
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        return ""
    i = old.find(NOTES_MARK)
    return "\n" + old[i:] if i >= 0 else ""
