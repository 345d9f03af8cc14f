#!/usr/bin/env bash
# Usage: NAME=value … deploy/render.sh TEMPLATE > OUTPUT
#
# Prints TEMPLATE with each placeholder (a name in capitals between @ signs) replaced by the
# environment variable of that name. Fails, printing nothing, if the template names a variable
# that is unset or empty: a half-filled file never gets installed. tests/deploy/test_deploy.py renders
# the shipped nginx site with it.
set -euo pipefail

[ "$#" -eq 1 ] || { echo "usage: NAME=value … $0 TEMPLATE" >&2; exit 2; }
template="$1"
text="$(cat "$template")"
missing=()
for name in $(grep -o '@[A-Z][A-Z0-9_]*@' "$template" | sort -u | tr -d @); do
    value="${!name:-}"
    if [ -z "$value" ]; then
        missing+=("$name")
        continue
    fi
    text="${text//@${name}@/${value}}"
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "render.sh: set ${missing[*]} for $template" >&2
    exit 1
fi
printf '%s\n' "$text"
