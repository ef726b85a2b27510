#!/usr/bin/env bash
# Starts the demo stack (Dex + reference backend) and signs in to it with
# clilogin: in a window when there is a display, headless with the demo
# user's credentials otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin
info=$(mktemp)
trap 'kill "$stack" 2>/dev/null || true; wait "$stack" 2>/dev/null || true; rm -f "$info"' EXIT

"$bin/devstack" -json >"$info" &
stack=$!
for _ in $(seq 100); do [ -s "$info" ] && break; sleep 0.1; done
[ -s "$info" ] || { echo "demo: error: the demo stack did not start" >&2; exit 1; }
# The demo keeps its cache beside its profile, not in your real cache.
export XDG_CACHE_HOME=$PWD/bin/demo-cache
field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/" "$info"; }
backend=$(field backend); user=$(field username); password=$(field password)

echo "demo: identity provider (Dex) $(field issuer)" >&2
echo "demo: backend                 $backend" >&2
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${CI:-}" != true ]; then
  echo "demo: sign in in the window as $user with password $password" >&2
  "$bin/clilogin" login --backend "$backend" --profile "$PWD/bin/demo-profile"
else
  echo "demo: no display: signing in headless as $user" >&2
  CLILOGIN_PASSWORD=$password "$bin/clilogin" login --backend "$backend" --headless \
    --username "$user" --profile "$PWD/bin/demo-profile" -v
fi
