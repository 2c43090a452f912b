import Testing
@testable import GoTemplate

@Suite struct GoTemplateTests {
    let functions: [String: GoTemplate.Function] = [
        "truncate": { args in
            guard case .int(let n) = args[0] else { throw GoTemplate.Error("bad") }
            return .string(String(args[1].text.prefix(n)))
        },
        "upper": { args in .string(args.last!.text.uppercased()) },
        "join": { args in .string(args.map(\.text).joined(separator: "+")) },
        "seven": { _ in .int(7) },
    ]

    func render(_ source: String, _ fields: [String: GoTemplate.Value] = ["Name": "alice", "Role": "reader"]) throws -> String {
        try GoTemplate(source).render(fields: fields, functions: functions)
    }

    @Test func pipelinesGroupsAndLiterals() throws {
        #expect(try render("v-{{.Name}}-{{ .Role | upper }}") == "v-alice-READER")
        #expect(try render(#"{{ join "a" (.Name | truncate 3) seven 12 }}"#) == "a+ali+7+12")
        #expect(try render(#"{{ "x\"y" }}"#) == "x\"y")
        #expect(try render("plain text") == "plain text")
        #expect(try render("{{- .Name -}}") == "alice")
    }

    @Test(arguments: [
        "{{", "{{ .Name", "{{ }}", "{{ .Name | }}", "{{ (.Name }}", "{{ nosuch }}", "{{ .Missing }}",
        #"{{ "unterminated }}"#, "{{ .Name .Role }}", "{{ 99999999999999999999 }}", #"{{ "\q" }}"#,
        "{{ " + String(repeating: "(", count: 100) + ".Name" + String(repeating: ")", count: 100) + " }}",
    ])
    func hostileTemplatesFailCleanly(_ source: String) {
        #expect(throws: GoTemplate.Error.self) {
            _ = try GoTemplate(source).render(fields: ["Name": "alice", "Role": "r"], functions: functions)
        }
    }

    @Test func hugeTemplatesAreRefused() {
        #expect(throws: GoTemplate.Error.self) { _ = try GoTemplate(String(repeating: "a", count: GoTemplate.maxLength + 1)) }
    }
}
