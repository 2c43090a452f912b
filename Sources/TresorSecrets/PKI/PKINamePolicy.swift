import Foundation
import TresorCore

/// Which names a role lets into a certificate: Vault's rules for bare domains, subdomains,
/// globs, wildcards, localhost and hostname syntax, in Vault's order of checks.
struct PKINamePolicy: Sendable {
    let role: PKIRole

    /// The first name the role refuses, or nil when all pass.
    func firstRefused(_ names: [String]) -> String? {
        names.first { !allows($0) }
    }

    /// The common name check: the name rules, then whether its kind (email or hostname) is one
    /// the role's `cn_validations` accepts.
    func allowsCommonName(_ cn: String) -> Bool {
        if role.cnValidations == ["disabled"] { return true }
        guard allows(cn) else { return false }
        return role.cnValidations.contains(cn.utf8.contains(UInt8(ascii: "@")) ? "email" : "hostname")
    }

    func allows(_ name: String) -> Bool {
        var reduced = name
        var emailDomain = name
        var isEmail = false
        var isWildcard = false
        var wildcardLabel = ""
        if reduced.utf8.contains(UInt8(ascii: "@")) {
            let parts = reduced.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return false }
            reduced = String(parts[1])
            emailDomain = reduced
            isEmail = true
        }
        if reduced.utf8.contains(UInt8(ascii: "*")) {
            isWildcard = true
            guard role.allowWildcardCertificates else { return false }
            guard reduced.filter({ $0 == "*" }).count == 1 else { return false }
            if let dot = reduced.firstIndex(of: ".") {
                wildcardLabel = String(reduced[..<dot])
                reduced = String(reduced[reduced.index(after: dot)...])
            } else {
                wildcardLabel = reduced
                reduced = ""
            }
            if reduced.utf8.contains(UInt8(ascii: "*")) { return false }
        }
        if isEmail && isWildcard { return false }
        if role.enforceHostnames {
            if !reduced.isEmpty && !Self.isHostname(reduced) { return false }
            if isWildcard && !Self.isWildcardLabel(wildcardLabel) { return false }
        }
        if role.allowAnyName { return true }
        if role.allowLocalhost {
            let local = ["localhost", "localdomain"]
            if local.contains(reduced) || (isEmail && local.contains(emailDomain)) { return true }
            if role.allowSubdomains && (reduced.hasSuffix(".localhost") || reduced.hasSuffix(".localdomain") || (isWildcard && local.contains(reduced))) {
                return true
            }
        }
        for domain in role.allowedDomains where !domain.isEmpty {
            if role.allowBareDomains && (name.caseInsensitiveEquals(domain) || (isEmail && emailDomain.caseInsensitiveEquals(domain))) {
                return true
            }
            if role.allowSubdomains && (reduced.hasSuffix("." + domain) || (isWildcard && reduced.caseInsensitiveEquals(domain))) {
                return true
            }
            if role.allowGlobDomains && domain.utf8.contains(UInt8(ascii: "*")) && PKIGlob.matches(domain, name) { return true }
        }
        return false
    }

    /// RFC 1123 labels of letters, digits and inner hyphens, dot-separated, an optional final dot.
    static func isHostname(_ name: String) -> Bool {
        var labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count > 1, labels.last == "" { labels.removeLast() }
        guard !labels.isEmpty, name.utf8.count <= 253 else { return false }
        return labels.allSatisfy(isLabel)
    }

    static func isLabel(_ label: Substring) -> Bool {
        let bytes = Array(label.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) }
        return alnum(first) && alnum(last) && bytes.allSatisfy { alnum($0) || $0 == 0x2d }
    }

    /// `*`, `*label`, `label*` or `label*label`.
    static func isWildcardLabel(_ label: String) -> Bool {
        guard label.filter({ $0 == "*" }).count == 1 else { return false }
        let parts = label.split(separator: "*", omittingEmptySubsequences: false)
        return parts.allSatisfy { $0.isEmpty || isLabel($0) }
    }
}

/// Vault's glob: `*` matches any run of characters, dots included.
enum PKIGlob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi
                mark = ti
                pi += 1
            } else if pi < p.count && p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

/// RFC 3339 timestamps as Vault's `not_after` and bounds take them.
enum PKITime {
    static func parseRFC3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        lowercased() == other.lowercased()
    }
}
