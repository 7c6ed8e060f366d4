#!/usr/bin/env bash
# Makes sure Debian's chromium is installed at /usr/bin/chromium: test/browser.test.ts drives it with
# playwright-core. Does nothing when it is already there; exits non-zero when it cannot install it.
set -euo pipefail

chromium=/usr/bin/chromium
if [ -x "$chromium" ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $chromium is missing and there is no apt-get here; install Chromium there by hand" >&2
  exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo -n)
  else
    echo "ensure-chromium: $chromium is missing; installing it needs root, and there is no sudo" >&2
    exit 1
  fi
fi

echo "ensure-chromium: installing chromium (Debian package) for the browser tests" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 ||
  ! ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends chromium >>"$log" 2>&1; then
  cat "$log" >&2
  echo "ensure-chromium: installing chromium failed (output above)" >&2
  exit 1
fi

if [ ! -x "$chromium" ]; then
  echo "ensure-chromium: the chromium package installed, but $chromium is not there" >&2
  exit 1
fi
