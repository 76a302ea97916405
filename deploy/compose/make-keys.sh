#!/usr/bin/env bash
# Creates the CURVE keys the compose file's secrets point at, in ./keys next to this script:
#   keys/router/{public,secret}.key   the router's pair
#   keys/worker/{public,secret}.key   the pair every worker replica shares
#   keys/allowed-workers              the allow-list (the worker public key)
# Keys are made by `switchyard keygen` inside the image (so no local build is needed) and owned by
# uid 10001, the image's user: the containers can read the secret keys, other host users cannot
# (read them with sudo). Existing keys are kept; delete ./keys to rotate them.
#
#   ./make-keys.sh [IMAGE]      (default: $SWITCHYARD_IMAGE or switchyard:latest; builds it if missing)
set -euo pipefail
cd "$(dirname "$0")"
image="${1:-${SWITCHYARD_IMAGE:-switchyard:latest}}"

if [ -f keys/router/secret.key ] && [ -f keys/worker/secret.key ] && [ -f keys/allowed-workers ]; then
    echo "make-keys: keys/ already has the keys; delete it to make new ones"
    exit 0
fi
if ! docker image inspect "$image" >/dev/null 2>&1; then
    echo "make-keys: building $image"
    docker build -f Dockerfile -t "$image" ../..
fi
mkdir -p keys
# As root inside the container only to hand the files to uid 10001 afterwards.
docker run --rm --user 0:0 --entrypoint /bin/sh -v "$PWD/keys:/keys" "$image" -c '
    set -e
    switchyard keygen --out /keys/router >/dev/null
    switchyard keygen --out /keys/worker >/dev/null
    cp /keys/worker/public.key /keys/allowed-workers
    chown -R 10001:10001 /keys
    chmod 0755 /keys /keys/router /keys/worker
    chmod 0644 /keys/router/public.key /keys/worker/public.key /keys/allowed-workers
    chmod 0600 /keys/router/secret.key /keys/worker/secret.key
'
echo "make-keys: router public key $(cat keys/router/public.key)"
echo "make-keys: worker public key $(cat keys/worker/public.key) (in keys/allowed-workers)"
