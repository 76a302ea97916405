#!/usr/bin/env python3
"""Regenerate Tests/SwitchyardTokenizerTests/ChatTemplate/EngineTests.swift: small templates exercising engine
features, with expected output computed by CPython Jinja2 configured as transformers does.
Usage: python3 scripts/make_engine_test_expectations.py
"""
import os
import re
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
import json
from jinja2.sandbox import ImmutableSandboxedEnvironment
import jinja2.ext
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
CTX = {"d": {"b": 1, "a": [1, 2.5, None, True], "s": "x"}, "n": None, "msgs": [{"role": "user", "content": " hi "}, {"role": "assistant", "content": "yo"}]}
groups = {
 "whitespaceControl": [
   "a\n  {% if true %}\nb\n  {% endif %}\nc",
   "a  {%- if true -%}  b  {%- endif -%}  c",
   "x {{- ' y ' -}} z",
   "{% for i in [1,2] %}\n  {{ i }}\n{% endfor %}\n",
   "line1\n    {# comment #}\nline2",
   "a\n  {%+ if true %}b{% endif %}",
   "{% if true +%}\nkept{% endif %}",
   "t\r\nu\n",
 ],
 "loops": [
   "{% for x in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
   "{% for x in [1,2,3] %}{{ loop.previtem }}/{{ loop.nextitem }}|{{ loop.cycle('o','e') }};{% endfor %}",
   "{% for x in [1,2,3,4] if x is even %}{{ x }}@{{ loop.index }}{% endfor %}",
   "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}",
   "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
   "{% for x in [1,2,3,4,5] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}",
   "{% set x = 5 %}{% for i in [1,2] %}[{{ x }}]{% set x = i %}{% endfor %}{{ x }}",
   "{% for c in 'héllo' %}{{ c }}.{% endfor %}",
   "{% for a in [1,2] %}{% for b in 'xy' %}{{ loop.index }}{{ b }}{% endfor %}{{ loop.index }}{% endfor %}",
 ],
 "macrosAndNamespaces": [
   "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }} {{ greet(punct='.', name='Cy') }}",
   "{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}",
   "{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inner{% endcall %}",
   "{% set ns = namespace(count=0, items=[]) %}{% for i in range(3) %}{% set ns.count = ns.count + i %}{% endfor %}{{ ns.count }} {{ ns.items }}",
   "{% set x %}block {{ 1 + 1 }}{% endset %}[{{ x }}]",
   "{% set y | upper %}shout{% endset %}{{ y }}",
   "{% filter upper %}abc {{ 'd' }}{% endfilter %}",
   "{% set a, b = 1, 2 %}{{ a }}{{ b }}",
   "{% if true %}{% set leaked = 'yes' %}{% endif %}{{ leaked }}",
 ],
 "expressions": [
   "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }}",
   "{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 2 }} {{ [1] + [2] }}",
   "{{ 1 < 2 < 3 }} {{ 'b' > 'a' }} {{ 1 == 1.0 }} {{ 'a' in 'cat' }} {{ 3 not in [1, 2] }} {{ 'b' in d }}",
   "{{ 'yes' if n is none else 'no' }}|{{ 'x' if false }}|",
   "{{ none or 'fallback' }} {{ 0 and 'never' }} {{ not [] }}",
   "{{ 'abcdef'[1:4] }} {{ 'abcdef'[::-1] }} {{ [1,2,3,4][-2:] }} {{ [1,2,3,4][::2] }} {{ 'abc'[-1] }}",
   "{{ d.b }} {{ d['a'][1] }} {{ d.missing }}|{{ d.a[10] }}|",
   "{{ 'it''s' }} {{ \"q\\\"t\" }} {{ 'tab\\there' }} {{ 'uni\\u00e9' }}",
   "{{ {'k': (1,), 'l': [none, false]} }} {{ (1, 'two') }} {{ () }}",
   "{{ 1e16 }} {{ 1e-5 }} {{ 0.1 + 0.2 }} {{ 3 / 1 }} {{ 1.5e300 * 1e10 }} {{ 123456789.123 }}",
   "{{ 'x' is string }} {{ 1 is number }} {{ true is number }} {{ true is integer }} {{ d is mapping }} {{ d.a is iterable }} {{ 'ab' is sequence }} {{ n is none }} {{ d.zz is undefined }} {{ 4 is divisibleby 2 }} {{ 3 is odd }} {{ 'a' is in 'abc' }} {{ 1 is equalto 1 }} {{ false is false }} {{ true is boolean }} {{ 1.0 is float }}",
 ],
 "filters": [
   "{{ '  x  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ 'Hello' | length }} {{ d | length }} {{ d.a | count }}",
   "{{ ['a', 'b'] | join(', ') }} {{ [1, none] | join }} {{ 'ab' | upper }} {{ 'AB' | lower }} {{ 'hello-world foo' | title }} {{ 'hELLO' | capitalize }}",
   "{{ d.nope | default('dflt') }} {{ '' | default('e', true) }} {{ none | default('kept') }}",
   "{{ [3, 1, 2] | first }} {{ [3, 1, 2] | last }} {{ 'abc' | list }} {{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ [3, 1, 2] | sort(reverse=true) }}",
   "{{ msgs | selectattr('role', 'equalto', 'user') | list | length }} {{ msgs | rejectattr('role', 'equalto', 'user') | map(attribute='content') | list }}",
   "{{ [1, 2, 3, 4] | select('even') | list }} {{ [1, 2, 3] | reject('odd') | list }} {{ [1, 2] | map('string') | join('-') }}",
   "{{ d | dictsort }} {{ d | items | list }} {{ [1, 1, 2] | unique | list }} {{ [1, 2] | reverse | list }} {{ 'abc' | reverse }}",
   "{{ 'a b a' | replace('a', 'z') }} {{ 'l1\\nl2\\n\\nl3' | indent(2) }}|{{ 'l1\\nl2' | indent(4, first=true) }}",
   "{{ '42' | int }} {{ 'x' | int }} {{ 3.9 | int }} {{ '2.5' | float }} {{ -3 | abs }} {{ 2.5 | round }} {{ 2.567 | round(2) }} {{ [1, 2, 3] | sum }} {{ [4, 2, 9] | min }} {{ [4, 2, 9] | max }}",
   "{{ 'a<b' | safe }} {{ ('x' | safe) + '<y>' }} {{ 'x' ~ ('<' | safe) }} {{ '<&>' | e }}",
   "{{ 'one two  three' | wordcount }} {{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ 5 | string }}",
 ],
 "pythonMethods": [
   "{{ '  a b  '.strip() }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'a  '.rstrip() }}|{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a.b.c'.rsplit('.', 1) }}",
   "{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'hello world'.title() }} {{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ 'aXbX'.replace('X', '-') }} {{ 'aXbX'.replace('X', '-', 1) }}",
   "{{ '{} and {}'.format(1, 'two') }} {{ '{0}{0}'.format('x') }} {{ '<{name}>'.format(name='n') }} {{ '-'.join(['a', 'b']) }} {{ 'banana'.find('an') }} {{ 'banana'.count('a') }}",
   "{{ d.get('b') }} {{ d.get('zz') }} {{ d.get('zz', 'dv') }} {{ d.keys() | list }} {{ d.values() | list | length }} {{ d.items() | list | first }}",
   "{{ '%s is %d' % ('x', 3) }} {{ 'l1\\nl2'.splitlines() }}",
 ],
 "tojson": [
   "{{ d | tojson }}",
   "{{ d | tojson(indent=2) }}",
   "{{ {'b': 1, 'a': {'z': [], 'y': {}}} | tojson(sort_keys=true) }}",
   "{{ ['é', '\\n', '\"', 'ü☕'] | tojson }} {{ ['é', '😀'] | tojson(ensure_ascii=true) }}",
   "{{ [1, 2] | tojson(separators=(',', ':')) }} {{ {'a': 1} | tojson(indent='\\t') }}",
   "{{ 1.0 | tojson }} {{ 10000000000000000.0 | tojson }} {{ none | tojson }} {{ (1, 2) | tojson }} {{ '' | tojson }}",
 ],
 "undefinedBehaviour": [
   "[{{ nothing }}] [{{ nothing | length }}] [{{ nothing | default('d') }}] [{% for x in nothing %}{{ x }}{% endfor %}] [{{ nothing is defined }}] [{{ not nothing }}] [{{ nothing ~ 'x' }}] [{{ nothing == nothing }}] [{{ nothing | list }}] [{{ nothing | string }}]",
   "{% if nothing %}yes{% else %}no{% endif %} {{ 'x' in nothing }} {{ d.zz is defined }} {{ d.zz | trim }}|",
 ],
}
errors = [
  ("undefinedAttribute", "{{ nothing.attr }}"),
  ("undefinedArithmetic", "{{ nothing + 1 }}"),
  ("missingKeyAttribute", "{{ d.missing.x }}"),
  ("typeMismatch", "{{ 'a' + 1 }}"),
  ("noneIteration", "{% for x in n %}{% endfor %}"),
  ("listAppendForbidden", "{% set l = [] %}{{ l.append(1) }}"),
  ("undefinedToJSON", "{{ nothing | tojson }}"),
  ("generatorToJSON", "{{ [1] | map('string') | tojson }}"),
  ("generatorLength", "{{ [1] | select | length }}"),
  ("unknownFilter", "{% if d %}{{ 1 | nosuchfilter }}{% endif %}"),
]
def sw(s):
    return json.dumps(s, ensure_ascii=False)
