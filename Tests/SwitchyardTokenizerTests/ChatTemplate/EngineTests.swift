import SwitchyardTokenizer
import Foundation
import Testing

/// Engine feature tests. Expected strings were produced by CPython Jinja2 3.1.6 configured like
/// transformers (see scripts/make_chat_template_fixtures.py), with the context below.
@Suite("Jinja engine semantics")
struct EngineTests {
    static let context: [String: TemplateValue] = [
        "d": ["b": 1, "a": [1, 2.5, nil, true], "s": "x"],
        "n": nil,
        "msgs": [["role": "user", "content": " hi "], ["role": "assistant", "content": "yo"]],
    ]

    func render(_ source: String) throws -> String {
        try ChatTemplate(source: source).render(context: Self.context)
    }

    func check(_ cases: [(String, String)], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (source, expected) in cases {
            #expect(try render(source) == expected, "template: \(source)", sourceLocation: sourceLocation)
        }
    }

    @Test func whitespaceControl() throws {
        try check([
        ("a\n  {% if true %}\nb\n  {% endif %}\nc", "a\nb\nc"),
        ("a  {%- if true -%}  b  {%- endif -%}  c", "abc"),
        ("x {{- ' y ' -}} z", "x y z"),
        ("{% for i in [1,2] %}\n  {{ i }}\n{% endfor %}\n", "  1\n  2\n"),
        ("line1\n    {# comment #}\nline2", "line1\nline2"),
        ("a\n  {%+ if true %}b{% endif %}", "a\n  b"),
        ("{% if true +%}\nkept{% endif %}", "\nkept"),
        ("t\r\nu\n", "t\nu"),
        ])
    }

