/// The server's flags in the shapes scripts, tutorials and service managers use, read directly.
///
/// ArgumentParser builds a command by reflecting over its properties and casting each to the
/// protocols it may adopt; for the server that was 15% of dev-mode start-up (perf, 10 launches),
/// paid before the first request can be served. This reads only what it fully understands:
/// every known flag at most once, as `--name=value` or `--name value` (after
/// `normalizedArguments`). Anything else (help, unknown or repeated flags, a value that looks like
/// a flag) returns nil, and ArgumentParser parses the arguments and owns every message.
extension ServerCommand {
    static func parseKnownFlags(_ arguments: [String]) -> ServerCommand? {
        var dev = false
        var values: [Substring: String] = [:]
        var configs: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--") else { return nil }
            var name = argument.dropFirst(2)
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = name[..<equals]
            }
            if name == "dev" {
                guard value == nil, !dev else { return nil }
                dev = true
                continue
            }
            guard ["dev-root-token-id", "dev-listen-address", "config", "log-level"].contains(name) else { return nil }
            if value == nil {
                guard index < arguments.endIndex, !arguments[index].hasPrefix("-") else { return nil }
                value = arguments[index]
                index += 1
            }
            if name == "config" {
                configs.append(value!)
            } else {
                guard values[name] == nil else { return nil }
                values[name] = value
            }
        }
        var command = ServerCommand()
        command.dev = dev
        command.devRootTokenID = values["dev-root-token-id"]
        command.devListenAddress = values["dev-listen-address"]
        command.config = configs
        command.logLevel = values["log-level"] ?? "info"
        return command
    }
}
