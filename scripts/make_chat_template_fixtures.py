#!/usr/bin/env python3
"""Regenerate the chat-template fixtures used by ChatTemplateTests.

Renders every template in Tests/SwitchyardTokenizerTests/Fixtures/chat_templates/templates/ with
Python Jinja2 configured exactly like transformers'
`utils/chat_template_utils.py::_compile_jinja_template` (ImmutableSandboxedEnvironment,
trim_blocks, lstrip_blocks, loopcontrols, a `generation` block tag that just renders
its body, the custom `tojson` filter, `raise_exception` and `strftime_now` globals),
and calls `render` like transformers' `render_jinja_template` does
(messages, tools, documents=None, add_generation_prompt, plus special tokens / kwargs).

Usage (from the package root):
    python3 scripts/make_chat_template_fixtures.py
Writes Tests/SwitchyardTokenizerTests/Fixtures/chat_templates/chat_template_cases.json.
"""

import json
import os
import sys
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "SwitchyardTokenizerTests", "Fixtures", "chat_templates")
TEMPLATES = os.path.join(FIXTURES, "templates")
OUT = os.path.join(FIXTURES, "chat_template_cases.json")

# Fixed clock so `strftime_now` is deterministic; the Swift tests inject the same date.
FIXED_NOW = datetime(2025, 1, 15, 9, 5, 7)
BOS = "<s>"
EOS = "</s>"


class GenerationBlock(Extension):
    """Same parse behaviour as transformers' AssistantTracker: `{% generation %}...{% endgeneration %}`
    renders its body unchanged (tracking is inactive during a plain render)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def compile_template(source):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationBlock, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given city.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature unit"},
            },
            "required": ["location"],
        },
    },
}

TOOL_CALL = {
    "id": "call_0001",
    "type": "function",
    "function": {"name": "get_current_weather", "arguments": {"location": "Paris", "unit": "celsius"}},
}

CASES = [
    {
        "name": "basic_generation_prompt",
        "messages": [
            {"role": "user", "content": "Hello!"},
            {"role": "assistant", "content": "Hi there, how can I help?"},
            {"role": "user", "content": "Tell me a joke about café ☕."},
        ],
        "add_generation_prompt": True,
    },
    {
        "name": "system_multi_turn",
        "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": "What is 2 + 2?"},
            {"role": "assistant", "content": "4"},
            {"role": "user", "content": "And times 3?"},
            {"role": "assistant", "content": "12"},
        ],
        "add_generation_prompt": False,
    },
    {
        "name": "tool_call_roundtrip",
        "messages": [
            {"role": "system", "content": "You can call tools."},
            {"role": "user", "content": "What's the weather in Paris?"},
            {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]},
            {"role": "tool", "tool_call_id": "call_0001", "name": "get_current_weather",
             "content": "{\"temperature\": 22, \"unit\": \"celsius\"}"},
        ],
        "tools": [WEATHER_TOOL],
        "add_generation_prompt": True,
    },
    {
        "name": "tools_no_call",
        "messages": [
            {"role": "user", "content": "Say hi without tools."},
        ],
        "tools": [WEATHER_TOOL],
        "add_generation_prompt": True,
    },
    {
        "name": "thinking_disabled",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Name a colour."},
        ],
        "add_generation_prompt": True,
        "extra": {"enable_thinking": False},
    },
]


def render_case(template, case):
    kwargs = dict(case.get("extra", {}))
    kwargs.setdefault("bos_token", BOS)
    kwargs.setdefault("eos_token", EOS)
    return template.render(
        messages=case["messages"],
        tools=case.get("tools"),
        documents=None,
        add_generation_prompt=case["add_generation_prompt"],
        **kwargs,
    )


def main():
    names = sorted(n for n in os.listdir(TEMPLATES) if n.endswith(".jinja"))
    out = {
        "generator": "scripts/make_chat_template_fixtures.py",
        "jinja2_version": jinja2.__version__,
        "now": FIXED_NOW.strftime("%Y-%m-%dT%H:%M:%S"),
        "bos_token": BOS,
        "eos_token": EOS,
        "cases": [],
    }
    for name in names:
        with open(os.path.join(TEMPLATES, name), encoding="utf-8") as f:
            source = f.read()
        try:
            template = compile_template(source)
            compile_error = None
        except Exception as e:  # noqa: BLE001 - record whatever Jinja2 reports
            template = None
            compile_error = f"{type(e).__name__}: {e}"
        for case in CASES:
            entry = {
                "template": name,
                "case": case["name"],
                "messages": case["messages"],
                "tools": case.get("tools"),
                "add_generation_prompt": case["add_generation_prompt"],
                "extra": case.get("extra", {}),
            }
            if compile_error is not None:
                entry["expected_error"] = compile_error
                entry["error_phase"] = "compile"
            else:
                try:
                    entry["expected"] = render_case(template, case)
                except Exception as e:  # noqa: BLE001
                    entry["expected_error"] = str(e)
                    entry["error_type"] = type(e).__name__
                    entry["error_phase"] = "render"
            out["cases"].append(entry)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    ok = sum(1 for c in out["cases"] if "expected" in c)
    print(f"{len(names)} templates, {len(out['cases'])} cases, {ok} rendered, {len(out['cases']) - ok} errors -> {OUT}")
    for c in out["cases"]:
        if "expected_error" in c:
            print(f"  {c['template']} / {c['case']}: {c.get('error_type', '')} {c['expected_error'][:120]!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
