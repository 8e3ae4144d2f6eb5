#!/usr/bin/env bash
# Install the Debian packages the project needs outside Python, if they are missing.
#   browser: Chromium + ChromeDriver (exports with kaleido, browser tests), poppler (PDF checks)
#   all:     browser + PostgreSQL with PostGIS (store tests)
set -euo pipefail
want=${1:-all}
packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
command -v pdftoppm >/dev/null 2>&1 || packages+=(poppler-utils)
fc-list 2>/dev/null | grep -qi dejavu || packages+=(fonts-dejavu-core)
if [ "$want" = all ]; then
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || packages+=(postgresql)
  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || packages+=(postgis)
fi
[ ${#packages[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  echo "missing system packages: ${packages[*]} (install them with apt-get as root)" >&2
  exit 0
fi
echo "installing system packages: ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
