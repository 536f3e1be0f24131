#!/usr/bin/env bash
# Installs what Slid needs, idempotently: Debian packages (only those missing) and the
# virtualenv from the hash-pinned lock file (only when the lock changed).
set -euo pipefail
cd "$(dirname "$0")/.."

# What each package is for is in the README ("System packages").
PACKAGES=(
  postgresql-15 postgresql-15-postgis-3 postgresql-client-15
  gdal-bin libgdal32 libgeos-c1v5 libproj25
  redis-server
  libimage-exiftool-perl ffmpeg libmagic1
  python3-venv
  gettext chromium fonts-dejavu-core
)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Slid needs these Debian packages, which are not installed: ${missing[*]}" >&2
    echo "Install them as root:  apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "==> Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

lock=requirements/dev.txt
# Debian's own Python 3.11 when there is one: `make run` as root starts Slid's processes as an
# unprivileged user, who cannot run a Python kept under /root (pyenv, for one).
python=python3
if [ -x /usr/bin/python3.11 ]; then python=/usr/bin/python3.11; fi
stamp=".venv/.installed-$( (cat "$lock"; echo "$python") | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> Creating the virtualenv .venv from $lock with $python"
  "$python" -m venv --clear .venv
  .venv/bin/pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
