/// Go's predefined template functions (`and` and `or` live in the executor: they short-circuit).
enum Builtins {
    static let names: Set<String> = Set(functions.keys).union(["and", "or"])

    static let functions: [String: GoTemplate.Function] = [
        "not": { args in
            guard args.count == 1 else { throw GoTemplate.Error("wrong number of args for not: want 1 got \(args.count)") }
            return .bool(!args[0].isTrue)
        },
        "len": { args in
            guard args.count == 1 else { throw GoTemplate.Error("wrong number of args for len: want 1 got \(args.count)") }
            switch args[0] {
            case .string(let s): return .int(s.utf8.count)
            case .array(let a): return .int(a.count)
            case .map(let m): return .int(m.count)
            case .number(let n): return .int(n.utf8.count)
            default: throw GoTemplate.Error("len of type \(args[0].typeName)")
            }
        },
        "index": { args in
            guard var value = args.first else { throw GoTemplate.Error("wrong number of args for index: want at least 1 got 0") }
            for key in args.dropFirst() { value = try index(value, key) }
            return value
        },
        "slice": { args in
            guard let value = args.first else { throw GoTemplate.Error("wrong number of args for slice: want at least 1 got 0") }
            let bounds = try args.dropFirst().map { bound -> Int in
                guard let i = bound.integer else { throw GoTemplate.Error("cannot index slice/array with type \(bound.typeName)") }
                return i
            }
            guard bounds.count <= 2 else { throw GoTemplate.Error("too many slice indexes: \(bounds.count)") }
            switch value {
            case .string(let s):
                let bytes = Array(s.utf8)
                let (low, high) = (bounds.first ?? 0, bounds.count > 1 ? bounds[1] : bytes.count)
                guard low >= 0, low <= high, high <= bytes.count else { throw GoTemplate.Error("index out of range: \(high)") }
                return .string(String(decoding: bytes[low..<high], as: UTF8.self))
            case .array(let a):
                let (low, high) = (bounds.first ?? 0, bounds.count > 1 ? bounds[1] : a.count)
                guard low >= 0, low <= high, high <= a.count else { throw GoTemplate.Error("index out of range: \(high)") }
                return .array(Array(a[low..<high]))
            default:
                throw GoTemplate.Error("can't slice item of type \(value.typeName)")
            }
        },
        "print": { args in .string(GoFormat.sprint(args)) },
        "println": { args in .string(args.map { GoFormat.value($0, topLevel: false) }.joined(separator: " ") + "\n") },
        "printf": { args in
            guard case .string(let format)? = args.first else {
                throw GoTemplate.Error("wrong type for value; expected string; got \(args.first?.typeName ?? "nothing")")
            }
            return .string(GoFormat.printf(format, Array(args.dropFirst())))
        },
        "eq": { args in
            guard args.count >= 2 else { throw GoTemplate.Error("missing argument for comparison") }
            for other in args.dropFirst() where try equal(args[0], other) { return true }
            return false
        },
        "ne": { args in
            guard args.count == 2 else { throw GoTemplate.Error("wrong number of args for ne: want 2 got \(args.count)") }
            return .bool(!(try equal(args[0], args[1])))
        },
        "lt": { args in .bool(try compare(args, "lt") < 0) },
        "le": { args in .bool(try compare(args, "le") <= 0) },
        "gt": { args in .bool(try compare(args, "gt") > 0) },
        "ge": { args in .bool(try compare(args, "ge") >= 0) },
        "html": { args in .string(Escaper.html(GoFormat.sprint(args))) },
        "js": { args in .string(Escaper.js(GoFormat.sprint(args))) },
        "urlquery": { args in .string(queryEscape(GoFormat.sprint(args))) },
    ]

    static func index(_ value: TemplateValue, _ key: TemplateValue) throws -> TemplateValue {
        switch value {
        case .array(let array):
            guard let i = key.integer else { throw GoTemplate.Error("cannot index slice/array with type \(key.typeName)") }
            guard i >= 0, i < array.count else { throw GoTemplate.Error("index out of range: \(i)") }
            return array[i]
        case .string(let string):
            guard let i = key.integer else { throw GoTemplate.Error("cannot index slice/array with type \(key.typeName)") }
            let bytes = Array(string.utf8)
            guard i >= 0, i < bytes.count else { throw GoTemplate.Error("index out of range: \(i)") }
            return .int(Int(bytes[i]))
        case .map(let map):
            guard case .string(let name) = key else { throw GoTemplate.Error("value has type \(key.typeName); should be string") }
            return map[name] ?? .null
        case .null:
            throw GoTemplate.Error("index of untyped nil")
        default:
            throw GoTemplate.Error("can't index item of type \(value.typeName)")
        }
    }

    /// Go's eq on basic kinds; numbers compare by value whatever their representation.
    static func equal(_ a: TemplateValue, _ b: TemplateValue) throws -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.null, _), (_, .null): return false
        case (.bool(let x), .bool(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.number(let x), .string(let y)), (.string(let y), .number(let x)): return x == y
        case (.array, _), (.map, _), (_, .array), (_, .map): throw GoTemplate.Error("non-comparable type \(a.typeName)")
        default:
            if let x = a.integer, let y = b.integer, !(a.isFloat || b.isFloat) { return x == y }
            guard let x = a.numeric, let y = b.numeric else { throw GoTemplate.Error("incompatible types for comparison") }
            return x == y
        }
    }

    static func compare(_ args: [TemplateValue], _ name: String) throws -> Int {
        guard args.count == 2 else { throw GoTemplate.Error("wrong number of args for \(name): want 2 got \(args.count)") }
        switch (args[0], args[1]) {
        case (.string(let x), .string(let y)): return x < y ? -1 : x == y ? 0 : 1
        default:
            guard let x = args[0].numeric, let y = args[1].numeric else {
                if case .bool = args[0] { throw GoTemplate.Error("invalid type for comparison") }
                throw GoTemplate.Error("incompatible types for comparison")
            }
            return x < y ? -1 : x == y ? 0 : 1
        }
    }

    /// Go's url.QueryEscape.
    static func queryEscape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x5F, 0x2E, 0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
            case 0x20: out += "+"
            default: out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

extension TemplateValue {
    var isFloat: Bool {
        switch self {
        case .double: return true
        case .number(let n): return n.contains(".") || n.contains("e") || n.contains("E")
        default: return false
        }
    }
}
