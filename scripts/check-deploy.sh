#!/usr/bin/env bash
# Static checks of deploy/ (run by scripts/test.sh), installing missing Debian tools first:
#   yaml        yamllint on every manifest (deploy/.yamllint)
#   compose     docker-compose config -q on deploy/compose/compose.yaml (no daemon needed)
#   kubernetes  kubectl kustomize of both variants (offline); kubectl apply --dry-run=client
#               --validate=false when a cluster answers (client dry-run needs API discovery, so it
#               is skipped without one); schema validation with kubernetes-validate (PyPI, in a venv
#               under .build/) when it can be installed, including LeaderWorkerSet pod templates
#   systemd     systemd-analyze verify of the units inside a temporary root that holds the unit
#               search path, a stub /usr/local/bin/switchyard (or the built binary) and /bin/kill,
#               so ExecStart= is checked against the installed layout without installing anything;
#               any message is a failure (verify exits 0 on unknown keys and bad values)
#   scripts     bash -n / sh -n on deploy's scripts, shellcheck when present
#   dockerfile  every COPY source of the Dockerfile exists
#   probe       deploy/bin/switchyard-worker-ready against a fake /v1/cluster
#   secret      deploy/kubernetes/make-secret.sh renders a valid Secret (needs the binary)
#   local       deploy/local/cluster.sh starts a CURVE cluster on a tiny model, becomes healthy,
#               stops on SIGTERM (needs the binary)
# Then negative controls: each static check is run on a broken copy and must fail.
#
#   scripts/check-deploy.sh [PATH/TO/switchyard]
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
bin="${1:-}"

