import ArgumentParser
import Foundation

/// What `tresor server` was asked to do, however its flags were read.
struct ServerOptions: Equatable {
    var dev = false
    var devRootTokenID: String?
    var devListenAddress: String?
    var configPaths: [String] = []
    /// Nil when not given: a configuration file's own `log_level` then applies.
    var logLevel: String?
    /// `-log-format`: "standard" or "json".
    var logFormat: String?

    func run() async throws {
        guard dev else {
            guard !configPaths.isEmpty else {
                throw ValidationError("a configuration file must be given with -config=FILE (or use -dev)")
            }
            try await ProductionServer.run(configPaths: configPaths, logLevel: logLevel ?? Self.environment("VAULT_LOG_LEVEL"),
                                           logFormat: logFormat)
            return
        }
        try await DevServer.run(
            rootTokenID: devRootTokenID ?? Self.environment("VAULT_DEV_ROOT_TOKEN_ID"),
            listen: devListenAddress ?? Self.environment("VAULT_DEV_LISTEN_ADDRESS") ?? "127.0.0.1:8200",
            logLevel: logLevel ?? Self.environment("VAULT_LOG_LEVEL") ?? "info",
            logFormat: ServerLogging.format(flag: logFormat, configured: ""))
    }

    /// One variable by getenv: ProcessInfo copies the whole environment into a dictionary.
    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// The server's flags in the shapes scripts, tutorials and service managers use, read directly.
///
/// ArgumentParser builds a command by reflecting over its properties and casting each to the
/// protocols it may adopt; for the server that was 15% of dev-mode start-up (perf, 10 launches),
/// paid before the first request can be served. Even building `ServerCommand`'s property
/// wrappers cost more than the rest of this parse, so the result is plain `ServerOptions`.
/// This reads only what it fully understands: every known flag at most once, as `--name=value`
/// or `--name value` (after `normalizedArguments`). Anything else (help, unknown or repeated
/// flags, a value that looks like a flag) returns nil, and ArgumentParser parses the arguments
/// and owns every message.
extension ServerOptions {
    static func parseKnownFlags(_ arguments: [String]) -> ServerOptions? {
        var options = ServerOptions()
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
                guard value == nil, !options.dev else { return nil }
                options.dev = true
                continue
            }
            guard name == "dev-root-token-id" || name == "dev-listen-address" || name == "config" || name == "log-level"
                    || name == "log-format" else {
                return nil
            }
            if value == nil {
                guard index < arguments.endIndex, !arguments[index].hasPrefix("-") else { return nil }
                value = arguments[index]
                index += 1
            }
            switch name {
            case "config":
                options.configPaths.append(value!)
            case "dev-root-token-id":
                guard options.devRootTokenID == nil else { return nil }
                options.devRootTokenID = value
            case "dev-listen-address":
                guard options.devListenAddress == nil else { return nil }
                options.devListenAddress = value
            case "log-format":
                guard options.logFormat == nil else { return nil }
                options.logFormat = value
            default:
                guard options.logLevel == nil else { return nil }
                options.logLevel = value
            }
        }
        return options
    }
}
