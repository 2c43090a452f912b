/// The parsed form of a template, as Go's text/template/parse builds it.
indirect enum Node: Sendable {
    case text(String)
    case action(Pipeline)
    /// `if`, `with` and `range`, each with its list and an optional `else` list (an `else if`
    /// is an `if` alone in the else list).
    case control(Control, Pipeline, [Node], [Node]?)
    case breakLoop(Int)
    case continueLoop(Int)
}

enum Control: String, Sendable {
    case ifControl = "if", withControl = "with", rangeControl = "range"
}

struct Pipeline: Sendable {
    var declarations: [String] = []
    /// `$x = ...` changes a variable; `$x := ...` declares one.
    var isAssignment = false
    var commands: [Command] = []
    let offset: Int
}

struct Command: Sendable {
    var arguments: [Argument]
    let offset: Int
}

indirect enum Argument: Sendable {
    case dot
    case field([String])
    case variable(String, [String])
    /// A parenthesised pipeline, optionally followed by fields: `(secret "x").Data`.
    case pipeline(Pipeline, [String])
    case function(String)
    case literal(TemplateValue)
    case null

    var isFunction: Bool {
        if case .function = self { return true }
        return false
    }

    /// How Go prints it in "executing ... at <...>" messages.
    var source: String {
        switch self {
        case .dot: return "."
        case .field(let names): return names.map { "." + $0 }.joined()
        case .variable(let name, let names): return name + names.map { "." + $0 }.joined()
        case .pipeline(_, let names): return "(...)" + names.map { "." + $0 }.joined()
        case .function(let name): return name
        case .literal(let value): return value.text
        case .null: return "nil"
        }
    }
}
