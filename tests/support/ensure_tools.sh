#!/usr/bin/env bash
# Make sure the programs the tests drive for real are present: redis-server
# (the tests start their own throwaway servers) and chromium (browser tests).
# Installs Debian packages when running as root with apt; otherwise says what
# to install and fails, because a test suite that skips them proves nothing.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "The test suite needs: ${missing[*]}." >&2
echo "Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run make test again." >&2
exit 1
