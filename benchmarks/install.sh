#!/usr/bin/env bash
# The README's install, measured from a clean clone: time, packages and venv size.
#
#   bash benchmarks/install.sh
#
# Prints `name: value` lines with their targets (issue 13): install <= 30 s, <= 30 packages,
# <= 80 MB in the venv beyond pip and setuptools. The clone is of HEAD (committed work only)
# into a temporary folder, which is removed afterwards. pip's cache is off, so every package
# is fetched from the registry as on a fresh machine.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/dsr"
cd "$work/dsr"
start=$(date +%s.%N)
python3 -m venv .venv
PIP_NO_CACHE_DIR=1 .venv/bin/pip install -q -e . 2>/dev/null
end=$(date +%s.%N)
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
packages=$(.venv/bin/pip list --format=freeze 2>/dev/null | grep -viE '^(pip|setuptools|dsr)==' | grep -c .)
total_kb=$(du -sk .venv | cut -f1)
base_kb=0
for d in "$site"/pip "$site"/pip-*.dist-info "$site"/setuptools "$site"/setuptools-*.dist-info \
  "$site"/_distutils_hack "$site"/pkg_resources; do
  [ -e "$d" ] && base_kb=$((base_kb + $(du -sk "$d" | cut -f1)))
done
printf 'install_seconds: %.1f (target <= 30)\n' "$(python3 -c "print($end - $start)")"
printf 'packages: %d (target <= 30; pip, setuptools and dsr itself not counted)\n' "$packages"
printf 'venv_mb_beyond_pip_setuptools: %.1f (target <= 80)\n' "$(python3 -c "print(($total_kb - $base_kb) / 1024)")"
