#!/bin/sh
# Makes sure Debian's Chromium is installed for the web app's browser tests and benchmark
# (driven by playwright-core; no browser is ever downloaded from elsewhere), with a small CJK font
# so screenshots of the Chinese interface show its text.
# Installs them with apt when missing and running as root; otherwise says what to run.
set -eu
CHROMIUM="${HUZHU_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ] && { [ -n "${HUZHU_CHROMIUM:-}" ] || [ -d /usr/share/fonts/truetype/wqy ]; }; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium and fonts-wqy-microhei packages (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
  exit 0
fi
if [ -x "$CHROMIUM" ]; then
  # Chinese text would show as boxes in screenshots, but everything else works.
  echo "ensure-chromium: no CJK font; for readable Chinese screenshots: sudo apt-get install -y fonts-wqy-microhei" >&2
  exit 0
fi
echo "ensure-chromium: $CHROMIUM is missing; install Debian's chromium package:" >&2
echo "  sudo apt-get update && sudo apt-get install -y chromium fonts-wqy-microhei" >&2
exit 1
