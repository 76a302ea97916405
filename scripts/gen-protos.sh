#!/usr/bin/env bash
# Regenerates Sources/SwitchyardWire/Generated/*.pb.swift from protos/switchyard/v1/*.proto.
#
#   scripts/gen-protos.sh           regenerate in place
#   scripts/gen-protos.sh --check   regenerate into a temp dir; exit 1 when the committed files are stale
#
# Needs protoc (installed from Debian's protobuf-compiler when missing) and protoc-gen-swift, built
# from the swift-protobuf dependency into .build/release when missing. PROTOC and
# PROTOC_GEN_SWIFT override both paths.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
proto_root="$root/protos"
proto_dir="$proto_root/switchyard/v1"
out_dir="$root/Sources/SwitchyardWire/Generated"

mode=generate
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "gen-protos: unknown argument '$1' (use --check or nothing)" >&2; exit 2 ;;
esac

protoc="${PROTOC:-$(command -v protoc || true)}"
if [[ -z "$protoc" ]]; then
  echo "gen-protos: protoc not found; installing protobuf-compiler with apt-get" >&2
  sudo_cmd=""
  if [[ "$(id -u)" != 0 ]]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq protobuf-compiler >&2
  protoc="$(command -v protoc)"
fi

plugin="${PROTOC_GEN_SWIFT:-$root/.build/release/protoc-gen-swift}"
if [[ ! -x "$plugin" ]]; then
  echo "gen-protos: building protoc-gen-swift (swift build -c release --product protoc-gen-swift)" >&2
  (cd "$root" && swift build -c release --product protoc-gen-swift >&2)
  plugin="$root/.build/release/protoc-gen-swift"
fi

shopt -s nullglob
protos=("$proto_dir"/*.proto)
if (( ${#protos[@]} == 0 )); then
  echo "gen-protos: no .proto files under $proto_dir" >&2
  exit 1
fi

generate_into() {
  "$protoc" \
    --plugin=protoc-gen-swift="$plugin" \
    --proto_path="$proto_root" \
    --swift_out="$1" \
    --swift_opt=Visibility=Public \
    --swift_opt=FileNaming=DropPath \
    "${protos[@]}"
}

if [[ "$mode" == generate ]]; then
  mkdir -p "$out_dir"
  rm -f "$out_dir"/*.pb.swift
  generate_into "$out_dir"
  echo "gen-protos: wrote $(cd "$out_dir" && ls *.pb.swift | tr '\n' ' ')to ${out_dir#"$root"/}"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
generate_into "$tmp"
mkdir -p "$out_dir"
stale=0
for f in "$tmp"/*.pb.swift; do
  name="$(basename "$f")"
  if [[ ! -f "$out_dir/$name" ]]; then
    echo "gen-protos: missing generated file Sources/SwitchyardWire/Generated/$name" >&2
    stale=1
  elif ! diff -u "$out_dir/$name" "$f" > "$tmp/$name.diff"; then
    echo "gen-protos: stale Sources/SwitchyardWire/Generated/$name:" >&2
    head -n 40 "$tmp/$name.diff" >&2
    stale=1
  fi
done
for f in "$out_dir"/*.pb.swift; do
  name="$(basename "$f")"
  if [[ ! -f "$tmp/$name" ]]; then
    echo "gen-protos: Sources/SwitchyardWire/Generated/$name has no .proto any more" >&2
    stale=1
  fi
done
if (( stale )); then
  echo "gen-protos: generated Swift is stale; run scripts/gen-protos.sh and commit the result" >&2
  exit 1
fi
echo "gen-protos: generated Swift is up to date (${#protos[@]} protos)"
