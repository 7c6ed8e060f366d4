#!/usr/bin/env bash
# Makes sure the Debian packages the tests drive are installed: chromium (test/browser.test.ts and
# the playground, through playwright-core), curl and jq (the README's shell examples, run as
# printed by test/docs.test.ts), redis-server and redis-cli (the Redis store's tests and the fleet,
# which start their own servers; redis-tools comes with redis-server). Does nothing when they are all there; exits non-zero when it
# cannot install one.
set -euo pipefail

# command (or absolute path) → the Debian package that provides it
wanted=("/usr/bin/chromium chromium" "curl curl" "jq jq" "redis-server redis-server" "redis-cli redis-tools")

missing=()
for entry in "${wanted[@]}"; do
  read -r command package <<<"$entry"
  if ! command -v "$command" >/dev/null 2>&1; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-debian-packages: missing ${missing[*]}, and there is no apt-get here; install them by hand" >&2
  exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo -n)
  else
    echo "ensure-debian-packages: missing ${missing[*]}; installing needs root, and there is no sudo" >&2
    exit 1
  fi
fi

echo "ensure-debian-packages: installing ${missing[*]} (Debian packages) for the tests" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 ||
  ! ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
  cat "$log" >&2
  echo "ensure-debian-packages: installing ${missing[*]} failed (output above)" >&2
  exit 1
fi

for entry in "${wanted[@]}"; do
  read -r command package <<<"$entry"
  if ! command -v "$command" >/dev/null 2>&1; then
    echo "ensure-debian-packages: the $package package installed, but $command is not there" >&2
    exit 1
  fi
done
