import Foundation
import TresorJSON

/// RFC 6902 JSON Patch over `JSONValue`, for the `agent-json-patch` and `agent-init-json-patch`
/// annotations (vault-k8s applies them to the agent containers it builds). Written here because
/// none of the project's packages applies JSON patches; it is small and follows the RFC's rules:
/// RFC 6901 pointers (`~1` is `/`, `~0` is `~`), `-` appends to an array, `add` on an object
/// member replaces it, `replace`/`remove` need the target to exist, `move` cannot move a value
/// into itself, and `test` compares by JSON equality. Any failure leaves the document as it was.
struct JSONPatch: Sendable, Equatable {
    enum Op: String, Sendable { case add, remove, replace, move, copy, test }

    struct Operation: Sendable, Equatable {
        var op: Op
        var path: [String]
        var from: [String] = []
        var value: JSONValue = .null
    }

    /// More operations than this in one annotation is not a patch anyone writes by hand.
    static let maximumOperations = 1_000

    let operations: [Operation]

    /// Parses a patch document: a JSON array of operation objects.
    init(parsing text: String) throws(InjectorError) {
        let document: JSONValue
        do {
            document = try JSONValue.parse(Array(text.utf8), limits: .requestDefault)
        } catch {
            throw InjectorError("invalid JSON patch: \(error.description)")
        }
        guard case .array(let items) = document else { throw InjectorError("invalid JSON patch: not an array of operations") }
        guard items.count <= Self.maximumOperations else { throw InjectorError("invalid JSON patch: more than \(Self.maximumOperations) operations") }
        var operations: [Operation] = []
        for (index, item) in items.enumerated() {
            guard case .object(let fields) = item else { throw InjectorError("invalid JSON patch: operation \(index) is not an object") }
            guard case .string(let name)? = fields["op"], let op = Op(rawValue: name) else {
                throw InjectorError("invalid JSON patch: operation \(index) has no valid \"op\"")
            }
            guard case .string(let path)? = fields["path"] else { throw InjectorError("invalid JSON patch: operation \(index) has no \"path\"") }
            var operation = Operation(op: op, path: try Self.pointer(path, index))
            switch op {
            case .add, .replace, .test:
                guard let value = fields["value"] else { throw InjectorError("invalid JSON patch: operation \(index) (\(name)) has no \"value\"") }
                operation.value = value
            case .move, .copy:
                guard case .string(let from)? = fields["from"] else { throw InjectorError("invalid JSON patch: operation \(index) (\(name)) has no \"from\"") }
                operation.from = try Self.pointer(from, index)
            case .remove:
                break
            }
            operations.append(operation)
        }
        self.operations = operations
    }

    /// `document` with every operation applied in order, or an error naming the one that failed.
    func apply(to document: JSONValue) throws(InjectorError) -> JSONValue {
        var result = document
        for (index, operation) in operations.enumerated() {
            do {
                try Self.apply(operation, to: &result)
            } catch {
                throw InjectorError("JSON patch operation \(index) (\(operation.op.rawValue) /\(operation.path.joined(separator: "/"))) failed: \(error.description)")
            }
        }
        return result
    }

    static func pointer(_ text: String, _ index: Int) throws(InjectorError) -> [String] {
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else { throw InjectorError("invalid JSON patch: operation \(index) has a path that does not start with /") }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func apply(_ operation: Operation, to document: inout JSONValue) throws(InjectorError) {
        switch operation.op {
        case .add: try add(operation.value, at: operation.path, in: &document)
        case .remove: _ = try remove(at: operation.path, in: &document)
        case .replace:
            _ = try value(at: operation.path, in: document)
            _ = try remove(at: operation.path, in: &document)
            try add(operation.value, at: operation.path, in: &document)
        case .move:
            guard operation.path.count < operation.from.count || Array(operation.path.prefix(operation.from.count)) != operation.from
                    || operation.path == operation.from else {
                throw InjectorError("cannot move a value into itself")
            }
            let moved = try remove(at: operation.from, in: &document)
            try add(moved, at: operation.path, in: &document)
        case .copy: try add(try value(at: operation.from, in: document), at: operation.path, in: &document)
        case .test:
            guard try value(at: operation.path, in: document) == operation.value else { throw InjectorError("test failed: the value differs") }
        }
    }

    static func value(at path: [String], in document: JSONValue) throws(InjectorError) -> JSONValue {
        var current = document
        for token in path {
            switch current {
            case .object(let fields):
                guard let next = fields[token] else { throw InjectorError("no member \"\(token)\"") }
                current = next
            case .array(let items):
                current = items[try index(token, count: items.count, appending: false)]
            default:
                throw InjectorError("\"\(token)\" is below a value that is neither object nor array")
            }
        }
        return current
    }

    private static func index(_ token: String, count: Int, appending: Bool) throws(InjectorError) -> Int {
        if appending && token == "-" { return count }
        // RFC 6901: digits only, no leading zero (but "0" itself).
        guard !token.isEmpty, token.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), token == "0" || !token.hasPrefix("0"),
              let index = Int(token) else { throw InjectorError("\"\(token)\" is not an array index") }
        guard index < count || (appending && index == count) else { throw InjectorError("index \(index) is out of range") }
        return index
    }

    private static func add(_ value: JSONValue, at path: [String], in document: inout JSONValue) throws(InjectorError) {
        guard let last = path.last else {
            document = value
            return
        }
        try modify(parentOf: path, in: &document) { (parent: inout JSONValue) throws(InjectorError) in
            switch parent {
            case .object(var fields):
                fields[last] = value
                parent = .object(fields)
            case .array(var items):
                items.insert(value, at: try index(last, count: items.count, appending: true))
                parent = .array(items)
            default:
                throw InjectorError("cannot add below a value that is neither object nor array")
            }
        }
    }

    private static func remove(at path: [String], in document: inout JSONValue) throws(InjectorError) -> JSONValue {
        guard let last = path.last else { throw InjectorError("cannot remove the whole document") }
        var removed = JSONValue.null
        try modify(parentOf: path, in: &document) { (parent: inout JSONValue) throws(InjectorError) in
            switch parent {
            case .object(var fields):
                guard let value = fields.removeValue(forKey: last) else { throw InjectorError("no member \"\(last)\"") }
                removed = value
                parent = .object(fields)
            case .array(var items):
                removed = items.remove(at: try index(last, count: items.count, appending: false))
                parent = .array(items)
            default:
                throw InjectorError("cannot remove below a value that is neither object nor array")
            }
        }
        return removed
    }

    /// Runs `change` on the value that holds the path's last token, rebuilding the containers above it.
    private static func modify(parentOf path: [String], in document: inout JSONValue,
                               _ change: (inout JSONValue) throws(InjectorError) -> Void) throws(InjectorError) {
        func descend(_ value: inout JSONValue, _ rest: ArraySlice<String>) throws(InjectorError) {
            guard let token = rest.first else {
                try change(&value)
                return
            }
            switch value {
            case .object(var fields):
                guard var child = fields[token] else { throw InjectorError("no member \"\(token)\"") }
                try descend(&child, rest.dropFirst())
                fields[token] = child
                value = .object(fields)
            case .array(var items):
                let position = try index(token, count: items.count, appending: false)
                try descend(&items[position], rest.dropFirst())
                value = .array(items)
            default:
                throw InjectorError("\"\(token)\" is below a value that is neither object nor array")
            }
        }
        try descend(&document, path.dropLast()[...])
    }
}