work="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-check-deploy.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- tools -------------------------------------------------------------------------------------
install_missing() {
    command -v apt-get >/dev/null 2>&1 || return 0
    local wanted=() sudo_cmd=""
    command -v yamllint >/dev/null 2>&1 || wanted+=(yamllint)
    command -v docker-compose >/dev/null 2>&1 || wanted+=(docker-compose)
    command -v shellcheck >/dev/null 2>&1 || wanted+=(shellcheck)
    python3 -c 'import ensurepip' >/dev/null 2>&1 || wanted+=(python3-venv)
    ((${#wanted[@]})) || return 0
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    echo "check-deploy: installing ${wanted[*]}"
    if ! DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null 2>&1; then
        $sudo_cmd apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
    fi
}
install_missing

# kubernetes-validate carries the Kubernetes JSON schemas, so it validates offline.
kube_validate=""
setup_kube_validate() {
    local venv="$repo/.build/check-deploy-venv"
    if [ -x "$venv/bin/kubernetes-validate" ]; then kube_validate="$venv/bin/kubernetes-validate"; return; fi
    if python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q kubernetes-validate >/dev/null 2>&1; then
        kube_validate="$venv/bin/kubernetes-validate"
    else
        echo "check-deploy: kubernetes-validate unavailable (no venv or no PyPI); schema checks skipped"
    fi
}
setup_kube_validate

failures=0
skipped=()
# Runs a check in a subshell with errexit in force (a function called as an `if` condition would
# run with errexit off, so a failing command inside could pass unnoticed).
run_check() {
    local name="$1"; shift
    local log="$work/$name.log" start=$SECONDS status=0
    set +e
    ( set -e; "$@" ) > "$log" 2>&1
    status=$?
    set -e
    if [ "$status" = 0 ]; then
        echo "  ok    $name ($((SECONDS - start)) s)"
    else
        echo "  FAIL  $name"
        sed 's/^/        /' "$log"
        failures=$((failures + 1))
    fi
}
require() { command -v "$1" >/dev/null 2>&1 || { echo "$1 is not installed"; return 1; }; }
have() { command -v "$1" >/dev/null 2>&1; }

# --- checks (each takes the tree to check, so the negative controls can point it at a copy) ----
yaml_files() { find "$1" -name '*.yaml' -o -name '*.yml' | sort; }

check_yaml() {
    require yamllint
    # shellcheck disable=SC2046
    yamllint --strict -c "$1/.yamllint" $(yaml_files "$1")
}

check_compose() {
    if command -v docker-compose >/dev/null 2>&1; then
        docker-compose -f "$1/compose/compose.yaml" config -q
        docker-compose -f "$1/compose/compose.yaml" --env-file "$1/compose/env.example" config -q
    else
        echo "docker-compose is not installed"; return 1
    fi
}

# Renders a kustomization to stdout; without kubectl, the manifests it lists directly and through
# its bases (no namespace or other transformations), which is enough for schema validation.
render() {
    if have kubectl; then kubectl kustomize "$1"; return; fi
    python3 - "$1" <<'PY'
import os, sys, yaml
def manifests(directory):
    kustomization = yaml.safe_load(open(os.path.join(directory, "kustomization.yaml")))
    for entry in kustomization.get("resources", []):
        path = os.path.normpath(os.path.join(directory, entry))
        if os.path.isdir(path):
            yield from manifests(path)
        else:
            yield path
for path in manifests(sys.argv[1]):
    print("---")
    print(open(path).read())
PY
}

# The pod templates inside LeaderWorkerSets, as Pods, so their schema is checked too.
lws_pods() {
    python3 - "$1" <<'PY'
import sys, yaml
pods = []
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if not doc or doc.get("kind") != "LeaderWorkerSet":
        continue
    template = doc["spec"]["leaderWorkerTemplate"]
    for role in ("leaderTemplate", "workerTemplate"):
        if role in template:
            t = template[role]
            pods.append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": dict(t.get("metadata", {}), name=doc["metadata"]["name"] + "-" + role.lower()),
                         "spec": t["spec"]})
print(yaml.safe_dump_all(pods))
PY
}

# Schema validation; a missing schema is only acceptable for the LeaderWorkerSet CRD (its pod
# templates are validated as Pods instead).
validate_schema() {
    local output status=0
    output="$("$kube_validate" --strict --quiet "$1" 2>&1)" || status=$?
    output="$(printf '%s\n' "$output" | grep -v "Couldn't find schema for kind LeaderWorkerSet" | grep . || true)"
    if [ -n "$output" ]; then echo "$output"; return 1; fi
    return "$status"
}

check_kubernetes() {
    local tree="$1" variant rendered
    for variant in "$tree/kubernetes" "$tree/kubernetes/leaderworkerset"; do
        rendered="$work/$(basename "$variant").rendered.yaml"
        render "$variant" > "$rendered"
        grep -q '^kind: ' "$rendered" || { echo "$variant renders nothing"; return 1; }
        if have kubectl && kubectl get --raw /version --request-timeout=3s >/dev/null 2>&1; then
            kubectl apply --dry-run=client --validate=false -f "$rendered"
        fi
        if [ -n "$kube_validate" ]; then
            validate_schema "$rendered"
            lws_pods "$rendered" > "$rendered.pods"
            if grep -q '^kind: Pod' "$rendered.pods"; then validate_schema "$rendered.pods"; fi
        fi
    done
    # The Secret example is not in the kustomization (placeholders) but must still be a valid Secret.
    if [ -n "$kube_validate" ]; then validate_schema "$tree/kubernetes/secret.example.yaml"; fi
}

check_systemd() {
    local tree="$1" root="$work/systemd-root"
    require systemd-analyze
    rm -rf "$root"
    mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system" "$root/usr/local/bin" "$root/bin"
    cp -a /lib/systemd/system "$root/usr/lib/systemd/"
    if [ -n "$bin" ] && [ -x "$bin" ]; then cp "$bin" "$root/usr/local/bin/switchyard"
    else printf '#!/bin/sh\nexit 0\n' > "$root/usr/local/bin/switchyard"; chmod +x "$root/usr/local/bin/switchyard"
    fi
    cp /bin/kill "$root/bin/kill"
    cp "$tree"/systemd/*.service "$root/etc/systemd/system/"
    local output
    output="$(systemd-analyze verify --root="$root" switchyard-router.service switchyard-worker@a.service 2>&1)" || { echo "$output"; return 1; }
    # verify reports unknown keys and unparsable values but still exits 0.
    if [ -n "$output" ]; then echo "$output"; return 1; fi
    # Every unit's EnvironmentFile= has an example next to it.
    [ -f "$tree/systemd/router.env.example" ] && [ -f "$tree/systemd/worker.env.example" ]
}

script_files() { find "$1" -type f \( -name '*.sh' -o -path '*/bin/*' \) | sort; }

check_scripts() {
    local file
    for file in $(script_files "$1"); do
        case "$(head -1 "$file")" in
            *bash*) bash -n "$file" ;;
            *sh*) sh -n "$file" ;;
            *) echo "$file: no shell shebang"; return 1 ;;
        esac
        [ -x "$file" ] || { echo "$file is not executable"; return 1; }
    done
    if command -v shellcheck >/dev/null 2>&1; then
        # shellcheck disable=SC2046
        shellcheck $(script_files "$1")
    fi
}

check_dockerfile() {
    local dockerfile="$1/compose/Dockerfile" source
    [ -f "$dockerfile" ] || { echo "no $dockerfile"; return 1; }
    if ! grep -q '^FROM .* AS build' "$dockerfile" || ! grep -q '^FROM .* AS runtime' "$dockerfile"; then echo "not multi-stage"; return 1; fi
    grep -q '^USER ' "$dockerfile" || { echo "runs as root"; return 1; }
    while read -r source; do
        [ -e "$repo/$source" ] || { echo "COPY $source: no such path in the repository"; return 1; }
    done < <(grep -E '^COPY ' "$dockerfile" | grep -v -- '--from=' | awk '{ for (i = 2; i < NF; i++) print $i }')
}

# The readiness probe script against a fake router (python's http.server serving /v1/cluster).
check_probe() {
    local site="$work/fake-router" port pid status=0
    mkdir -p "$site/v1"
    printf '{"status":"ok","ready":true,"workers":[{"id":"switchyard-worker-0","experts":4,"target_experts":4},{"id":"switchyard-worker-1","experts":0,"target_experts":4}]}' > "$site/v1/cluster"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    python3 -m http.server "$port" --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/v1/cluster" >/dev/null 2>&1 && break; sleep 0.1; done
    local probe="$repo/deploy/bin/switchyard-worker-ready"
    "$probe" "http://127.0.0.1:$port" switchyard-worker-0 || { echo "registered worker with experts: not ready"; status=1; }
    if "$probe" "http://127.0.0.1:$port" switchyard-worker-1 2>/dev/null; then echo "worker without experts: ready"; status=1; fi
    if "$probe" "http://127.0.0.1:$port" switchyard-worker 2>/dev/null; then echo "id prefix matched"; status=1; fi
    if "$probe" "http://127.0.0.1:$port" switchyard-worker-. 2>/dev/null; then echo "id treated as a pattern"; status=1; fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if "$probe" "http://127.0.0.1:$port" switchyard-worker-0 2>/dev/null; then echo "router down: ready"; status=1; fi
    return "$status"
}

check_secret() {
    local out="$work/secret.yaml"
    deploy/kubernetes/make-secret.sh --bin "$bin" --keys-dir "$work/k8s-keys" > "$out"
    for key in router.secret.key router.public.key worker.secret.key allowed-workers; do
        grep -q "^  $key: " "$out" || { echo "Secret has no $key"; cat "$out"; return 1; }
    done
    if [ -n "$kube_validate" ]; then validate_schema "$out"; fi
    # Rerunning keeps the keys.
    deploy/kubernetes/make-secret.sh --bin "$bin" --keys-dir "$work/k8s-keys" | cmp - "$out"
}

check_local() {
    local model="$work/tiny" port zmq pid
    "$bin" init-model --family mixtral --preset tiny --seed 5 --out "$model" >/dev/null
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    zmq="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    deploy/local/cluster.sh --bin "$bin" --model "$model" --workers 2 --port "$port" --zmq-port "$zmq" \
        --run-dir "$work/local" > "$work/local.out" 2>&1 &
    pid=$!
    local healthy=0
    for _ in $(seq 1 600); do
        if grep -q "healthy: every expert" "$work/local.out" 2>/dev/null; then healthy=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    local cluster=""
    [ "$healthy" = 1 ] && cluster="$(curl -fs "http://127.0.0.1:$port/v1/cluster")"
    kill -TERM "$pid" 2>/dev/null || true
    local status=0
    wait "$pid" || status=$?
    cat "$work/local.out"
    [ "$healthy" = 1 ] || { echo "never healthy"; tail -n 20 "$work/local/logs/"*.log; return 1; }
    case "$cluster" in *'"worker-1"'*'"worker-2"'*) ;; *) echo "workers missing from /v1/cluster: $cluster"; return 1 ;; esac
    grep -q "encrypted with CURVE" "$work/local/logs/router.log" || { echo "router did not use CURVE"; return 1; }
    [ "$status" = 143 ] || { echo "cluster.sh exited $status on SIGTERM, expected 143"; return 1; }
    if pgrep -f "$work/tiny" >/dev/null 2>&1; then echo "processes left running"; return 1; fi
}

echo "== deploy/: static checks"
# A tool that is missing (and could not be installed) skips its check, with a line saying so.
if have yamllint; then run_check yaml check_yaml "$repo/deploy"; else skipped+=("yaml (no yamllint)"); fi
if have docker-compose; then run_check compose check_compose "$repo/deploy"; else skipped+=("compose (no docker-compose)"); fi
have kubectl || skipped+=("kubectl kustomize (no kubectl; manifests validated unrendered)")
if have kubectl && ! kubectl get --raw /version --request-timeout=3s >/dev/null 2>&1; then
    skipped+=("kubectl apply --dry-run=client (no cluster to discover the API from)")
fi
[ -n "$kube_validate" ] || skipped+=("kubernetes schemas (no kubernetes-validate)")
if have kubectl || [ -n "$kube_validate" ]; then run_check kubernetes check_kubernetes "$repo/deploy"; fi
if have systemd-analyze && [ -d /lib/systemd/system ]; then run_check systemd check_systemd "$repo/deploy"
else skipped+=("systemd (no systemd-analyze)"); fi
have shellcheck || skipped+=("shellcheck (not installed; bash -n and sh -n only)")
run_check scripts check_scripts "$repo/deploy"
run_check dockerfile check_dockerfile "$repo/deploy"
if have curl; then run_check probe check_probe; else skipped+=("probe (no curl)"); fi
if [ -n "$bin" ] && [ -x "$bin" ]; then
    if have kubectl; then run_check secret check_secret; else skipped+=("secret (no kubectl)"); fi
    if have curl; then run_check local check_local; else skipped+=("local (no curl)"); fi
else
    skipped+=("secret, local (no switchyard binary given)")
fi

# --- negative controls: every static check must catch a broken file -------------------------
echo "== deploy/: each check fails on a broken copy"
broken_copy() {
    local copy="$work/broken-$1"
    rm -rf "$copy"; cp -a "$repo/deploy" "$copy"
    echo "$copy"
}
# Replaces OLD by NEW in FILE; fails when OLD is not there (a control that breaks nothing would
# pass vacuously).
replace_in() {
    python3 - "$@" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
if old not in text:
    sys.exit(f"negative control: {old!r} not found in {path}")
open(path, "w").write(text.replace(old, new, 1))
PY
}
expect_failure() {
    local name="$1" check="$2" copy="$3" status=0
    set +e
    ( set -e; "$check" "$copy" ) > "$work/negative-$check.log" 2>&1
    status=$?
    set -e
    if [ "$status" = 0 ]; then
        echo "  FAIL  $name: $check passed on a broken copy"
        failures=$((failures + 1))
    else
        echo "  ok    $name is caught: $(grep -m1 . "$work/negative-$check.log" | cut -c1-110)"
    fi
}
if have yamllint; then
    copy="$(broken_copy yaml)"; printf 'data:\n  a: 1\n  a: 2\n' >> "$copy/kubernetes/common/configmap.yaml"
    expect_failure "duplicate YAML key" check_yaml "$copy"
fi
if have docker-compose; then
    copy="$(broken_copy compose)"; replace_in "$copy/compose/compose.yaml" $'\n  router:\n' $'\n  router:\n    restrat: always\n'
    expect_failure "unknown compose service key" check_compose "$copy"
fi
if have kubectl; then
    copy="$(broken_copy kustomize)"; replace_in "$copy/kubernetes/statefulset/kustomization.yaml" "- worker.yaml" "- workers.yaml"
    expect_failure "missing kustomize resource" check_kubernetes "$copy"
fi
if [ -n "$kube_validate" ]; then
    copy="$(broken_copy schema)"; replace_in "$copy/kubernetes/statefulset/worker.yaml" "  replicas: 2" "  replicas: two"
    expect_failure "StatefulSet replicas not a number" check_kubernetes "$copy"
    copy="$(broken_copy lws)"; replace_in "$copy/kubernetes/leaderworkerset/leaderworkerset.yaml" "terminationGracePeriodSeconds: 20" "terminationGracePeriod: 20"
    expect_failure "unknown field in a LeaderWorkerSet pod template" check_kubernetes "$copy"
fi
if have systemd-analyze && [ -d /lib/systemd/system ]; then
    copy="$(broken_copy systemd)"; replace_in "$copy/systemd/switchyard-router.service" "Restart=always" "Restat=always"
    expect_failure "misspelled unit key" check_systemd "$copy"
    copy="$(broken_copy systemd-exec)"; replace_in "$copy/systemd/switchyard-worker@.service" "ExecStart=/usr/local/bin/switchyard " "ExecStart=/usr/local/bin/switchyardd "
    expect_failure "ExecStart binary that does not exist" check_systemd "$copy"
fi
copy="$(broken_copy scripts)"; printf 'if [ 1 ]; then\n' >> "$copy/local/cluster.sh"
expect_failure "shell syntax error" check_scripts "$copy"
copy="$(broken_copy dockerfile)"; replace_in "$copy/compose/Dockerfile" "COPY Sources Sources" "COPY Source Sources"
expect_failure "Dockerfile COPY of a missing path" check_dockerfile "$copy"

for skip in "${skipped[@]}"; do echo "  skip  $skip"; done
if [ "$failures" -gt 0 ]; then
    echo "check-deploy: $failures check(s) failed" >&2
    exit 1
fi
echo "check-deploy: all deploy checks passed"
