#!/usr/bin/env bash
# Renders a monday-perf HTML report in headless Chromium and checks from the screenshot that the
# charts drew: the PNG must not be blank and must hold enough non-white, multi-coloured pixels.
#
#   scripts/check-report-in-chromium.sh [REPORT_HTML] [SCREENSHOT_PNG]
#
# Defaults: reports/gate/report.html and <report dir>/report.png. Installs Debian's chromium when it
# is missing (needs root / apt). Exit 0 when the charts drew, 1 when they did not, 2 on usage errors.
set -euo pipefail

report="${1:-reports/gate/report.html}"
if [[ ! -f "$report" ]]; then
  echo "check-report: no such report: $report" >&2
  exit 2
fi
report="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
shot="${2:-$(dirname "$report")/report.png}"

browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser="$b"; break; fi
done
if [[ -z "$browser" ]]; then
  echo "check-report: installing chromium from Debian packages" >&2
  apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null
  browser=chromium
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
rm -f "$shot"
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars \
  --screenshot="$shot" --window-size=1400,3000 "file://$report" >/dev/null 2>&1 || true
if [[ ! -s "$shot" ]]; then
  echo "check-report: chromium wrote no screenshot" >&2
  exit 1
fi

# Decode the PNG with the standard library only (zlib + unfiltering) and count pixels.
python3 - "$shot" <<'PY'
import struct, sys, zlib

path = sys.argv[1]
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("not a PNG")
pos, idat, width, height, ctype = 8, b"", 0, 0, 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    chunk = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, ctype = struct.unpack(">IIBB", chunk[:10])
        if depth != 8 or ctype not in (2, 6):
            sys.exit(f"unsupported PNG (depth {depth}, colour type {ctype})")
    elif kind == b"IDAT":
        idat += chunk
    pos += 12 + length
bpp = 4 if ctype == 6 else 3
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
rows, i = [], 0
for _ in range(height):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
non_white = coloured = 0
colours = set()
for line in rows[::2]:
    for x in range(0, stride, bpp * 2):
        r, g, b = line[x], line[x + 1], line[x + 2]
        if r < 240 or g < 240 or b < 240:
            non_white += 1
        if max(r, g, b) - min(r, g, b) > 60:
            coloured += 1
            colours.add((r >> 5, g >> 5, b >> 5))
sampled = (height // 2) * (width // 2)
print(f"check-report: {width}x{height}, non-white {non_white / sampled:.1%}, "
      f"coloured {coloured} samples in {len(colours)} colour bins")
if non_white < sampled * 0.02:
    sys.exit("check-report: the page is (almost) blank")
if coloured < 2000 or len(colours) < 4:
    sys.exit("check-report: too few coloured pixels: the charts did not draw")
PY
echo "check-report: charts drew ($shot)"
