#!/usr/bin/env bash
# Runs CMD behind an HTTP Digest front: Debian's Apache (mod_auth_digest, MD5, qop=auth) as a
# reverse proxy on 127.0.0.1 in front of the Radicale that tests/servers/servers.py started
# (DAVKIT_RADICALE_URL/USER/PASSWORD), with a nonce lifetime of 2 s so a stale nonce can be
# seen. Exports DAVKIT_DIGEST_URL (the proxy), DAVKIT_DIGEST_OTHER_URL (a second, equally
# protected origin on another port), DAVKIT_DIGEST_USER and DAVKIT_DIGEST_PASSWORD, runs CMD,
# then stops Apache (by its pid) and removes its temp dir. Usage:
#   python3 tests/servers/servers.py --only radicale run -- bash scripts/digest-proxy.sh CMD...
# Installs apache2 with apt-get when it is missing. Loopback only.
set -euo pipefail
: "${DAVKIT_RADICALE_URL:?run me under tests/servers/servers.py}"
if ! command -v apache2 >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends apache2 >/dev/null
fi
tmp=$(mktemp -d /tmp/davkit-digest-XXXX)
chmod 755 "$tmp"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
p1=$(port)
p2=$(port)
realm="davkit digest"
user=digest-user
password="digest pw $(date +%s%N)"
ha1=$(printf '%s' "$user:$realm:$password" | md5sum | cut -c1-32)
printf '%s:%s:%s\n' "$user" "$realm" "$ha1" > "$tmp/htdigest"
chmod 644 "$tmp/htdigest"
backend_auth=$(printf '%s' "$DAVKIT_RADICALE_USER:$DAVKIT_RADICALE_PASSWORD" | base64 -w0)
mods=/usr/lib/apache2/modules
cat > "$tmp/httpd.conf" <<EOF
ServerRoot "$tmp"
ServerName 127.0.0.1
PidFile "$tmp/httpd.pid"
ErrorLog "$tmp/error.log"
LogLevel warn
Listen 127.0.0.1:$p1
Listen 127.0.0.1:$p2
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule authn_core_module $mods/mod_authn_core.so
LoadModule authn_file_module $mods/mod_authn_file.so
LoadModule auth_digest_module $mods/mod_auth_digest.so
LoadModule authz_user_module $mods/mod_authz_user.so
LoadModule headers_module $mods/mod_headers.so
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_http_module $mods/mod_proxy_http.so
LoadModule alias_module $mods/mod_alias.so
$( [ "$(id -u)" = 0 ] && printf 'User www-data\nGroup www-data\n' )
<Location "/">
  AuthType Digest
  AuthName "$realm"
  AuthDigestDomain "/"
  AuthDigestProvider file
  AuthUserFile "$tmp/htdigest"
  AuthDigestNonceLifetime 2
  Require valid-user
  # Radicale behind the proxy knows its own user, with Basic on loopback.
  RequestHeader set Authorization "Basic $backend_auth"
</Location>
# A redirect to the other origin, where the credentials must not follow.
Redirect 302 "/elsewhere/" "http://127.0.0.1:$p2/"
ProxyPass "/elsewhere/" "!"
ProxyPass "/" "${DAVKIT_RADICALE_URL%/}/"
ProxyPassReverse "/" "${DAVKIT_RADICALE_URL%/}/"
EOF
apache2 -f "$tmp/httpd.conf" -DFOREGROUND &
pid=$!
up=""
for _ in $(seq 1 100); do
  if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$p1),0.2); socket.create_connection(('127.0.0.1',$p2),0.2)" 2>/dev/null; then up=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$up" ]; then
  echo "apache2 did not start" >&2
  tail -20 "$tmp/error.log" >&2 2>/dev/null || true
  exit 125
fi
export DAVKIT_DIGEST_URL="http://127.0.0.1:$p1/"
export DAVKIT_DIGEST_OTHER_URL="http://127.0.0.1:$p2/"
export DAVKIT_DIGEST_USER="$user"
export DAVKIT_DIGEST_PASSWORD="$password"
echo "apache2 (Digest, MD5) on $DAVKIT_DIGEST_URL and $DAVKIT_DIGEST_OTHER_URL -> $DAVKIT_RADICALE_URL"
set +e
"$@"
rc=$?
set -e
if [ "$rc" != 0 ]; then tail -20 "$tmp/error.log" >&2 || true; fi
exit "$rc"