    @Test func loops() throws {
        try check([
        ("{% for x in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;"),
        ("{% for x in [1,2,3] %}{{ loop.previtem }}/{{ loop.nextitem }}|{{ loop.cycle('o','e') }};{% endfor %}", "/2|o;1/3|e;2/|o;"),
        ("{% for x in [1,2,3,4] if x is even %}{{ x }}@{{ loop.index }}{% endfor %}", "2@14@2"),
        ("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}", "empty"),
        ("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "b=1;a=[1, 2.5, None, True];s=x;"),
        ("{% for x in [1,2,3,4,5] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", "13"),
        ("{% set x = 5 %}{% for i in [1,2] %}[{{ x }}]{% set x = i %}{% endfor %}{{ x }}", "[5][5]5"),
        ("{% for c in 'héllo' %}{{ c }}.{% endfor %}", "h.é.l.l.o."),
        ("{% for a in [1,2] %}{% for b in 'xy' %}{{ loop.index }}{{ b }}{% endfor %}{{ loop.index }}{% endfor %}", "1x2y11x2y2"),
        ])
    }

    @Test func macrosAndNamespaces() throws {
        try check([
        ("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }} {{ greet(punct='.', name='Cy') }}", "Hi Bob! Hi Al? Hi Cy."),
        ("{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}", "(1, 2){'k': 3}"),
        ("{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inner{% endcall %}", "<inner>"),
        ("{% set ns = namespace(count=0, items=[]) %}{% for i in range(3) %}{% set ns.count = ns.count + i %}{% endfor %}{{ ns.count }} {{ ns.items }}", "3 []"),
        ("{% set x %}block {{ 1 + 1 }}{% endset %}[{{ x }}]", "[block 2]"),
        ("{% set y | upper %}shout{% endset %}{{ y }}", "SHOUT"),
        ("{% filter upper %}abc {{ 'd' }}{% endfilter %}", "ABC D"),
        ("{% set a, b = 1, 2 %}{{ a }}{{ b }}", "12"),
        ("{% if true %}{% set leaked = 'yes' %}{% endif %}{{ leaked }}", "yes"),
        ])
    }

    @Test func expressions() throws {
        try check([
        ("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }}", "7 9 3 -4 2 3.5 1024 0.5"),
        ("{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 2 }} {{ [1] + [2] }}", "a1NoneTrue abab [1, 2]"),
        ("{{ 1 < 2 < 3 }} {{ 'b' > 'a' }} {{ 1 == 1.0 }} {{ 'a' in 'cat' }} {{ 3 not in [1, 2] }} {{ 'b' in d }}", "True True True True True True"),
        ("{{ 'yes' if n is none else 'no' }}|{{ 'x' if false }}|", "yes||"),
        ("{{ none or 'fallback' }} {{ 0 and 'never' }} {{ not [] }}", "fallback 0 True"),
        ("{{ 'abcdef'[1:4] }} {{ 'abcdef'[::-1] }} {{ [1,2,3,4][-2:] }} {{ [1,2,3,4][::2] }} {{ 'abc'[-1] }}", "bcd fedcba [3, 4] [1, 3] c"),
        ("{{ d.b }} {{ d['a'][1] }} {{ d.missing }}|{{ d.a[10] }}|", "1 2.5 ||"),
        ("{{ 'it''s' }} {{ \"q\\\"t\" }} {{ 'tab\\there' }} {{ 'uni\\u00e9' }}", "its q\"t tab\there unié"),
        ("{{ {'k': (1,), 'l': [none, false]} }} {{ (1, 'two') }} {{ () }}", "{'k': (1,), 'l': [None, False]} (1, 'two') ()"),
        ("{{ 1e16 }} {{ 1e-5 }} {{ 0.1 + 0.2 }} {{ 3 / 1 }} {{ 1.5e300 * 1e10 }} {{ 123456789.123 }}", "1e+16 1e-05 0.30000000000000004 3.0 inf 123456789.123"),
        ("{{ 'x' is string }} {{ 1 is number }} {{ true is number }} {{ true is integer }} {{ d is mapping }} {{ d.a is iterable }} {{ 'ab' is sequence }} {{ n is none }} {{ d.zz is undefined }} {{ 4 is divisibleby 2 }} {{ 3 is odd }} {{ 'a' is in 'abc' }} {{ 1 is equalto 1 }} {{ false is false }} {{ true is boolean }} {{ 1.0 is float }}", "True True True False True True True True True True True True True True True True"),
        ])
    }

    @Test func filters() throws {
        try check([
        ("{{ '  x  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ 'Hello' | length }} {{ d | length }} {{ d.a | count }}", "x|a|5 3 4"),
        ("{{ ['a', 'b'] | join(', ') }} {{ [1, none] | join }} {{ 'ab' | upper }} {{ 'AB' | lower }} {{ 'hello-world foo' | title }} {{ 'hELLO' | capitalize }}", "a, b 1None AB ab Hello-World Foo Hello"),
        ("{{ d.nope | default('dflt') }} {{ '' | default('e', true) }} {{ none | default('kept') }}", "dflt e None"),
        ("{{ [3, 1, 2] | first }} {{ [3, 1, 2] | last }} {{ 'abc' | list }} {{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ [3, 1, 2] | sort(reverse=true) }}", "3 2 ['a', 'b', 'c'] [1, 2, 3] ['A', 'b', 'c'] [3, 2, 1]"),
        ("{{ msgs | selectattr('role', 'equalto', 'user') | list | length }} {{ msgs | rejectattr('role', 'equalto', 'user') | map(attribute='content') | list }}", "1 ['yo']"),
        ("{{ [1, 2, 3, 4] | select('even') | list }} {{ [1, 2, 3] | reject('odd') | list }} {{ [1, 2] | map('string') | join('-') }}", "[2, 4] [2] 1-2"),
        ("{{ d | dictsort }} {{ d | items | list }} {{ [1, 1, 2] | unique | list }} {{ [1, 2] | reverse | list }} {{ 'abc' | reverse }}", "[('a', [1, 2.5, None, True]), ('b', 1), ('s', 'x')] [('b', 1), ('a', [1, 2.5, None, True]), ('s', 'x')] [1, 2] [2, 1] cba"),
        ("{{ 'a b a' | replace('a', 'z') }} {{ 'l1\\nl2\\n\\nl3' | indent(2) }}|{{ 'l1\\nl2' | indent(4, first=true) }}", "z b z l1\n  l2\n\n  l3|    l1\n    l2"),
        ("{{ '42' | int }} {{ 'x' | int }} {{ 3.9 | int }} {{ '2.5' | float }} {{ -3 | abs }} {{ 2.5 | round }} {{ 2.567 | round(2) }} {{ [1, 2, 3] | sum }} {{ [4, 2, 9] | min }} {{ [4, 2, 9] | max }}", "42 0 3 2.5 3 2.0 2.57 6 2 9"),
        ("{{ 'a<b' | safe }} {{ ('x' | safe) + '<y>' }} {{ 'x' ~ ('<' | safe) }} {{ '<&>' | e }}", "a<b x&lt;y&gt; x< &lt;&amp;&gt;"),
        ("{{ 'one two  three' | wordcount }} {{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ 5 | string }}", "3 [[1, 2], [3, 4], [5]] 5"),
        ])
    }

    @Test func pythonMethods() throws {
        try check([
        ("{{ '  a b  '.strip() }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'a  '.rstrip() }}|{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a.b.c'.rsplit('.', 1) }}", "a b|axx|a|['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] ['a.b', 'c']"),
        ("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'hello world'.title() }} {{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ 'aXbX'.replace('X', '-') }} {{ 'aXbX'.replace('X', '-', 1) }}", "True True Hello World ABC abc a-b- a-bX"),
        ("{{ '{} and {}'.format(1, 'two') }} {{ '{0}{0}'.format('x') }} {{ '<{name}>'.format(name='n') }} {{ '-'.join(['a', 'b']) }} {{ 'banana'.find('an') }} {{ 'banana'.count('a') }}", "1 and two xx <n> a-b 1 3"),
        ("{{ d.get('b') }} {{ d.get('zz') }} {{ d.get('zz', 'dv') }} {{ d.keys() | list }} {{ d.values() | list | length }} {{ d.items() | list | first }}", "1 None dv ['b', 'a', 's'] 3 ('b', 1)"),
        ("{{ '%s is %d' % ('x', 3) }} {{ 'l1\\nl2'.splitlines() }}", "x is 3 ['l1', 'l2']"),
        ])
    }

    @Test func tojson() throws {
        try check([
        ("{{ d | tojson }}", "{\"b\": 1, \"a\": [1, 2.5, null, true], \"s\": \"x\"}"),
        ("{{ d | tojson(indent=2) }}", "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    2.5,\n    null,\n    true\n  ],\n  \"s\": \"x\"\n}"),
        ("{{ {'b': 1, 'a': {'z': [], 'y': {}}} | tojson(sort_keys=true) }}", "{\"a\": {\"y\": {}, \"z\": []}, \"b\": 1}"),
        ("{{ ['é', '\\n', '\"', 'ü☕'] | tojson }} {{ ['é', '😀'] | tojson(ensure_ascii=true) }}", "[\"é\", \"\\n\", \"\\\"\", \"ü☕\"] [\"\\u00e9\", \"\\ud83d\\ude00\"]"),
        ("{{ [1, 2] | tojson(separators=(',', ':')) }} {{ {'a': 1} | tojson(indent='\\t') }}", "[1,2] {\n\t\"a\": 1\n}"),
        ("{{ 1.0 | tojson }} {{ 10000000000000000.0 | tojson }} {{ none | tojson }} {{ (1, 2) | tojson }} {{ '' | tojson }}", "1.0 1e+16 null [1, 2] \"\""),
        ])
    }

    @Test func undefinedBehaviour() throws {
        try check([
        ("[{{ nothing }}] [{{ nothing | length }}] [{{ nothing | default('d') }}] [{% for x in nothing %}{{ x }}{% endfor %}] [{{ nothing is defined }}] [{{ not nothing }}] [{{ nothing ~ 'x' }}] [{{ nothing == nothing }}] [{{ nothing | list }}] [{{ nothing | string }}]", "[] [0] [d] [] [False] [True] [x] [True] [[]] []"),
        ("{% if nothing %}yes{% else %}no{% endif %} {{ 'x' in nothing }} {{ d.zz is defined }} {{ d.zz | trim }}|", "no False False |"),
        ])
    }

    /// Each template must throw (Python's exception is shown for reference).
    @Test func errors() throws {
        let cases: [(String, String)] = [
        ("{{ nothing.attr }}", "UndefinedError: 'nothing' is undefined"),  // undefinedAttribute
        ("{{ nothing + 1 }}", "UndefinedError: 'nothing' is undefined"),  // undefinedArithmetic
        ("{{ d.missing.x }}", "UndefinedError: 'dict object' has no attribute 'missing'"),  // missingKeyAttribute
        ("{{ 'a' + 1 }}", "TypeError: can only concatenate str (not \"int\") to str"),  // typeMismatch
        ("{% for x in n %}{% endfor %}", "TypeError: 'NoneType' object is not iterable"),  // noneIteration
        ("{% set l = [] %}{{ l.append(1) }}", "SecurityError: access to attribute 'append' of 'list' object is unsafe."),  // listAppendForbidden
        ("{{ nothing | tojson }}", "TypeError: Object of type Undefined is not JSON serializable"),  // undefinedToJSON
        ("{{ [1] | map('string') | tojson }}", "TypeError: Object of type generator is not JSON serializable"),  // generatorToJSON
        ("{{ [1] | select | length }}", "TypeError: object of type 'generator' has no len()"),  // generatorLength
        ("{% if d %}{{ 1 | nosuchfilter }}{% endif %}", "TemplateRuntimeError: No filter named 'nosuchfilter' found."),  // unknownFilter
        ]
        for (source, python) in cases {
            #expect(throws: TemplateError.self, "\(source) should fail like Python: \(python)") { try render(source) }
        }
    }
}
