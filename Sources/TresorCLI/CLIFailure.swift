import Foundation
import TresorAPI

/// How a command ends badly: the message for stderr and Vault's exit code.
enum CLIFailure: Error {
    /// Bad flags, arguments or local files: exit 1.
    case usage(String)
    case local(String)
    /// The server said no, or could not be reached: exit 2.
    case server(String)
    /// Exit with this code and print nothing more.
    case silent(Int32)

    var exitCode: Int32 {
        switch self {
        case .usage, .local: return 1
        case .server: return 2
        case .silent(let code): return code
        }
    }

    var message: String? {
        switch self {
        case .usage(let m), .local(let m), .server(let m): return m
        case .silent: return nil
        }
    }
}

/// Vault's text for an API error.
enum APIErrorText {
    static func describe(_ response: VaultClient.Response, method: String, url: String) -> String {
        var text = "Error making API request.\n\nURL: \(method == "LIST" ? "GET" : method) \(url)\nCode: \(response.status)."
        if response.json != nil {
            text += " Errors:\n\n" + response.errors.map { "* " + $0 }.joined()
        } else {
            text += " Raw Message:\n\n" + String(decoding: response.rawBody, as: UTF8.self)
        }
        return text
    }
}
