"""SVG bar chart of the benchmark (no plotting packages): one panel per
measure, one horizontal bar per client at its median, a whisker for the
min-max spread, Braid in its own colour."""
import os
from xml.sax.saxutils import escape

MiB = 1 << 20
W, LABEL_W, VALUE_W = 760, 190, 90
BAR_H, GAP, TITLE_H, PAD = 18, 6, 30, 14
BRAID, OTHER, LIMIT = "#e8590c", "#5c7cfa", "#adb5bd"
NAMES = {"braid": "Braid", "libtorrent": "libtorrent", "aria2": "aria2", "transmission": "Transmission",
         "anacrolix": "anacrolix/torrent", "braid:node": "Braid ← WebTorrent (Node)",
         "webtorrent:node": "WebTorrent ← WT (Node)", "braid:browser": "Braid → Braid",
         "webtorrent:browser": "WebTorrent → WebTorrent"}


def _name(c):
    if c.startswith("sha1-"):
        n = c.split("-", 1)[1]
        return f"SHA-1 limit, {n} core" + ("s" if n != "1" else "")
    return NAMES.get(c, c)


def panels(b, summ):
    gib = b.size / (1 << 30)
    out = []

    def bars(scenario, clients, piece, field, scale=1.0):
        rows = []
        for c in clients:
            s = summ.get((scenario, c, piece))
            if s and s["ok"] and field in s:
                med, lo, hi = (v / scale for v in s[field])
                rows.append((c, med, lo, hi))
        return rows

    leechers = b.leechers
    out.append(("Download from a libtorrent seeder, 1 MiB pieces — MB/s (higher is better)",
                bars("download", leechers, MiB, "mbps"), "{:.0f}"))
    out.append(("Download, 256 KiB pieces — MB/s (higher is better)",
                bars("download", leechers, 256 << 10, "mbps"), "{:.0f}"))
    out.append(("Leecher CPU seconds per GiB, 1 MiB pieces (lower is better)",
                bars("download", leechers, MiB, "cpu", gib), "{:.2f}"))
    out.append(("Leecher peak RSS MiB, 1 MiB pieces (lower is better)",
                bars("download", leechers, MiB, "rss_mib"), "{:.0f}"))
    out.append(("Upload to a libtorrent leecher, 1 MiB pieces — MB/s by seeder",
                bars("upload", ["braid", "libtorrent"], MiB, "mbps"), "{:.0f}"))
    out.append(("Twenty seeders to one leecher — MB/s",
                bars("swarm", ["braid", "libtorrent"], MiB, "mbps"), "{:.0f}"))
    n = os.cpu_count()
    out.append(("Resume verify of the complete data — MB/s",
                bars("verify", ["braid", "libtorrent", "aria2", "anacrolix", "sha1-1", f"sha1-{n}"], MiB, "mbps"),
                "{:.0f}"))
    out.append(("Braid → Braid and libtorrent → libtorrent, 1 MiB pieces — MB/s by pair",
                bars("pair", ["braid", "libtorrent"], MiB, "mbps"), "{:.0f}"))
    cr = getattr(b, "crowd", None)
    if cr:
        out.append((f"One seeder, {cr['leechers']} libtorrent leechers — seconds until the last completes, by seeder "
                    "(lower is better)", bars("crowd", ["braid", "libtorrent"], cr["piece"], "seconds"), "{:.1f}"))
        out.append(("The same crowd — seeder CPU seconds (lower is better)",
                    bars("crowd", ["braid", "libtorrent"], cr["piece"], "seeder_cpu"), "{:.2f}"))
    br = getattr(b, "browser", None)
    if br:
        rows = [(k, *s["MiBps"]) for k, s in br["summary"].items() if "MiBps" in s]
        out.append((f"In headless Chromium, {br['size'] >> 20} MiB over WebRTC — MiB/s (higher is better)",
                    rows, "{:.1f}"))
    return [p for p in out if p[1]]


def write(path, b, summ):
    ps = panels(b, summ)
    h = PAD + sum(TITLE_H + len(rows) * (BAR_H + GAP) + PAD for _, rows, _ in ps) + 20
    el = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" '
          'font-family="sans-serif" font-size="12">',
          f'<rect width="{W}" height="{h}" fill="white"/>']
    y = PAD
    plot_w = W - LABEL_W - VALUE_W
    for title, rows, fmt in ps:
        el.append(f'<text x="10" y="{y + 18}" font-weight="bold" font-size="13">{escape(title)}</text>')
        y += TITLE_H
        top = max(max(hi, med) for _, med, _, hi in rows) or 1
        for c, med, lo, hi in rows:
            colour = BRAID if c.split(":")[0] == "braid" else LIMIT if c.startswith("sha1-") else OTHER
            bw = plot_w * med / top
            el.append(f'<text x="{LABEL_W - 8}" y="{y + BAR_H - 5}" text-anchor="end">{escape(_name(c))}</text>')
            el.append(f'<rect x="{LABEL_W}" y="{y}" width="{bw:.1f}" height="{BAR_H}" fill="{colour}"/>')
            if hi > lo:
                x0, x1 = LABEL_W + plot_w * lo / top, LABEL_W + plot_w * hi / top
                cy = y + BAR_H / 2
                el.append(f'<path d="M{x0:.1f} {cy}H{x1:.1f}M{x0:.1f} {cy - 4}V{cy + 4}M{x1:.1f} {cy - 4}V{cy + 4}" '
                          'stroke="#212529" stroke-width="1.2" fill="none"/>')
            vx = LABEL_W + plot_w * max(med, hi) / top + 6
            el.append(f'<text x="{vx:.1f}" y="{y + BAR_H - 5}">{escape(fmt.format(med))}</text>')
            y += BAR_H + GAP
        y += PAD
    el.append(f'<text x="10" y="{h - 8}" fill="#495057" font-size="11">'
              f'{escape(f"{b.size >> 20} MiB file, median of {b.runs} run(s), whiskers: min–max; loopback, one machine")}'
              '</text>')
    el.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(el) + "\n")
