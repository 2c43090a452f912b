import Foundation
import TresorCore
import X509

/// The PKI mount's storage layout:
/// - `issuer/<id>`, `key/<id>`: issuers and keys;
/// - `config/defaults` (default issuer and key), `config/urls`, `config/crl`, `config/auto-tidy`;
/// - `roles/<name>`: roles as their read JSON;
/// - `certs/<serial>`: issued certificates, `revoked/<serial>`: revocations;
/// - `crls/<issuer id>`: the last CRL built for each issuer.
/// Serials in keys use "-" between bytes.
struct PKIStore: Sendable {
    let storage: StorageView

    // MARK: issuers and keys

    func issuer(_ id: String) async throws -> PKIIssuerEntry? {
        try await storage.getJSON("issuer/" + id, as: PKIIssuerEntry.self)
    }

    func save(_ issuer: PKIIssuerEntry) async throws { try await storage.putJSON("issuer/" + issuer.id, issuer) }

    func issuerIDs() async throws -> [String] { try await storage.list("issuer/").filter { !$0.hasSuffix("/") }.sorted() }

    func issuers() async throws -> [PKIIssuerEntry] {
        var out: [PKIIssuerEntry] = []
        for id in try await issuerIDs() { if let entry = try await issuer(id) { out.append(entry) } }
        return out
    }

    func key(_ id: String) async throws -> PKIKeyEntry? { try await storage.getJSON("key/" + id, as: PKIKeyEntry.self) }

    func save(_ key: PKIKeyEntry) async throws { try await storage.putJSON("key/" + key.id, key) }

    func keyIDs() async throws -> [String] { try await storage.list("key/").filter { !$0.hasSuffix("/") }.sorted() }

    func keys() async throws -> [PKIKeyEntry] {
        var out: [PKIKeyEntry] = []
        for id in try await keyIDs() { if let entry = try await key(id) { out.append(entry) } }
        return out
    }

    func defaults() async throws -> PKIDefaults { try await storage.getJSON("config/defaults", as: PKIDefaults.self) ?? PKIDefaults() }

    func save(_ defaults: PKIDefaults) async throws { try await storage.putJSON("config/defaults", defaults) }

    /// Vault's reference rule: "default", then an ID, then a name.
    func resolveIssuer(_ ref: String) async throws -> PKIIssuerEntry {
        let ref = ref.trimmingWhitespace()
        if ref.isEmpty || ref.lowercased() == "default" {
            let id = try await defaults().defaultIssuer
            guard !id.isEmpty, let entry = try await issuer(id) else { throw TresorError.internalError("no default issuer currently configured") }
            return entry
        }
        if ref.utf8.count == 36, let entry = try await issuer(ref) { return entry }
        if let entry = try await issuers().first(where: { $0.name == ref && !$0.name.isEmpty }) { return entry }
        throw TresorError.internalError("unable to find PKI issuer for reference: \(ref)")
    }

    func resolveKey(_ ref: String) async throws -> PKIKeyEntry {
        let ref = ref.trimmingWhitespace()
        if ref.isEmpty || ref.lowercased() == "default" {
            let id = try await defaults().defaultKey
            guard !id.isEmpty, let entry = try await key(id) else { throw TresorError.internalError("no default key currently configured") }
            return entry
        }
        if ref.utf8.count == 36, let entry = try await key(ref) { return entry }
        if let entry = try await keys().first(where: { $0.name == ref && !$0.name.isEmpty }) { return entry }
        throw TresorError.internalError("unable to find PKI key for reference: \(ref)")
    }

    /// Issuer and key names: word characters at both ends, "-" and "." inside; "default" is taken.
    static func checkName(_ name: String, kind: String) throws(TresorError) {
        guard !name.isEmpty else { return }
        if name.lowercased() == "default" { throw .badRequest("reserved keyword 'default' can not be used as \(kind) name") }
        let bytes = Array(name.utf8)
        func word(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f }
        guard word(bytes.first!), word(bytes.last!), bytes.allSatisfy({ word($0) || $0 == 0x2d || $0 == 0x2e }) else {
            throw .badRequest("\(kind) name contained invalid characters")
        }
    }

