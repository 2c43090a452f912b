/// Walks a parsed template, as Go's text/template exec does.
struct Executor {
    let template: GoTemplate
    let functions: [String: GoTemplate.Function]
    let options: GoTemplate.Options
    var output: [UInt8] = []
    var variables: [(name: String, value: TemplateValue)] = []
    var steps = 0

    init(template: GoTemplate, functions: [String: GoTemplate.Function], options: GoTemplate.Options) {
        self.template = template
        self.functions = functions
        self.options = options
    }

    enum Flow { case normal, breakLoop, continueLoop }

    mutating func run(_ nodes: [Node], dot: TemplateValue) throws {
        variables = [("$", dot)]
        _ = try walk(nodes, dot: dot)
    }

    mutating func step(_ offset: Int) throws {
        steps += 1
        if steps > options.maxSteps { throw failure("template execution took more than \(options.maxSteps) steps", offset, nil) }
    }

    func failure(_ message: String, _ offset: Int, _ argument: Argument?) -> GoTemplate.Error {
        if let argument {
            return GoTemplate.Error("\(template.location(offset)): executing \"\(template.name)\" at <\(argument.source)>: \(message)")
        }
        return GoTemplate.Error("\(template.location(offset)): executing \"\(template.name)\": \(message)")
    }

    mutating func write(_ text: String, _ offset: Int) throws {
        output.append(contentsOf: text.utf8)
        if output.count > options.maxOutput { throw failure("output is larger than \(options.maxOutput) bytes", offset, nil) }
    }

