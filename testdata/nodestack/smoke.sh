#!/usr/bin/env bash
# smoke.sh: walk the whole login flow of the Node stack with curl, no browser.
# Starts `node stack.js` itself (npm ci must have run), checks every step,
# stops it. Prints "N passed, 0 failed" and exits 0 when all is well.
# It walks the default one-page flow, then restarts the stack in each mode of
# stack.js: NODESTACK_FLOW=two-step, NODESTACK_TOTP_SECRET,
# NODESTACK_STAY_SIGNED_IN, all three together, NODESTACK_REQUIRE_HEADED, and
# the JSON side of NODESTACK_FLOW=spa (its JavaScript needs a real browser).
set -euo pipefail
cd "$(dirname "$0")"

tmp=$(mktemp -d)
pid=
stop_stack() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=
}
cleanup() {
  stop_stack
  rm -rf "$tmp"
}
trap cleanup EXIT

field() { node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]]))' "$tmp/out" "$1"; }

# start_stack [NAME=VALUE...]: (re)start the stack with these environment
# variables; sets backend, issuer, user, pass and a fresh cookie jar.
start_stack() {
  stop_stack
  : >"$tmp/out"
  env "$@" node stack.js >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 100); do [ -s "$tmp/out" ] && break; sleep 0.1; done
  [ -s "$tmp/out" ] || { cat "$tmp/err" >&2; echo "stack did not start" >&2; exit 1; }
  backend=$(field backend); issuer=$(field issuer); user=$(field username); pass=$(field password)
  jar="$tmp/jar.$RANDOM"
  echo "== ${*:-default}: backend $backend, issuer $issuer"
}

passed=0; failed=0
check() { # check NAME GOT WANT
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1: got '$2', want '$3'"; fi
}
# has NAME PATTERN [WANT]: checks whether the last body matches a fixed string (WANT: yes or no)
has() {
  if grep -qF -- "$2" "$tmp/body"; then check "$1" yes "${3:-yes}"; else check "$1" no "${3:-yes}"; fi
}

# get URL...: follow redirects; body in $tmp/body, prints "CODE FINAL_URL"
get() { curl -sS -b "$jar" -c "$jar" -L -o "$tmp/body" -w '%{http_code} %{url_effective}\n' "$@"; }
action() { sed -n 's/.*<form[^>]* action="\([^"]*\)".*/\1/p' "$tmp/body" | grep "/$1\$" | head -1; }

