import GoTemplate
import Testing
@testable import TresorAgent

/// consul-template's functions and Go's JSON as the agent's templates see them.
@Suite struct TemplateFunctionTests {
    func render(_ source: String, values: [Dependency: TemplateValue] = [:]) throws -> String {
        let context = RenderContext(values: values)
        return try GoTemplate(source).render(.null, functions: TemplateFunctions.all(context))
    }

    @Test(arguments: [
        (#"{{ "a,b" | split "," | join "+" }}"#, "a+b"),
        (#"{{ 3 | add 2 }} {{ 10 | subtract 3 }} {{ 4 | multiply 2 }} {{ 9 | divide 3 }} {{ 9 | modulo 4 }}"#, "5 7 8 3 1"),
        (#"{{ "x" | toUpper }}{{ "Y" | toLower }} {{ "  t  " | trimSpace }} {{ "abc" | trimPrefix "a" }}"#, "Xy t bc"),
        (#"{{ "a\nb" | indent 2 }}"#, "  a\n  b"),
        (#"{{ "hi" | base64Encode | base64Decode }} {{ "hi?>" | base64URLEncode }}"#, "hi aGk_Pg=="),
        (#"{{ parseJSON "{\"b\":[1,2],\"a\":\"<x>\"}" | toJSON }}"#, #"{"a":"\u003cx\u003e","b":[1,2]}"#),
        (#"{{ parseJSON "{\"b\":{\"c\":true}}" | toYAML }}"#, "b:\n  c: true"),
        (#"{{ if "abc" | contains "b" }}y{{ end }}{{ if parseJSON "[\"a\"]" | contains "a" }}y{{ end }}"#, "yy"),
        (#"{{ "abc" | sha256Hex }}"#, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (#"{{ parseBool "true" }} {{ parseInt "42" }} {{ parseFloat "1.5" }}"#, "true 42 1.5"),
    ])
    func functionsBehaveAsConsulTemplates(_ source: String, _ expected: String) throws {
        #expect(try render(source) == expected)
    }

    @Test func secretsComeFromTheContextAndMissingOnesAreRecorded() throws {
        let secret = TemplateValue.secret(["data": .object(["data": .object(["k": .string("v")])]), "lease_duration": .int(0)])
        let values: [Dependency: TemplateValue] = [.secret(path: "secret/data/a", data: [:]): secret]
        #expect(try render(#"{{ with secret "secret/data/a" }}{{ .Data.data.k }}{{ end }}"#, values: values) == "v")
        let context = RenderContext(values: [:])
        let template = try GoTemplate(#"{{ with secret "/secret/data/b/" "x=1" }}{{ end }}{{ range secrets "kv/" }}{{ end }}"#)
        _ = try template.render(.null, functions: TemplateFunctions.all(context))
        #expect(context.missing == [.secret(path: "secret/data/b", data: ["x": "1"]), .list(path: "kv")])
    }

    @Test func jsonNumbersKeepTheirText() {
        #expect(GoJSON.encode(.map(["n": .number("1.50"), "big": .number("12345678901234567890"), "f": .double(1e21), "g": .double(0.5)]))
            == #"{"big":12345678901234567890,"f":1e+21,"g":0.5,"n":1.50}"#)
        #expect(GoJSON.encode(.string("\u{1}\"\\\n<")) == #""\u0001\"\\\n\u003c""#)
        #expect([1e-7, 0.00001, 100000.0, 1.5, 1e20, 1e21, -2.5e-8].map(GoJSON.float) == ["1e-7", "0.00001", "100000", "1.5", "100000000000000000000", "1e+21", "-2.5e-8"])
    }

    @Test(arguments: [#"{{ secret }}"#, #"{{ secret "" }}"#, #"{{ secret "p" "novalue" }}"#, #"{{ "x" | base64Decode }}"#,
                      #"{{ 1 | divide 0 }}"#, #"{{ parseJSON "{" }}"#, #"{{ "s" | join "," }}"#, #"{{ indent 99999 "x" }}"#])
    func badCallsAreTemplateErrors(_ source: String) {
        #expect(throws: GoTemplate.Error.self) { _ = try render(source) }
    }
}