out = []
for g, ts in groups.items():
    rows = []
    for t in ts:
        r = env.from_string(t).render(**CTX)
        rows.append(f"        ({sw(t)}, {sw(r)}),")
    out.append(f"    @Test func {g}() throws {{\n        try check([\n" + "\n".join(rows) + "\n        ])\n    }\n")
erows=[]
for name, t in errors:
    try:
        r = env.from_string(t).render(**CTX); raise SystemExit("no error for "+t)
    except SystemExit: raise
    except Exception as e:
        erows.append(f"        ({sw(t)}, {sw(type(e).__name__ + ': ' + str(e))}),  // {name}")
out.append("    /// Each template must throw (Python's exception is shown for reference).\n    @Test func errors() throws {\n        let cases: [(String, String)] = [\n" + "\n".join(erows) + "\n        ]\n        for (source, python) in cases {\n            #expect(throws: TemplateError.self, \"\\(source) should fail like Python: \\(python)\") { try render(source) }\n        }\n    }\n")
body = "\n".join(out)
# JSON string literals are valid Swift literals except for \uXXXX escapes.
body = re.sub(r'(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})', lambda m: m.group(1) + '\\u{' + m.group(2) + '}', body)
head = open(os.path.join(ROOT, "scripts", "engine_tests_header.swift.txt"), encoding="utf-8").read()
with open(os.path.join(ROOT, "Tests", "SwitchyardTokenizerTests", "ChatTemplate", "EngineTests.swift"), "w", encoding="utf-8") as f:
    f.write(head + body + "}\n")
print("wrote Tests/SwitchyardTokenizerTests/ChatTemplate/EngineTests.swift")
