import Foundation

/// One line from standard input: typed at a prompt with echo off on a terminal, or piped.
enum HiddenInput {
    /// An unseal key share: the argument, typed at a terminal when there is none, or read from
    /// standard input for "-".
    static func unsealKey(argument: String?) throws -> String {
        let given = argument ?? ""
        guard given.isEmpty || given == "-" else { return given }
        guard given == "-" || isatty(STDIN_FILENO) == 1 else {
            throw CLIFailure.usage("Give the unseal key as the first argument, or \"-\" to read it from standard input.")
        }
        return try read(prompt: given.isEmpty ? "Unseal Key (will be hidden): " : nil)
    }

    static func read(prompt: String?) throws -> String {
        let terminal = isatty(STDIN_FILENO) == 1
        var saved = termios()
        if terminal {
            if let prompt { FileHandle.standardError.write(Data(prompt.utf8)) }
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        }
        defer {
            if terminal {
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        return (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespaces)
    }
}
