#!/usr/bin/env python3
"""Greedy probes for the multi-host test: the same fixed prompts, again and again, through a cluster.

  cluster_probe.py probe --url URL [--model NAME] --prompts FILE --max-tokens N --stop-file F --out OUT.jsonl [--deadline S]
      Sends every prompt of FILE (one JSON token-id array per line) to URL's /v1/completions with
      temperature 0, in rounds, until F exists (then it finishes the round) or S seconds pass.
      Writes one JSON line per request: round, prompt index, token ids, finish reason or the error.
  cluster_probe.py compare --reference DIR --results OUT.jsonl
      DIR holds N.json from `switchyard generate --json` for prompt N. Prints one line per mismatch
      or failed request and exits 1 if there is any, 0 when every answer equals its reference.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request


def post(url, body, timeout):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def model_name(url, timeout):
    with urllib.request.urlopen(f"{url}/v1/models", timeout=timeout) as response:
        return json.load(response)["data"][0]["id"]


def probe(args):
    prompts = [json.loads(line) for line in open(args.prompts) if line.strip()]
    started = time.monotonic()
    model = args.model or model_name(args.url, args.timeout)
    with open(args.out, "w") as out:
        round_number = 0
        while True:
            for index, prompt in enumerate(prompts):
                body = {"model": model, "prompt": prompt, "max_tokens": args.max_tokens, "temperature": 0,
                        "return_token_ids": True}
                record = {"round": round_number, "prompt": index, "at": round(time.monotonic() - started, 3)}
                try:
                    choice = post(f"{args.url}/v1/completions", body, args.timeout)["choices"][0]
                    record.update(token_ids=choice["token_ids"], finish_reason=choice["finish_reason"])
                except urllib.error.HTTPError as error:
                    record["error"] = f"HTTP {error.code}: {error.read().decode(errors='replace')[:300]}"
                except Exception as error:  # a refused connection or timeout is a failed probe, not a crash
                    record["error"] = f"{type(error).__name__}: {error}"
                out.write(json.dumps(record) + "\n")
                out.flush()
            round_number += 1
            if os.path.exists(args.stop_file) or time.monotonic() - started > args.deadline:
                return 0


def compare(args):
    records = [json.loads(line) for line in open(args.results) if line.strip()]
    if not records:
        print("no probe answers recorded")
        return 1
    problems = 0
    for record in records:
        where = f"round {record['round']} prompt {record['prompt']} (t={record['at']}s)"
        if "error" in record:
            print(f"{where}: failed: {record['error']}")
            problems += 1
            continue
        reference = json.load(open(os.path.join(args.reference, f"{record['prompt']}.json")))
        if record["token_ids"] != reference["token_ids"]:
            first = next((i for i, (a, b) in enumerate(zip(record["token_ids"], reference["token_ids"])) if a != b),
                         min(len(record["token_ids"]), len(reference["token_ids"])))
            print(f"{where}: cluster {record['token_ids']} != single-process {reference['token_ids']} (first difference at {first})")
            problems += 1
        elif record["finish_reason"] != reference["finish_reason"]:
            print(f"{where}: finish_reason {record['finish_reason']} != {reference['finish_reason']}")
            problems += 1
    rounds = 1 + max(record["round"] for record in records)
    print(f"{len(records)} probe answers over {rounds} rounds, {problems} wrong or failed")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("probe")
    p.add_argument("--url", required=True)
    p.add_argument("--prompts", required=True)
    p.add_argument("--max-tokens", type=int, required=True)
    p.add_argument("--stop-file", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--model", help="model name to send (default: the first of GET /v1/models)")
    p.add_argument("--deadline", type=float, default=300)
    p.add_argument("--timeout", type=float, default=60)
    c = commands.add_parser("compare")
    c.add_argument("--reference", required=True)
    c.add_argument("--results", required=True)
    args = parser.parse_args()
    return probe(args) if args.command == "probe" else compare(args)


if __name__ == "__main__":
    sys.exit(main())
