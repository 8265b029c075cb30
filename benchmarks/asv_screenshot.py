"""Check that asv's published HTML opens and shows graphs: serve .asv/html
(what `asv preview` does) and take headless Chromium screenshots of the index
and of one benchmark's graph.  Not part of CI (it needs Chromium and an asv
history); run it after the recipe in the README's "Benchmarks" section:

    python benchmarks/asv_screenshot.py [--html .asv/html] [--out asv-screenshots]
        [--benchmark bench_training.MiniBatch.time_epoch]

Writes index.png and graph.png to --out and prints their sizes and how many
distinct colours each has (a blank page has one or two).  Needs Chromium
(Debian: apt-get install chromium); the file tool or any viewer shows them.
"""
import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
    args = parser.parse_args(argv)
    html = Path(args.html)
    if not (html / "index.html").exists():
        sys.exit(f"{html}/index.html not found: run `asv publish` in asv_benchmarks/ first")
    browser = chromium()
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
