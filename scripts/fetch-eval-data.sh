#!/usr/bin/env bash
# Downloads the Debian Reference (English and Japanese) from the Debian archive and leaves its HTML pages under
# OUT_DIR/debian-reference/en/ and OUT_DIR/debian-reference/ja/ (default OUT_DIR ./.eval-data/, git-ignored), one folder
# per language so that each can be indexed on its own (`bitsieve eval --folder OUT_DIR/debian-reference/en --lang en`).
# The pages are the source of the labelled retrieval set that BitSieve.Ingest's LabelledSetBuilder builds: one query
# per section heading, the section's text as the answer; eval-sets/debian-reference.ja.jsonl holds real questions for
# their sections.
# It also fetches the Python 3.11 FAQ (Debian's python3.11-doc) and writes each FAQ answer, without its question, to
# OUT_DIR/python-faq/PAGE/ANCHOR.txt (scripts/split-python-faq.py, needs python3): the documents of
# eval-sets/python-faq.en.jsonl.
#
#   scripts/fetch-eval-data.sh [OUT_DIR]
#
# Needs apt-get and dpkg-deb (Debian/Ubuntu), no root: `apt-get download` fetches into the current folder. If apt-get
# cannot locate the packages, its package lists are missing: run `apt-get update` (as root) once.
# The Debian Reference is GPL-2+ (see OUT_DIR/debian-reference/copyright), the Python documentation under the PSF
# licence (OUT_DIR/python-faq/copyright); neither is committed.
set -euo pipefail

out="${1:-./.eval-data}"
packages=(debian-reference-en debian-reference-ja python3.11-doc)

for tool in apt-get dpkg-deb python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fetch-eval-data: '$tool' is required (a Debian or Ubuntu system)." >&2
    exit 1
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# As root, apt drops to the _apt user to download; let it write here (else it warns and downloads as root).
chmod 755 "$work"
if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$work"; fi

if ! (cd "$work" && apt-get download "${packages[@]}"); then
  echo "fetch-eval-data: apt-get download failed; if it could not locate the packages, run 'apt-get update' first." >&2
  exit 1
fi

mkdir -p "$work/root"
for deb in "$work"/*.deb; do
  echo "unpacking $(basename "$deb")"
  dpkg-deb -x "$deb" "$work/root"
done

src="$work/root/usr/share/debian-reference"
dest="$out/debian-reference"
rm -rf "$dest"
mkdir -p "$dest/en" "$dest/ja"
# Only the HTML: the packages also hold the whole book as PDF and plain text, which would duplicate every section.
cp "$src"/*.en.html "$dest/en/"
cp "$src"/*.ja.html "$dest/ja/"
cp "$work/root/usr/share/doc/debian-reference-en/copyright" "$dest/copyright"
dpkg-deb -f "$work"/debian-reference-en_*.deb Version > "$dest/VERSION"

faq="$out/python-faq"
rm -rf "$faq"
python3 "$(dirname "$0")/split-python-faq.py" "$work/root/usr/share/doc/python3.11/html/faq" "$faq"
cp "$work/root/usr/share/doc/python3.11-doc/copyright" "$faq/copyright" 2>/dev/null || cp "$work/root/usr/share/doc/python3.11/copyright" "$faq/copyright" 2>/dev/null || true
dpkg-deb -f "$work"/python3.11-doc_*.deb Version > "$faq/VERSION"

en=$(find "$dest/en" -name '*.en.html' | wc -l)
ja=$(find "$dest/ja" -name '*.ja.html' | wc -l)
echo "Debian Reference $(cat "$dest/VERSION"): $en English pages in $dest/en, $ja Japanese pages in $dest/ja"