start_stack
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
# Spoil the signature's first character: its last one may carry only padding bits.
sig=${token##*.}; [ "${sig:0:1}" = A ] && bad=B || bad=A
check "id with bad token" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${token%.*}.$bad${sig:1}" "$backend/user/id")" 401
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

# ---------------------------------------------------------------- two-step
# login_to_idp: a fresh "browser" goes to the backend's /login and ends on the IdP.
login_to_idp() {
  jar="$tmp/jar.$RANDOM"
  read -r code url < <(get "$backend/login")
}
# finish NAME: from the consent page, allow, and check /callback, the token and the id.
finish() {
  has "$1: consent page shown" 'id="consent-allow"'
  read -r code url < <(get -d '' "$issuer$(action confirm)")
  check "$1: callback" "$code ${url%%\?*} $(cat "$tmp/body")" "200 $backend/callback ok"
  read -r code _ < <(get "$backend/user/token")
  local token; token=$(cat "$tmp/body")
  read -r code _ < <(get -H "Authorization: Bearer $token" "$backend/user/id")
  check "$1: user id" "$code $(cat "$tmp/body")" "200 bob@example.org"
}

start_stack NODESTACK_FLOW=two-step
check "two-step: JSON line has the flow" "$(field flow)" two-step
login_to_idp
check "two-step: page 1 status" "$code ${url%%/interaction/*}" "200 $issuer"
interaction_url=$url
has "two-step: page 1 has the identifier field" 'name="identifier"'
has "two-step: page 1 has Next" '<input id="identifier-next" type="submit" value="Next">'
has "two-step: page 1 has no password field" 'type="password"' no
# A password posted before the identifier only leads back to page 1.
read -r code url < <(get --data-urlencode "passwd=$pass" "$issuer${interaction_url#"$issuer"}/password")
check "two-step: password before identifier goes back" "$code $url" "200 $interaction_url"
has "two-step: ... to page 1" 'name="identifier"'
read -r code url < <(get --data-urlencode "identifier=alice@example.org" "$issuer$(action identifier)")
check "two-step: unknown user status" "$code" 200
has "two-step: unknown user error" $'<div class="alert alert-error" role="alert">We couldn&#39;t find an account with that email.</div>'
has "two-step: unknown user stays on page 1" 'type="password"' no
read -r code url < <(get --data-urlencode "identifier=$user" "$issuer$(action identifier)")
check "two-step: page 2 is a new document (GET after 303)" "$code $url" "200 $interaction_url"
has "two-step: page 2 names the user" "Signed in as <span id=\"identity-name\">$user</span>"
has "two-step: page 2 has the password field" '<input id="passwd-input" name="passwd" type="password"'
has "two-step: page 2 has no identifier field" 'name="identifier"' no
has "two-step: page 2 has Sign in" '<input id="passwd-submit" type="submit" value="Sign in">'
read -r code url < <(get --data-urlencode "passwd=wrong" "$issuer$(action password)")
check "two-step: wrong password status" "$code" 200
has "two-step: wrong password error on page 2" '<div class="alert alert-error" role="alert">Wrong password. Try again.</div>'
has "two-step: ... still page 2" 'name="passwd"'
not_you=$(sed -n 's/.*<a id="not-you" href="\([^"]*\)".*/\1/p' "$tmp/body")
read -r code url < <(get "$issuer$not_you")
check "two-step: not you? goes to page 1" "$code $url" "200 $interaction_url"
has "two-step: ... with the identifier field" 'name="identifier"'
read -r code url < <(get --data-urlencode "identifier=$user" "$issuer$(action identifier)")
read -r code url < <(get --data-urlencode "passwd=$pass" "$issuer$(action password)")
finish "two-step"
read -r code url < <(get "$backend/login")
check "two-step: second login silent" "$code ${url%%\?*} $(cat "$tmp/body")" "200 $backend/callback ok"

# ---------------------------------------------------------------- TOTP
# totp SECRET [STEPS]: the RFC 6238 code (SHA-1, 30 s, 6 digits) of now + STEPS
# periods, computed here independently of stack.js's library.
totp() {
  node -e '
    const [b32, steps] = process.argv.slice(1);
    const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const bits = [...b32.toUpperCase().replace(/[\s=]/g, "")].map((c) => abc.indexOf(c).toString(2).padStart(5, "0")).join("");
    const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + Number(steps)));
    const h = require("crypto").createHmac("sha1", key).update(msg).digest();
    const code = (h.readUInt32BE(h[19] & 15) & 0x7fffffff) % 1000000;
    process.stdout.write(String(code).padStart(6, "0"));' "$1" "${2:-0}"
}
# not_near_step_end: wait so that no 30 s step ends during the next few requests.
not_near_step_end() { local s=$(( $(date +%s) % 30 )); if [ "$s" -ge 26 ]; then sleep $(( 31 - s )); fi; }
check "RFC 6238 test vector (SHA-1, T=59)" "$(node -e '
  const msg = Buffer.alloc(8); msg.writeBigUInt64BE(1n);
  const h = require("crypto").createHmac("sha1", Buffer.from("12345678901234567890")).update(msg).digest();
  process.stdout.write(String((h.readUInt32BE(h[19] & 15) & 0x7fffffff) % 1e8))')" 94287082

secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
start_stack NODESTACK_TOTP_SECRET="$(tr 'A-Z' 'a-z' <<<"$secret")"
check "totp: JSON line has the secret (normalised)" "$(field totp_secret)" "$secret"
# otp_page NAME: a fresh browser signs in with the password and lands on the code page.
otp_page() {
  login_to_idp
  has "$1: the one-page form is unchanged" '<input id="password" name="password" type="password" autocomplete="current-password" required>'
  otp_url=$url
  read -r code url < <(get --data-urlencode "username=$user" --data-urlencode "password=$pass" "$issuer$(action login)")
  check "$1: code page status" "$code $url" "200 $otp_url"
  has "$1: code page has the code field" '<input id="otp-input" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required>'
  has "$1: code page has Verify" '<button id="otp-verify" type="submit">Verify</button>'
}
login_to_idp
read -r code url < <(get --data-urlencode "otp=$(totp $secret)" "$issuer${url#"$issuer"}/otp")
has "totp: a code before the password goes back to the form" 'name="password"'
otp_page "totp"
not_near_step_end
for bad in "$(totp $secret 3)" "$(totp $secret -3)" abcdef 12345; do
  read -r code url < <(get --data-urlencode "otp=$bad" "$issuer$(action otp)")
  check "totp: code '$bad' refused" "$code $url" "200 $otp_url/otp"
  has "totp: ... Invalid code." '<div role="alert">Invalid code.</div>'
done
read -r code url < <(get --data-urlencode "otp=$(totp $secret)" "$issuer$(action otp)")
finish "totp: current code"
otp_page "totp -1"
not_near_step_end
read -r code url < <(get --data-urlencode "otp=$(totp $secret -1)" "$issuer$(action otp)")
finish "totp: previous step's code"
otp_page "totp +1"
not_near_step_end
read -r code url < <(get --data-urlencode "otp=$(totp $secret 1)" "$issuer$(action otp)")
finish "totp: next step's code"

