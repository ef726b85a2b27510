#!/usr/bin/env bash
# smoke.sh: walk the whole login flow of the Node stack with curl, no browser.
# Starts `node stack.js` itself (npm ci must have run), checks every step,
# stops it. Prints "N passed, 0 failed" and exits 0 when all is well.
set -euo pipefail
cd "$(dirname "$0")"

tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

node stack.js >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/out" ] && break; sleep 0.1; done
[ -s "$tmp/out" ] || { cat "$tmp/err" >&2; echo "stack did not start" >&2; exit 1; }

field() { node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]])' "$tmp/out" "$1"; }
backend=$(field backend); issuer=$(field issuer); user=$(field username); pass=$(field password)
echo "backend $backend, issuer $issuer"

passed=0; failed=0
check() { # check NAME GOT WANT
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1: got '$2', want '$3'"; fi
}

jar="$tmp/jar"
# get URL...: follow redirects; body in $tmp/body, prints "CODE FINAL_URL"
get() { curl -sS -b "$jar" -c "$jar" -L -o "$tmp/body" -w '%{http_code} %{url_effective}\n' "$@"; }
action() { sed -n 's/.*<form[^>]* action="\([^"]*\)".*/\1/p' "$tmp/body" | grep "/$1\$" | head -1; }

# 1. /login ends on the IdP's login form.
read -r code url < <(get "$backend/login")
check "login form status" "$code" 200
check "login form is on the IdP" "${url%%/interaction/*}" "$issuer"
grep -q 'type="password"' "$tmp/body" && check "login form has a password field" yes yes || check "login form has a password field" no yes
login_action=$(action login)

# 2. A wrong password shows the form again with an error.
read -r code url < <(get --data-urlencode "username=$user" --data-urlencode "password=wrong" "$issuer$login_action")
check "wrong password status" "$code" 200
grep -q 'Wrong email address or password' "$tmp/body" && check "wrong password rejected" yes yes || check "wrong password rejected" no yes

# 3. The right password leads to the consent page.
read -r code url < <(get --data-urlencode "username=$user" --data-urlencode "password=$pass" "$issuer$login_action")
check "consent page status" "$code" 200
grep -q 'id="consent-allow"' "$tmp/body" && check "consent page shown" yes yes || check "consent page shown" no yes

# 4. Allowing lands on the backend's /callback with body "ok".
read -r code url < <(get -d '' "$issuer$(action confirm)")
check "callback status" "$code" 200
check "callback URL" "${url%%\?*}" "$backend/callback"
check "callback body" "$(cat "$tmp/body")" ok

# 5. /user/token gives the JWT, /user/id with it gives the email.
read -r code _ < <(get "$backend/user/token")
token=$(cat "$tmp/body")
check "token status" "$code" 200
check "token is a JWT" "$(grep -cE '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' <<<"$token")" 1
read -r code _ < <(get -H "Authorization: Bearer $token" "$backend/user/id")
check "user id status" "$code" 200
check "user id" "$(cat "$tmp/body")" "bob@example.org"

# 6. A second login in the same "browser" is silent (IdP session + remembered consent).
read -r code url < <(get "$backend/login")
check "second login silent" "$code ${url%%\?*} $(cat "$tmp/body")" "200 $backend/callback ok"

# 7. Failures.
check "token without session" "$(curl -s -o /dev/null -w '%{http_code}' "$backend/user/token")" 401
check "id without token" "$(curl -s -o /dev/null -w '%{http_code}' "$backend/user/id")" 401
check "id with bad token" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${token%?}x" "$backend/user/id")" 401
get "$backend/login" >/dev/null # a pending state for this session
check "callback wrong state" "$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' "$backend/callback?code=x&state=wrong")" 400
check "IdP error passed on" "$(curl -s -b "$jar" -w ' %{http_code}' "$backend/callback?error=access_denied&error_description=nope")" "login failed: access_denied: nope 401"

# 8. A fresh "browser" that presses Deny gets the IdP's error at /callback.
jar="$tmp/jar2"
get "$backend/login" >/dev/null
read -r code url < <(get --data-urlencode "username=$user" --data-urlencode "password=$pass" "$issuer$(action login)")
read -r code url < <(get -d '' "$issuer$(action abort)")
check "deny status" "$code" 401
check "deny body" "$(cat "$tmp/body")" "login failed: access_denied: End-User aborted interaction"

# 9. SIGTERM stops the stack promptly with status 0.
kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?; pid=
check "exit status on SIGTERM" "$rc" 0

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
