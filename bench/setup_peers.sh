#!/usr/bin/env bash
# Install the generators Probable is compared with; safe to run again.
#
#   Hugo      Debian's package (apt-get install hugo; bookworm has 0.111.3)
#   Eleventy  npm, pinned with its lock in bench/peers/eleventy/
#   Pelican   and MkDocs: pip, every package pinned in bench/peers/requirements.txt,
#             in their own venv bench/.venv-peers
#
# Each step is skipped when what it installs is already there. Nothing it
# downloads is committed (see bench/.gitignore). Prints one line per peer.
set -euo pipefail
bench="$(cd "$(dirname "$0")" && pwd)"

if ! command -v hugo >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "hugo: missing; run as root or 'sudo apt-get install -y hugo'" >&2
    exit 1
  fi
  apt-get install -y -q hugo >/dev/null 2>&1 || {
    apt-get update -q >/dev/null
    apt-get install -y -q hugo >/dev/null
  }
fi
echo "hugo: $(hugo version | cut -d' ' -f2)"

eleventy="$bench/peers/eleventy"
stamp="$eleventy/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$eleventy/package-lock.json" -nt "$stamp" ]; then
  (cd "$eleventy" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
echo "eleventy: $(node "$eleventy/node_modules/@11ty/eleventy/cmd.cjs" --version)"

venv="$bench/.venv-peers"
requirements="$bench/peers/requirements.txt"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ ! -f "$venv/.installed" ] || [ "$requirements" -nt "$venv/.installed" ]; then
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  touch "$venv/.installed"
fi
echo "pelican: $("$venv/bin/pelican" --version)"
echo "mkdocs: $("$venv/bin/mkdocs" --version | cut -d' ' -f3)"