# ---------------------------------------------------------------- stay signed in
# session_expiry: the Expires (0 = a browser-session cookie) of the IdP's _session cookie.
session_expiry() { awk '$6 == "_session" { print $5 }' "$jar"; }
start_stack NODESTACK_STAY_SIGNED_IN=1
check "kmsi: JSON line says so" "$(field stay_signed_in)" true
for answer in No Yes; do
  login_to_idp
  kmsi_url=$url
  read -r code url < <(get --data-urlencode "username=$user" --data-urlencode "password=$pass" "$issuer$(action login)")
  check "kmsi $answer: page status" "$code $url" "200 $kmsi_url"
  has "kmsi $answer: title" 'Stay signed in?'
  has "kmsi $answer: text" 'Do this to reduce the number of times you are asked to sign in.'
  has "kmsi $answer: No button" '<input type="submit" name="stay" value="No" id="idBtn_Back">'
  has "kmsi $answer: Yes button" '<input type="submit" name="stay" value="Yes" id="idSIButton9">'
  read -r code url < <(get --data-urlencode "stay=$answer" "$issuer$(action kmsi)")
  finish "kmsi $answer"
  if [ "$answer" = No ]; then
    check "kmsi No: IdP session cookie is session-only" "$(session_expiry)" 0
  else
    exp=$(session_expiry)
    check "kmsi Yes: IdP session cookie lasts 14 days" "$(( exp > $(date +%s) + 13 * 86400 ))" 1
  fi
done

# ---------------------------------------------------------------- all three
start_stack NODESTACK_FLOW=two-step NODESTACK_TOTP_SECRET=$secret NODESTACK_STAY_SIGNED_IN=1
login_to_idp
has "two-step+totp+kmsi: page 1" 'name="identifier"'
read -r code url < <(get --data-urlencode "identifier=$user" "$issuer$(action identifier)")
has "two-step+totp+kmsi: page 2" 'name="passwd"'
read -r code url < <(get --data-urlencode "passwd=$pass" "$issuer$(action password)")
has "two-step+totp+kmsi: code page" 'autocomplete="one-time-code"'
not_near_step_end
read -r code url < <(get --data-urlencode "otp=$(totp $secret)" "$issuer$(action otp)")
has "two-step+totp+kmsi: stay signed in page" 'id="idSIButton9"'
read -r code url < <(get --data-urlencode "stay=Yes" "$issuer$(action kmsi)")
finish "two-step+totp+kmsi"
read -r code url < <(get "$backend/login")
check "two-step+totp+kmsi: second login silent" "$code ${url%%\?*} $(cat "$tmp/body")" "200 $backend/callback ok"

# ---------------------------------------------------------------- headed only
start_stack NODESTACK_REQUIRE_HEADED=1
headless='Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36'
login_to_idp # curl's own User-Agent
has "headed: curl gets the form" 'name="password"'
jar="$tmp/jar.$RANDOM"
read -r code url < <(get -A "$headless" "$backend/login")
check "headed: headless status" "$code ${url%%/interaction/*}" "200 $issuer"
has "headed: headless refused" 'This browser or app may not be secure. Try using a different browser.'
has "headed: ... with no form" '<form' no
read -r code url < <(get -A "${headless/HeadlessChrome/Chrome}" "$url")
has "headed: the same page for a headed Chrome has the form" 'name="password"'

# ---------------------------------------------------------------- SPA (no JavaScript here)
start_stack NODESTACK_FLOW=spa
login_to_idp
spa_base=${url#"$issuer"}
has "spa: page has Next (type=button)" '<button type="button" id="next">Next</button>'
has "spa: password step hidden" '<div id="password-step" style="display:none">'
jpost() { curl -sS -b "$jar" -c "$jar" -H 'Accept: application/json' "$@"; }
check "spa: identify unknown" "$(jpost --data-urlencode email=alice@example.org "$issuer$spa_base/identify")" \
  '{"ok":false,"error":"We couldn'"'"'t find an account with that email."}'
check "spa: identify bob" "$(jpost --data-urlencode "email=$user" "$issuer$spa_base/identify")" '{"ok":true}'
check "spa: wrong password" "$(jpost --data-urlencode "email=$user" --data-urlencode pass=wrong "$issuer$spa_base/password")" \
  '{"ok":false,"error":"Incorrect password."}'
next=$(jpost --data-urlencode "email=$user" --data-urlencode "pass=$pass" "$issuer$spa_base/password")
check "spa: right password gives a location" "$(node -e 'const r = JSON.parse(process.argv[1]); process.stdout.write(r.ok + " " + r.location.startsWith(process.argv[2] + "/auth/"))' "$next" "$issuer")" "true true"
read -r code url < <(get "$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).location)' "$next")")
finish "spa"
stop_stack

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