    /// Stores a key unless the mount holds it already; returns its entry and whether it is new.
    func importKey(_ key: PKIPrivateKey, name: String) async throws -> (PKIKeyEntry, Bool) {
        let publicKey = key.publicKey
        for existing in try await keys() where (try? existing.key().publicKey) == publicKey {
            return (existing, false)
        }
        if !name.isEmpty, try await keys().contains(where: { $0.name == name }) { throw TresorError.badRequest("key name already in use") }
        let entry = PKIKeyEntry(id: RandomUUID.string(), name: name, pem: try key.storedPEM)
        try await save(entry)
        var defaults = try await defaults()
        if defaults.defaultKey.isEmpty {
            defaults.defaultKey = entry.id
            try await save(defaults)
        }
        return (entry, true)
    }

    /// Stores a CA certificate as an issuer unless it is there already, pairing it with a key the
    /// mount holds. Returns the entry and whether it is new.
    func importIssuer(_ certificate: Certificate, name: String = "", signatureAlgorithm: String = "") async throws -> (PKIIssuerEntry, Bool) {
        let pem = try PKIEncoding.pem(certificate) + "\n"
        for existing in try await issuers() where existing.certificate == pem { return (existing, false) }
        if !name.isEmpty, try await issuers().contains(where: { $0.name == name }) { throw TresorError.badRequest("issuer name already in use") }
        var keyID = ""
        for key in try await keys() where (try? key.key().publicKey) == certificate.publicKey {
            keyID = key.id
            break
        }
        var usage = PKIIssuerEntry.allUsages
        if let keyUsage = try? certificate.extensions.keyUsage, !keyUsage.cRLSign { usage.removeAll { $0 == "crl-signing" } }
        let entry = PKIIssuerEntry(
            id: RandomUUID.string(), name: name, keyID: keyID, certificate: pem, caChain: [pem], manualChain: nil, usage: usage,
            leafNotAfterBehavior: "err", revocationSignatureAlgorithm: signatureAlgorithm, revoked: false, revocationTime: nil,
            issuingCertificates: [], crlDistributionPoints: [], deltaCRLDistributionPoints: [], ocspServers: [],
            enableAIAURLTemplating: false, serialNumber: PKISerial.text(certificate.serialNumber))
        try await save(entry)
        return (entry, true)
    }

    /// Recomputes every issuer's `ca_chain`: itself, then the issuer in the mount that signed
    /// it, and so on up (or its manual chain when one is set).
    func rebuildChains() async throws {
        let all = try await issuers()
        let parsed = all.compactMap { entry in (try? entry.parsed()).map { (entry, $0) } }
        func parent(of certificate: Certificate) -> (PKIIssuerEntry, Certificate)? {
            guard certificate.issuer != certificate.subject else { return nil }
            return parsed.first { candidate in
                candidate.1.subject == certificate.issuer && candidate.1.publicKey.isValidSignature(certificate.signature, for: certificate)
            }
        }
        for (entry, certificate) in parsed {
            var updated = entry
            if let manual = entry.manualChain {
                updated.caChain = manual.compactMap { id in all.first { $0.id == id }?.certificate }
            } else {
                var chain = [entry.certificate]
                var current = certificate
                while chain.count < 16, let (next, nextCertificate) = parent(of: current), !chain.contains(next.certificate) {
                    chain.append(next.certificate)
                    current = nextCertificate
                }
                updated.caChain = chain
            }
            if updated.caChain != entry.caChain { try await save(updated) }
        }
    }

    // MARK: configuration

    func urls() async throws -> PKIURLs { try await storage.getJSON("config/urls", as: PKIURLs.self) ?? PKIURLs() }

    func crlConfig() async throws -> PKICRLConfig { try await storage.getJSON("config/crl", as: PKICRLConfig.self) ?? PKICRLConfig() }

    // MARK: certificates

    func storeCertificate(_ certificate: Certificate) async throws {
        try await storage.put("certs/" + PKISerial.storageKey(certificate.serialNumber), try PKIEncoding.der(certificate))
    }

    /// Issued certificates are stored as their DER, nothing else.
    func certificate(serialKey: String) async throws -> Certificate? {
        guard let der = try await storage.get("certs/" + serialKey) else { return nil }
        do { return try Certificate(derEncoded: der) } catch { throw TresorError.internalError("stored certificate \(serialKey) is unreadable") }
    }

    func revocation(serialKey: String) async throws -> PKIRevokedEntry? {
        try await storage.getJSON("revoked/" + serialKey, as: PKIRevokedEntry.self)
    }
}