    mutating func walk(_ nodes: [Node], dot: TemplateValue) throws -> Flow {
        let mark = variables.count
        defer { variables.removeSubrange(mark...) }
        for node in nodes {
            switch node {
            case .text(let text):
                output.append(contentsOf: text.utf8)
                if output.count > options.maxOutput { throw failure("output is larger than \(options.maxOutput) bytes", 0, nil) }
            case .action(let pipeline):
                try step(pipeline.offset)
                let value = try evaluate(pipeline, dot: dot)
                if pipeline.declarations.isEmpty { try write(GoFormat.value(value, topLevel: true), pipeline.offset) }
            case .control(let kind, let pipeline, let body, let alternative):
                try step(pipeline.offset)
                let flow = try control(kind, pipeline, body, alternative, dot: dot)
                if flow != .normal { return flow }
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    mutating func control(_ kind: Control, _ pipeline: Pipeline, _ body: [Node], _ alternative: [Node]?, dot: TemplateValue) throws -> Flow {
        let mark = variables.count
        defer { variables.removeSubrange(mark...) }
        switch kind {
        case .ifControl, .withControl:
            let value = try evaluate(pipeline, dot: dot)
            if value.isTrue { return try walk(body, dot: kind == .withControl ? value : dot) }
            if let alternative { return try walk(alternative, dot: dot) }
            return .normal
        case .rangeControl:
            var ranged = pipeline
            ranged.declarations = []
            let value = try evaluate(ranged, dot: dot)
            var items: [(key: TemplateValue, value: TemplateValue)] = []
            switch value {
            case .array(let array): items = array.enumerated().map { (.int($0.offset), $0.element) }
            case .map(let map): items = map.keys.sorted().map { (.string($0), map[$0]!) }
            case .int(let count):
                guard count <= options.maxSteps else { throw failure("range over \(count) exceeds the step limit", pipeline.offset, nil) }
                items = (0..<max(count, 0)).map { (.int($0), .int($0)) }
            case .null: break
            default:
                throw failure("range can't iterate over \(GoFormat.value(value, topLevel: false))", pipeline.offset, nil)
            }
            if items.isEmpty {
                if let alternative { return try walk(alternative, dot: dot) }
                return .normal
            }
            for item in items {
                try step(pipeline.offset)
                let inner = variables.count
                if pipeline.declarations.count == 1 {
                    try declare(pipeline, pipeline.declarations[0], item.value)
                } else if pipeline.declarations.count == 2 {
                    try declare(pipeline, pipeline.declarations[0], item.key)
                    try declare(pipeline, pipeline.declarations[1], item.value)
                }
                let flow = try walk(body, dot: item.value)
                if !pipeline.isAssignment { variables.removeSubrange(inner...) }
                if flow == .breakLoop { break }
            }
            return .normal
        }
    }

    mutating func declare(_ pipeline: Pipeline, _ name: String, _ value: TemplateValue) throws {
        if pipeline.isAssignment {
            guard let index = variables.lastIndex(where: { $0.name == name }) else {
                throw failure("undefined variable: \(name)", pipeline.offset, nil)
            }
            variables[index].value = value
        } else {
            variables.append((name, value))
        }
    }

    mutating func evaluate(_ pipeline: Pipeline, dot: TemplateValue) throws -> TemplateValue {
        var value: TemplateValue?
        for command in pipeline.commands {
            try step(command.offset)
            value = try evaluate(command, dot: dot, final: value)
        }
        let result = value ?? .null
        for name in pipeline.declarations { try declare(pipeline, name, result) }
        return result
    }

    mutating func evaluate(_ command: Command, dot: TemplateValue, final: TemplateValue?) throws -> TemplateValue {
        let first = command.arguments[0]
        let hasArguments = command.arguments.count > 1 || final != nil
        switch first {
        case .function(let name):
            return try call(name, command, dot: dot, final: final)
        case .field(let names):
            if hasArguments { throw failure("\(names.last!) has arguments but cannot be invoked as function", command.offset, first) }
            return try fields(names, of: dot, command.offset, first)
        case .variable(let name, let names):
            if hasArguments && !names.isEmpty {
                throw failure("\(names.last!) has arguments but cannot be invoked as function", command.offset, first)
            }
            if hasArguments { throw failure("can't give argument to non-function \(name)", command.offset, first) }
            return try fields(names, of: variable(name, command.offset), command.offset, first)
        case .pipeline(let pipeline, let names):
            if hasArguments { throw failure("can't give argument to non-function \(first.source)", command.offset, first) }
            return try fields(names, of: try evaluate(pipeline, dot: dot), command.offset, first)
        case .dot, .literal, .null:
            if hasArguments { throw failure("can't give argument to non-function \(first.source)", command.offset, first) }
            if case .null = first { throw failure("nil is not a command", command.offset, first) }
            return try argument(first, dot: dot, command.offset)
        }
    }

    mutating func argument(_ argument: Argument, dot: TemplateValue, _ offset: Int) throws -> TemplateValue {
        switch argument {
        case .dot: return dot
        case .literal(let value): return value
        case .null: return .null
        case .field(let names): return try fields(names, of: dot, offset, argument)
        case .variable(let name, let names): return try fields(names, of: variable(name, offset), offset, argument)
        case .pipeline(let pipeline, let names): return try fields(names, of: try evaluate(pipeline, dot: dot), offset, argument)
        case .function(let name):
            return try call(name, Command(arguments: [argument], offset: offset), dot: dot, final: nil)
        }
    }

    func variable(_ name: String, _ offset: Int) throws -> TemplateValue {
        guard let found = variables.last(where: { $0.name == name }) else { throw failure("undefined variable: \(name)", offset, nil) }
        return found.value
    }

    func fields(_ names: [String], of receiver: TemplateValue, _ offset: Int, _ argument: Argument) throws -> TemplateValue {
        var value = receiver
        for name in names {
            switch value {
            case .map(let map):
                if let found = map[name] {
                    value = found
                } else if options.missingKeyIsError {
                    throw failure("map has no entry for key \"\(name)\"", offset, argument)
                } else {
                    value = .null
                }
            case .null:
                throw failure("nil pointer evaluating interface {}.\(name)", offset, argument)
            default:
                throw failure("can't evaluate field \(name) in type \(value.typeName)", offset, argument)
            }
        }
        return value
    }

    mutating func call(_ name: String, _ command: Command, dot: TemplateValue, final: TemplateValue?) throws -> TemplateValue {
        let arguments = command.arguments.dropFirst()
        // and/or stop at the first argument that decides, as Go's do since 1.18.
        if name == "and" || name == "or" {
            guard !arguments.isEmpty || final != nil else { throw failure("wrong number of args for \(name): want at least 1 got 0", command.offset, command.arguments[0]) }
            var last: TemplateValue = .null
            for operand in arguments {
                last = try argument(operand, dot: dot, command.offset)
                if last.isTrue != (name == "and") { return last }
            }
            if let final { last = final }
            return last
        }
        guard let function = functions[name] ?? Builtins.functions[name] else {
            throw failure("function \"\(name)\" not defined", command.offset, command.arguments[0])
        }
        var values: [TemplateValue] = []
        values.reserveCapacity(arguments.count + 1)
        for operand in arguments { values.append(try argument(operand, dot: dot, command.offset)) }
        if let final { values.append(final) }
        do {
            return try function(values)
        } catch let error as GoTemplate.Error {
            throw failure("error calling \(name): \(error.message)", command.offset, command.arguments[0])
        } catch {
            throw failure("error calling \(name): \(error)", command.offset, command.arguments[0])
        }
    }
}
