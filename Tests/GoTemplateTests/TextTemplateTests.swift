import Testing
@testable import GoTemplate

/// Go's text/template semantics, each case written from what Go prints for the same template
/// and data (consul-template runs with missingkey=zero unless error_on_missing_key is set).
@Suite struct TextTemplateTests {
    let data: TemplateValue = [
        "Data": [
            "data": ["user": "app", "pass": "s3cr3t", "port": .number("5432"), "ratio": .number("1.5"), "on": true, "tags": ["a", "b"]],
            "metadata": ["version": .number("3")],
        ],
        "Items": ["x", "y", "z"],
        "Empty": [],
        "N": 3,
    ]

    func render(_ source: String, missingKeyIsError: Bool = false, left: String = "{{", right: String = "}}") throws -> String {
        try GoTemplate(source, name: "t", leftDelimiter: left, rightDelimiter: right)
            .render(data, functions: [:], options: .init(missingKeyIsError: missingKeyIsError))
    }

    @Test(arguments: [
        ("{{ .Data.data.user }}", "app"),
        ("{{ .Data.data.port }}:{{ .Data.data.ratio }}", "5432:1.5"),
        ("{{ .Data.data.nope }}", "<no value>"),
        ("{{ .Data.data.tags }}", "[a b]"),
        ("{{ .Data.metadata }}", "map[version:3]"),
        ("{{ .Data.data.on }}", "true"),
        ("a {{- \" b \" -}} c", "a b c"),
        ("a  {{- /* note */ -}}  b", "ab"),
        ("x\n{{- .N }}\n", "x3\n"),
        ("{{-3}}", "-3"),
        ("{{ 1.5 }} {{ 1e6 }} {{ 123456.0 }} {{ 0x1F }} {{ 'a' }} {{ 1_000 }}", "1.5 1e+06 123456 31 97 1000"),
        ("{{ if .Data.data.on }}on{{ else }}off{{ end }}", "on"),
        ("{{ if .Empty }}full{{ else if .N }}n{{ else }}none{{ end }}", "n"),
        ("{{ with .Data.data }}{{ .user }}@{{ .port }}{{ end }}", "app@5432"),
        ("{{ with .Data.nothing }}yes{{ else }}no{{ end }}", "no"),
        ("{{ range .Items }}[{{ . }}]{{ end }}", "[x][y][z]"),
        ("{{ range $i, $e := .Items }}{{ $i }}={{ $e }};{{ end }}", "0=x;1=y;2=z;"),
        ("{{ range $k, $v := .Data.data }}{{ $k }} {{ end }}", "on pass port ratio tags user "),
        ("{{ range .Empty }}x{{ else }}empty{{ end }}", "empty"),
        ("{{ range .Items }}{{ if eq . \"y\" }}{{ break }}{{ end }}{{ . }}{{ end }}", "x"),
        ("{{ range .Items }}{{ if eq . \"y\" }}{{ continue }}{{ end }}{{ . }}{{ end }}", "xz"),
        ("{{ range 3 }}{{ . }}{{ end }}", "012"),
        ("{{ $x := .Data.data.user }}{{ $x }}-{{ $x = \"b\" }}{{ $x }}", "app-b"),
        ("{{ range .Items }}{{ $.N }}{{ end }}", "333"),
        ("{{ $n := 0 }}{{ range .Items }}{{ $n = . }}{{ end }}{{ $n }}", "z"),
        ("{{ len .Items }} {{ len .Data.data.user }} {{ index .Items 1 }} {{ index .Data.data \"pass\" }}", "3 3 y s3cr3t"),
        ("{{ index .Data.data \"missing\" }}", "<no value>"),
        ("{{ slice .Data.data.user 1 }} {{ slice .Items 1 2 }}", "pp [y]"),
        ("{{ and 1 0 }} {{ or 0 \"\" \"z\" }} {{ not .Empty }} {{ and .N .Data.data.user }}", "0 z true app"),
        ("{{ eq .N 3 }} {{ eq .Data.data.user \"x\" \"app\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ ge \"b\" \"a\" }} {{ eq .Data.data.port \"5432\" }}", "true true true true true true"),
        ("{{ printf \"%s:%d|%5s|%-4d|%05d|%x|%q|%v|%.2f|%t|%%\" \"a\" 7 \"ab\" 3 42 255 \"q\" .Items 3.14159 true }}", "a:7|   ab|3   |00042|ff|\"q\"|[x y z]|3.14|true|%"),
        ("{{ printf \"%d\" }}{{ printf \"%d\" \"s\" }}{{ printf \"x\" 1 }}", "%!d(MISSING)%!d(string=s)x%!(EXTRA int=1)"),
        ("{{ print 1 2 \"a\" 3 }}|{{ println \"a\" 1 }}", "1 2a3|a 1\n"),
        ("{{ .Data.data.user | printf \"%s!\" }}", "app!"),
        ("{{ html \"<a href='x'>\" }} {{ urlquery \"a b&c\" }} {{ js \"it's\" }}", "&lt;a href=&#39;x&#39;&gt; a+b%26c it\\'s"),
        ("{{ \"\\x41\\u00e9\\n\" }}{{ `raw\\n` }}", "Aé\nraw\\n"),
        ("{{ not nil }}", "true"),
    ])
    func rendersAsGoDoes(_ source: String, _ expected: String) throws {
        #expect(try render(source) == expected)
    }

