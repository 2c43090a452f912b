import Foundation
import TresorCore
import X509

/// The PKI secrets engine: a certificate authority with Vault's paths. Roots and intermediates
/// (generated, signed or imported) become issuers; roles say which names they sign; issued
/// certificates can be revoked, and the revocations are published as CRLs and over OCSP.
/// Layout in `PKIStore`.
struct PKIBackend: LeasingBackend {
    let paths: [PathSpec]
    let secretTypes: [String: SecretType]
    let system: SystemView

    init(system: SystemView) {
        self.system = system
        paths = Self.caPaths(system) + Self.importPaths(system) + Self.rolePaths() + Self.issuePaths(system)
            + Self.revocationPaths(system) + Self.fetchPaths(system) + Self.issuerPaths(system) + Self.keyPaths()
            + Self.configPaths(system) + Self.tidyPaths(system)
        secretTypes = [
            // A leased certificate (`generate_lease`): revoking the lease revokes the certificate.
            "pki": SecretType(name: "pki", revoke: { ctx in
                guard let serial = ctx.lease.internalData["serial_number"], let key = PKISerial.key(serial) else { return }
                _ = try await Self.revoke(PKIStore(storage: ctx.storage), serialKey: key, now: system.now(), rebuild: true)
            }),
        ]
    }

    var specialPaths: SpecialPaths { Self.special }

    private static let special = SpecialPaths(
        unauthenticated: [
            "cert/*", "ca/pem", "ca_chain", "ca", "crl/delta", "crl/delta/pem", "crl/pem", "crl", "issuer/+/crl/der",
            "issuer/+/crl/pem", "issuer/+/crl", "issuer/+/crl/delta/der", "issuer/+/crl/delta/pem", "issuer/+/crl/delta",
            "issuer/+/pem", "issuer/+/der", "issuer/+/json", "issuers/", "ocsp", "ocsp/*",
        ],
        root: ["root", "root/sign-self-issued", "issuer/+/sign-self-issued"])

    func periodic(storage: StorageView, mount: MountEntry) async throws {
        try await Self.autoTidy(PKIStore(storage: storage), now: system.now())
    }

    // MARK: shared helpers

    /// The issuer a signing request uses, with its key; Vault's 500 when there is none.
    static func signingIssuer(_ store: PKIStore, ref: String) async throws -> (PKIIssuerEntry, Certificate, PKIPrivateKey) {
        let entry: PKIIssuerEntry
        do { entry = try await store.resolveIssuer(ref) } catch let error as TresorError {
            throw TresorError.internalError("could not fetch the CA certificate (was one set?): \(error.messages.joined())")
        }
        guard entry.has("issuing-certificates") else {
            throw TresorError.internalError("error fetching CA certificate: error while attempting to use issuer \(entry.id): requested usage issuing-certificates for issuer [id:\(entry.id)] but only had usage \(entry.usage.joined(separator: ","))")
        }
        guard !entry.keyID.isEmpty, let keyEntry = try await store.key(entry.keyID) else {
            throw TresorError.internalError("could not fetch the CA certificate (was one set?): issuer \(entry.id) has no key in this mount")
        }
        return (entry, try entry.parsed(), try keyEntry.key())
    }

    /// Certificate, chain and serial fields of an issue or sign answer.
    static func certificateData(_ certificate: Certificate, issuer: PKIIssuerEntry, format: PKIFormat, privateKey: PKIPrivateKey?,
                                pkcs8: Bool, removeRoots: Bool) throws -> [String: JSONValue] {
        let chainPEMs = issuer.caChain.map(PKIEncoding.trimmed)
        var chain: [String] = []
        for pem in issuer.caChain {
            if format != .der && !removeRoots {
                chain.append(PKIEncoding.trimmed(pem))
                continue
            }
            let parsed = try PKICache.shared.certificate(pem)
            if removeRoots && parsed.subject == parsed.issuer { continue }
            chain.append(try PKIEncoding.encode(parsed, format))
        }
        var data: [String: JSONValue] = [
            "serial_number": .string(PKISerial.text(certificate.serialNumber)),
            "expiration": .int(Int64(certificate.notValidAfter.timeIntervalSince1970)),
            "not_before": .int(Int64(certificate.notValidBefore.timeIntervalSince1970)),
            "issuing_ca": .string(format == .der ? try PKIEncoding.encode(try issuer.parsed(), .der) : PKIEncoding.trimmed(issuer.certificate)),
        ]
        if !chain.isEmpty { data["ca_chain"] = JSONValue(chain) }
        var certificateText = try PKIEncoding.encode(certificate, format)
        if let privateKey {
            data["private_key"] = .string(try privateKey.encoded(format: format, pkcs8: pkcs8))
            data["private_key_type"] = .string(privateKey.typeName)
        }
        if format == .pemBundle {
            var parts: [String] = []
            if let privateKey { parts.append(try privateKey.encoded(format: .pem, pkcs8: pkcs8)) }
            parts.append(certificateText)
            parts += chainPEMs
            certificateText = parts.joined(separator: "\n")
        }
        data["certificate"] = .string(certificateText)
        return data
    }

    static func aiaWarning(_ urls: PKIURLs, intermediate: Bool = false) -> [String] {
        guard urls.isEmpty else { return [] }
        var text = "This mount hasn't configured any authority information access (AIA) fields; this may make it harder for systems to find missing certificates in the chain or to validate revocation status of certificates. Consider updating /config/urls or the newly generated issuer with this information."
        if intermediate {
            text += " Since this certificate is an intermediate, it might be useful to regenerate this certificate after fixing this problem for the root mount."
        }
        return [text]
    }

    /// A body field given where the path already names the value: the path wins, with Vault's warning.
    static func replacedWarning(_ fields: FieldData, _ names: [String]) -> [String] {
        let replaced = names.filter { fields.has($0) }
        return replaced.isEmpty ? [] : ["Endpoint replaced the value of these parameters with the values captured from the endpoint's path: [\(replaced.joined(separator: " "))]"]
    }
}
