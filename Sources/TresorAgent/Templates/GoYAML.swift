import GoTemplate
import TresorJSON
import Yams

/// consul-template's `toYAML`: the value as YAML with sorted keys, without the final newline.
enum GoYAML {
    static func encode(_ value: TemplateValue) throws -> String {
        do {
            var text = try Yams.serialize(node: node(value), sortKeys: true)
            while text.hasSuffix("\n") { text.removeLast() }
            return text
        } catch {
            throw GoTemplate.Error("toYAML: \(error)")
        }
    }

    static func node(_ value: TemplateValue) -> Node {
        switch value {
        case .null: return Node("null", Tag(.null))
        case .bool(let b): return Node(b ? "true" : "false", Tag(.bool))
        case .int(let i): return Node(String(i), Tag(.int))
        case .double: return Node(GoFormat.value(value, topLevel: false), Tag(.float))
        case .number(let n): return Node(n, Tag(n.contains(".") || n.contains("e") ? .float : .int))
        case .string(let s): return Node(s, Tag(.str))
        case .array(let items): return Node(items.map(node))
        case .map(let map): return Node(map.keys.sorted().map { (Node($0, Tag(.str)), node(map[$0]!)) })
        }
    }
}

/// JSON text into template values (`parseJSON`), numbers kept as written.
enum TresorJSONBridge {
    static func parse(_ text: String) throws -> TemplateValue {
        TemplateValue(json: try JSONValue.parse(Array(text.utf8)))
    }
}
