"""Check that asv's published HTML opens and shows graphs: serve .asv/html
(what `asv preview` does) and take headless Chromium screenshots of the index
and of one benchmark's graph.  Not part of CI (it needs Chromium and an asv
history); run it after the recipe in the README's "Benchmarks" section:

    python benchmarks/asv_screenshot.py [--html .asv/html] [--out asv-screenshots]
        [--benchmark bench_training.MiniBatch.time_epoch]

Writes index.png and graph.png to --out and prints their sizes and how many
distinct colours each has (a blank page has one or two).  Needs Chromium
(Debian: apt-get install chromium); the file tool or any viewer shows them.

asv's pages load jQuery, flot, Bootstrap and three small libraries from
CDNs.  With ``--offline`` (for a machine without internet) the page is served
from a copy whose CDN links point at Debian's packaged copies instead
(apt-get install libjs-jquery libjs-jquery-flot libjs-bootstrap
node-blueimp-md5 libjs-jquery-stupidtable); Debian's flot is 4.x rather than
the 0.8.3 asv names, and its bar-ordering plugin is not packaged (a no-op
stands in: it only orders bars in bar charts).
"""
import argparse
import functools
import http.server
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEBIAN_JS = Path("/usr/share/javascript")
# the end of each CDN address in asv's index.html -> Debian's copy
OFFLINE = {
    "jquery-3.3.1.min.js": "jquery/jquery.min.js",
    "jquery.flot.min.js": "jquery-flot/jquery.flot.pack.js",
    "jquery.flot.time.min.js": "jquery-flot/jquery.flot.time.min.js",
    "jquery.flot.selection.min.js": "jquery-flot/jquery.flot.selection.min.js",
    "jquery.flot.categories.min.js": "jquery-flot/jquery.flot.categories.min.js",
    "stupidtable.min.js": "jquery-stupidtable/stupidtable.min.js",
    "md5.min.js": "blueimp-md5/md5.min.js",
    "bootstrap.min.js": "bootstrap/js/bootstrap.min.js",
    "bootstrap.min.css": "bootstrap/css/bootstrap.min.css",
    "jquery.flot.orderBars.js": None,  # not packaged: a no-op plugin
}


def offline_copy(html, into):
    """A copy of ``html`` whose CDN scripts and styles are local files."""
    site = Path(into) / "html"
    shutil.copytree(html, site)
    index = (site / "index.html").read_text()
    for url in re.findall(r'(?:src|href)="(https://[^"]+)"', index):
        name = url.rsplit("/", 1)[1]
        if name not in OFFLINE:
            continue
        local = site / "offline" / name
        local.parent.mkdir(exist_ok=True)
        if OFFLINE[name] is None:
            local.write_text("(function ($) { $.plot.plugins.push({init: function () {}, "
                             "name: 'orderBars', version: 'stub'}); })(jQuery);\n")
        else:
            shutil.copy(DEBIAN_JS / OFFLINE[name], local)
        index = index.replace(url, f"offline/{name}")
    # the CDN files' integrity hashes do not fit Debian's builds
    index = re.sub(r'\s(?:integrity|crossorigin)="[^"]*"', "", index)
    (site / "index.html").write_text(index)
    return site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "headless_shell"):
        if shutil.which(name):
            return shutil.which(name)
    sys.exit("no Chromium found: apt-get install chromium (Debian) or set PATH")


def screenshot(browser, url, out, size=(1400, 1000)):
    # --virtual-time-budget lets the page's scripts load the JSON and draw first
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=20000",
                    f"--screenshot={out}", url],
                   check=True, capture_output=True, timeout=180)


def colours(png):
    try:
        from PIL import Image
    except ImportError:
        return None
    with Image.open(png) as im:
        return len(im.convert("RGB").getcolors(maxcolors=1 << 24) or [])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", default=str(ROOT / ".asv" / "html"))
    parser.add_argument("--out", default="asv-screenshots")
    parser.add_argument("--benchmark", default="bench_training.MiniBatch.time_epoch")
    parser.add_argument("--offline", action="store_true",
                        help="serve jQuery, flot and Bootstrap from Debian's packages, not CDNs")
    args = parser.parse_args(argv)
    html = Path(args.html)
    if not (html / "index.html").exists():
        sys.exit(f"{html}/index.html not found: run `asv publish` in asv_benchmarks/ first")
    browser = chromium()
    with tempfile.TemporaryDirectory() as tmp:
        shoot(browser, offline_copy(html, tmp) if args.offline else html, args)


def shoot(browser, html, args):
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        for name, page in (("index", url), ("graph", f"{url}#{args.benchmark}")):
            png = out / f"{name}.png"
            screenshot(browser, page, png)
            print(f"{png}: {png.stat().st_size} bytes, {colours(png)} colours  ({page})")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