    @Test func customDelimiters() throws {
        #expect(try render("[[ .Data.data.user ]] {{ .N }}", left: "[[", right: "]]") == "app {{ .N }}")
        #expect(try render("<% .N -%>  x", left: "<%", right: "%>") == "3x")
    }

    @Test func missingKeysAreErrorsWhenAskedWithGosMessage() {
        do {
            _ = try render("line one\n  {{ .Data.data.nope }}", missingKeyIsError: true)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == #"template: t:2:5: executing "t" at <.Data.data.nope>: map has no entry for key "nope""#)
        }
    }

    @Test(arguments: [
        ("{{ .Data.nope.deeper }}", #"template: t:1:3: executing "t" at <.Data.nope.deeper>: nil pointer evaluating interface {}.deeper"#),
        ("{{ .N.x }}", #"template: t:1:3: executing "t" at <.N.x>: can't evaluate field x in type int"#),
        ("\n{{ if .N }}", "template: t:2: unexpected EOF"),
        ("{{ end }}", "template: t:1: unexpected {{end}}"),
        ("{{ $y }}", #"template: t:1: undefined variable "$y""#),
        ("{{ .N | .N }}", "template: t:1: non executable command in pipeline stage 2"),
        ("{{ 99999999999999999999 }}", #"template: t:1: integer overflow: "99999999999999999999""#),
        ("{{ break }}", "template: t:1: {{break}} outside {{range}}"),
        ("{{ index .Items 9 }}", #"template: t:1:3: executing "t" at <index>: error calling index: index out of range: 9"#),
        ("{{ range .Data.data.user }}{{ end }}", #"template: t:1:9: executing "t": range can't iterate over app"#),
        ("{{ nil | not }}", #"template: t:1:3: executing "t" at <nil>: nil is not a command"#),
        ("{{ nosuch 1 }}", #"template: t:1:3: executing "t" at <nosuch>: function "nosuch" not defined"#),
    ])
    func errorsSayWhereAsGoDoes(_ source: String, _ message: String) {
        do {
            _ = try render(source)
            Issue.record("expected an error for \(source)")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func functionsAreCheckedAtLoadWithTheLine() throws {
        let template = try GoTemplate("ok\n{{ secret \"x\" | toJSON | bogus }}", name: "config.tmpl")
        #expect(throws: GoTemplate.Error("config.tmpl:2: function \"bogus\" not defined")) {
            try template.checkFunctions(["secret", "toJSON"])
        }
        try template.checkFunctions(["secret", "toJSON", "bogus"])
    }

    @Test func runawayTemplatesStop() {
        #expect(throws: GoTemplate.Error.self) {
            _ = try GoTemplate("{{ range 100000000 }}x{{ end }}").render(.null, functions: [:], options: .init(maxSteps: 10_000))
        }
        #expect(throws: GoTemplate.Error.self) {
            _ = try GoTemplate("{{ range 100000 }}xxxxxxxxxx{{ end }}").render(.null, functions: [:], options: .init(maxOutput: 1000))
        }
        let deep = String(repeating: "{{ if 1 }}", count: 200) + String(repeating: "{{ end }}", count: 200)
        #expect(throws: GoTemplate.Error.self) { _ = try GoTemplate(deep) }
    }

    @Test func escapersFollowGosPackages() {
        #expect(GoFormat.quote("a\"b\\\u{7}\u{1}\u{7F}é") == #""a\"b\\\a\x01\x7fé""#)
        #expect(Escaper.js("<\u{1f}'") == #"\u003C\u001F\'"#)
        #expect(Escaper.json("<\u{1f}\u{2028}") == #"\u003c\u001f\u2028"#)
        #expect(Escaper.html("<\0>") == "&lt;\u{FFFD}&gt;")
    }

    @Test func shortestFloatsPrintAsGo() {
        #expect(GoFormat.shortest(0.0001) == "0.0001")
        #expect(GoFormat.shortest(0.00001) == "1e-05")
        #expect(GoFormat.shortest(100000) == "100000")
        #expect(GoFormat.shortest(1234567) == "1.234567e+06")
        #expect(GoFormat.shortest(-2.5) == "-2.5")
        #expect(GoFormat.shortest(1e21, exponentFrom: 21) == "1e+21")
        #expect(GoFormat.shortest(1e20, exponentFrom: 21) == "100000000000000000000")
    }
}
