#!/usr/bin/env bash
# Install the Debian packages the project needs outside Python, if they are missing.
#   browser: Chromium + ChromeDriver (exports with kaleido, browser tests), poppler (PDF checks)
#   all:     browser + PostgreSQL with PostGIS (store tests)
# PostGIS: the extension lives in postgresql-<major>-postgis-3 for the installed server major
# (Debian's `postgis` package holds only the command-line tools and does not contain it).
set -euo pipefail
want=${1:-all}
packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
command -v pdftoppm >/dev/null 2>&1 || packages+=(poppler-utils)
fc-list 2>/dev/null | grep -qi dejavu || packages+=(fonts-dejavu-core)
postgres_major() {
  # the installed server's major version, else the one the `postgresql` package would install
  local installed
  installed=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
  if [ -n "$installed" ]; then echo "$installed"; return; fi
  apt-cache policy postgresql 2>/dev/null | awk '/Candidate:/ {split($2, v, "+"); print v[1]}'
}
if [ "$want" = all ]; then
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || packages+=(postgresql)
  major=$(postgres_major)
  if [ -z "$major" ] && [ "$(id -u)" -eq 0 ]; then
    # a new machine's package lists may be empty until the first update
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    major=$(postgres_major)
  fi
  if [ -z "$major" ]; then
    echo "cannot tell the PostgreSQL version: run apt-get update, then this script again" >&2
    exit 1
  fi
  ls "/usr/share/postgresql/$major/extension/postgis.control" >/dev/null 2>&1 \
    || packages+=("postgresql-$major-postgis-3")
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
if [ "$want" = all ] && ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
  echo "PostGIS extension still missing after installing ${packages[*]}" >&2
  exit 1
fi
