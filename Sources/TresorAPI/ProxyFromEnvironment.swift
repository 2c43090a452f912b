import Foundation

/// The proxy a request to `address` goes through, by the rules Go's http.ProxyFromEnvironment
/// applies for Vault's clients: HTTPS_PROXY for https addresses and HTTP_PROXY for http ones
/// (either spelling case), nothing for localhost and loopback addresses, and nothing for a host
/// that NO_PROXY names (`*`, a host, or a domain that matches it and its subdomains).
public enum ProxyFromEnvironment {
    public static func proxy(for address: String, environment: [String: String]) -> String? {
        guard let url = URLComponents(string: address), let host = url.host?.lowercased(), !host.isEmpty else { return nil }
        let variable = (url.scheme?.lowercased() ?? "https") == "https" ? "HTTPS_PROXY" : "HTTP_PROXY"
        guard let proxy = environment[variable] ?? environment[variable.lowercased()], !proxy.isEmpty else { return nil }
        if host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]" { return nil }
        let exclusions = (environment["NO_PROXY"] ?? environment["no_proxy"] ?? "").split(separator: ",")
        for raw in exclusions {
            var entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if entry == "*" { return nil }
            if let colon = entry.lastIndex(of: ":"), !entry.contains("]"), entry.firstIndex(of: ":") == colon { entry = String(entry[..<colon]) }
            if entry.hasPrefix("*.") { entry.removeFirst() }
            guard !entry.isEmpty else { continue }
            if entry.hasPrefix(".") ? host.hasSuffix(entry) || host == String(entry.dropFirst()) : host == entry || host.hasSuffix("." + entry) {
                return nil
            }
        }
        return proxy
    }

    /// Host and port of a proxy given as `http://host:port` or `host:port` (port 80 by default).
    public static func endpoint(_ proxy: String) throws -> (host: String, port: Int) {
        let text = proxy.contains("://") ? proxy : "http://" + proxy
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw ProxyError(description: "invalid proxy address \"\(proxy)\"")
        }
        guard url.scheme?.lowercased() == "http" else {
            throw ProxyError(description: "proxy \"\(proxy)\": only http:// proxies are supported (TLS to the server runs through them)")
        }
        guard url.user == nil else { throw ProxyError(description: "proxy \"\(proxy)\": credentials in the proxy address are not supported") }
        return (host, url.port ?? 80)
    }

    public struct ProxyError: Error, CustomStringConvertible {
        public let description: String
    }
}
