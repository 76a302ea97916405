#!/usr/bin/env bash
# Generates CURVE keys with `switchyard keygen` and prints the switchyard-keys Secret as YAML
# (apply it with `| kubectl apply -f -`). Keys stay in KEYS_DIR (default .run/kubernetes-keys,
# mode 0700) so a rerun prints the same Secret; delete the directory to rotate.
#
#   deploy/kubernetes/make-secret.sh [--bin PATH] [--keys-dir DIR] [--namespace NS] [--api-key-file FILE]
#
# Workers share one key pair (a StatefulSet's pods share one template, so each pod would see every
# worker's secret anyway); the allow-list holds its public key. Extra workers outside the cluster
# get their own pair: append their public key to allowed-workers, re-create the Secret and send
# the router SIGHUP (`kubectl -n switchyard exec deploy/switchyard-router -- kill -HUP 1`) once the
# kubelet has updated the mounted file.
set -euo pipefail

bin="${SWITCHYARD_BIN:-}"
keys=".run/kubernetes-keys"
namespace=switchyard
api_key_file=""
need_value() { [ "$#" -ge 2 ] || { echo "make-secret.sh: $1 needs a value" >&2; exit 2; }; }
while [ "$#" -gt 0 ]; do
    case "$1" in
        --bin) need_value "$@"; bin="$2"; shift 2 ;;
        --keys-dir) need_value "$@"; keys="$2"; shift 2 ;;
        --namespace) need_value "$@"; namespace="$2"; shift 2 ;;
        --api-key-file) need_value "$@"; api_key_file="$2"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "make-secret.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
repo="$(cd "$(dirname "$0")/../.." && pwd)"
if [ -z "$bin" ]; then
    for candidate in "$repo/.build/release/switchyard" "$repo/.build/debug/switchyard" "$(command -v switchyard || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then bin="$candidate"; break; fi
    done
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "make-secret.sh: no switchyard binary (pass --bin)" >&2; exit 1; fi
command -v kubectl >/dev/null || { echo "make-secret.sh: needs kubectl (it renders the Secret offline)" >&2; exit 1; }
if [ -n "$api_key_file" ] && [ ! -s "$api_key_file" ]; then
    echo "make-secret.sh: --api-key-file $api_key_file is missing or empty" >&2; exit 1
fi

mkdir -p "$keys"
chmod 0700 "$keys"
for name in router worker; do
    [ -f "$keys/$name/secret.key" ] || "$bin" keygen --out "$keys/$name" >/dev/null
done
cp "$keys/worker/public.key" "$keys/allowed-workers"

args=(--from-file=router.secret.key="$keys/router/secret.key"
      --from-file=router.public.key="$keys/router/public.key"
      --from-file=worker.secret.key="$keys/worker/secret.key"
      --from-file=allowed-workers="$keys/allowed-workers")
if [ -n "$api_key_file" ]; then args+=(--from-file=api-key="$api_key_file"); fi
kubectl create secret generic switchyard-keys --namespace "$namespace" "${args[@]}" --dry-run=client -o yaml
