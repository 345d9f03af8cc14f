#!/usr/bin/env bash
# Usage: scripts/ensure-nginx.sh
#
# The deployment test (tests/deploy/test_deploy.py, `make test-deploy`) runs Debian's nginx with the
# shipped site config. If no nginx binary is found, install Debian's `nginx` package with
# apt-get (its service is not started or needed: the test runs its own nginx on a free port).
# Exits non-zero if nginx is still missing afterwards: the test then fails, never skips.
set -euo pipefail

log() { echo "ensure-nginx: $*" >&2; }

find_nginx() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }; }

if find_nginx >/dev/null; then
    exit 0
fi

log "nginx not found; installing Debian package 'nginx'"
if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
"${SUDO[@]}" apt-get update -qq || log "warning: apt-get update failed; trying install anyway"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    nginx </dev/null >&2 || log "warning: apt-get install nginx failed"

if ! find_nginx >/dev/null; then
    log "ERROR: nginx still missing; the deployment test will fail"
    exit 1
fi
log "installed $("$(find_nginx)" -v 2>&1)"
