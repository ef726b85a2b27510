#!/usr/bin/env bash
# Installs what clilogin's demo or tests need and this machine lacks, from
# Debian's packages. Usage: scripts/deps.sh demo|test
set -euo pipefail
what=${1:-test}

pkgs=()
[ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || pkgs+=(chromium)
if [ "$what" = test ]; then
  [ -x /usr/lib/chromium/chromium ] || pkgs+=(chromium)
  [ -x /usr/lib/chromium/chromium-headless-shell ] || pkgs+=(chromium-headless-shell)
  command -v Xvfb >/dev/null 2>&1 || pkgs+=(xvfb)
  [ -x /usr/bin/glewlwyd ] || pkgs+=(glewlwyd) # an IdP with a single-page login, for the e2e tests
  [ -f /usr/lib/apache2/modules/mod_auth_openidc.so ] || pkgs+=(libapache2-mod-auth-openidc)
  # LemonLDAP::NG's portal (a server-rendered IdP) under Starman, with the
  # Perl modules its default configuration and its OpenID Connect issuer
  # load, which Debian lists only as recommended or not at all.
  [ -f /usr/share/lemonldap-ng/portal/htdocs/index.psgi ] || pkgs+=(liblemonldap-ng-portal-perl)
  for m in Starman:starman Plack:libplack-perl GD::SecurityImage:libgd-securityimage-perl Image::Magick:libimage-magick-perl \
           String::Random:libstring-random-perl Email::Sender::Simple:libemail-sender-perl Crypt::OpenSSL::Bignum:libcrypt-openssl-bignum-perl \
           Convert::Base32:libconvert-base32-perl IO::String:libio-string-perl IPC::Run:libipc-run-perl MIME::Entity:libmime-tools-perl \
           Net::LDAP:libnet-ldap-perl Unicode::String:libunicode-string-perl Authen::WebAuthn:libauthen-webauthn-perl \
           IO::Socket::Timeout:libio-socket-timeout-perl; do
    perl -M"${m%:*}" -e1 >/dev/null 2>&1 || pkgs+=("${m##*:}")
  done
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  # make release-check: the installed .deb's man pages are found by man -w,
  # and its bash completion is loaded as an interactive bash loads it.
  command -v man >/dev/null 2>&1 || pkgs+=(man-db)
  [ -f /usr/share/bash-completion/bash_completion ] || pkgs+=(bash-completion)
  # Selenium Grid 4 (its jar comes from npm, testdata/grids) runs on Java
  # and drives Debian's Chromium through chromedriver.
  command -v java >/dev/null 2>&1 || pkgs+=(openjdk-17-jre-headless)
  [ -x /usr/bin/chromedriver ] || pkgs+=(chromium-driver)
  # The seed article's Flask backend and the FastAPI backend of the e2e
  # suite, on Debian's Python; the seed's Selenium CLI for make bench.
  for m in flask:python3-flask requests_oauthlib:python3-requests-oauthlib jwt:python3-jwt \
           cryptography:python3-cryptography fastapi:python3-fastapi uvicorn:python3-uvicorn \
           authlib:python3-authlib itsdangerous:python3-itsdangerous httpx:python3-httpx \
           selenium:python3-selenium; do
    /usr/bin/python3 -c "import ${m%%:*}" >/dev/null 2>&1 || pkgs+=("${m#*:}")
  done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "deps: error: Go is not installed; get Go 1.25 or newer from https://go.dev/dl/" >&2
  exit 1
fi
[ ${#pkgs[@]} -eq 0 ] && exit 0

mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
echo "deps: installing ${pkgs[*]} (apt-get)" >&2
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${pkgs[@]}" >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${pkgs[@]}" >/dev/null
else
  echo "deps: error: missing ${pkgs[*]}" >&2
  echo "deps: hint: run: sudo apt-get install -y ${pkgs[*]}" >&2
  exit 1
fi
