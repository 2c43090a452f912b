import Foundation
import Testing
@testable import TresorInjector
import TresorJSON

/// RFC 6902's own examples (appendix A) and hostile patches.
@Suite struct JSONPatchTests {
    static func json(_ text: String) -> JSONValue { try! JSONValue.parse(Array(text.utf8)) }

    static func apply(_ patch: String, to document: String) throws(InjectorError) -> JSONValue {
        try JSONPatch(parsing: patch).apply(to: json(document))
    }

    @Test(arguments: [
        // A.1 to A.10 and A.16: add, remove, replace, move, test, nested add, array values.
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        (#"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        (#"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#, #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
         #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#),
        (#"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#, #"{"foo":["all","cows","eat","grass"]}"#),
        (#"{"baz":"qux","foo":["a",2,"c"]}"#, #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
         #"{"baz":"qux","foo":["a",2,"c"]}"#),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#, #"{"foo":"bar","child":{"grandchild":{}}}"#),
        (#"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, #"{"foo":["bar",["abc","def"]]}"#),
        // A.14: escaped pointer tokens.
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10},{"op":"copy","from":"/~1","path":"/x"}]"#, #"{"/":9,"~1":10,"x":9}"#),
        // The whole document replaced by an empty path.
        (#"{"a":1}"#, #"[{"op":"add","path":"","value":[1]}]"#, #"[1]"#),
    ])
    func rfcExamples(document: String, patch: String, expected: String) throws {
        #expect(try Self.apply(patch, to: document) == Self.json(expected))
    }

    @Test(arguments: [
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#),  // A.12: no parent
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":"10"}]"#),  // A.15: string is not number
        (#"{"foo":[1]}"#, #"[{"op":"add","path":"/foo/01","value":2}]"#),  // leading zero
        (#"{"foo":[1]}"#, #"[{"op":"add","path":"/foo/2","value":2}]"#),  // past the end
        (#"{"foo":[1]}"#, #"[{"op":"remove","path":"/foo/-"}]"#),  // "-" names nothing to remove
        (#"{"foo":{"a":1}}"#, #"[{"op":"move","from":"/foo","path":"/foo/a/b"}]"#),  // into itself
        (#"{"foo":1}"#, #"[{"op":"replace","path":"/bar","value":2}]"#),  // replace needs the target
        (#"{"foo":1}"#, #"[{"op":"remove","path":""}]"#),
        (#"{"foo":1}"#, #"[{"op":"add","path":"/foo/x","value":2}]"#),  // below a number
    ])
    func failingOperationsLeaveAnError(document: String, patch: String) {
        #expect(throws: InjectorError.self) { try Self.apply(patch, to: document) }
    }

    @Test func malformedPatchesAreRefusedWhenParsed() {
        let hostile = [
            "", "{}", "null", #"[1]"#, #"[{"path":"/a"}]"#, #"[{"op":"add","path":"/a"}]"#, #"[{"op":"move","path":"/a"}]"#,
            #"[{"op":"add","path":"a","value":1}]"#, #"[{"op":"frobnicate","path":"/a"}]"#, String(repeating: "[", count: 100_000),
            "[" + Array(repeating: #"{"op":"remove","path":"/a"}"#, count: JSONPatch.maximumOperations + 1).joined(separator: ",") + "]",
        ]
        for text in hostile { #expect(throws: InjectorError.self) { try JSONPatch(parsing: text) } }
    }

    /// A failing operation in the middle of a patch leaves nothing of the earlier ones.
    @Test func aFailedPatchChangesNothing() {
        let document = Self.json(#"{"a":1}"#)
        let patch = try! JSONPatch(parsing: #"[{"op":"add","path":"/b","value":2},{"op":"remove","path":"/c"}]"#)
        #expect(throws: InjectorError.self) { _ = try patch.apply(to: document) }
        #expect(document == Self.json(#"{"a":1}"#))
    }
}
