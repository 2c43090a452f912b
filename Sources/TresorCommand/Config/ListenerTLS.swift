import NIOSSL

/// The TLS side of `listener "tcp"`: Vault's option values mapped onto NIOSSL.
enum ListenerTLS {
    static let versions: [String: TLSVersion] = ["tls10": .tlsv1, "tls11": .tlsv11, "tls12": .tlsv12, "tls13": .tlsv13]

    static func order(_ version: TLSVersion) -> Int {
        switch version {
        case .tlsv1: return 0
        case .tlsv11: return 1
        case .tlsv12: return 2
        case .tlsv13: return 3
        }
    }

    /// Go's names for the suites `tls_cipher_suites` may list (Go accepts the ChaCha suites
    /// without their `_SHA256` too). TLS 1.3 suites are always on, in Go as in BoringSSL.
    static let ciphers: [String: NIOTLSCipher] = [
        "TLS_RSA_WITH_AES_128_CBC_SHA": .TLS_RSA_WITH_AES_128_CBC_SHA,
        "TLS_RSA_WITH_AES_256_CBC_SHA": .TLS_RSA_WITH_AES_256_CBC_SHA,
        "TLS_RSA_WITH_AES_128_GCM_SHA256": .TLS_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_RSA_WITH_AES_256_GCM_SHA384": .TLS_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_AES_128_GCM_SHA256": .TLS_AES_128_GCM_SHA256,
        "TLS_AES_256_GCM_SHA384": .TLS_AES_256_GCM_SHA384,
        "TLS_CHACHA20_POLY1305_SHA256": .TLS_CHACHA20_POLY1305_SHA256,
    ]

    static let tls13Suites: Set<NIOTLSCipher> = [.TLS_AES_128_GCM_SHA256, .TLS_AES_256_GCM_SHA384, .TLS_CHACHA20_POLY1305_SHA256]

    /// The server configuration for a listener whose options the loader has already checked.
    static func configuration(_ listener: ServerConfig.Listener) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(listener.tlsCertFile)
        let key = try NIOSSLPrivateKey(file: listener.tlsKeyFile, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = versions[listener.tlsMinVersion] ?? .tlsv12
        configuration.maximumTLSVersion = versions[listener.tlsMaxVersion] ?? .tlsv13
        let suites = listener.tlsCipherSuites.compactMap { ciphers[$0] }.filter { !tls13Suites.contains($0) }
        if !suites.isEmpty { configuration.cipherSuiteValues = suites }
        // Vault's modes: require and verify against the CA file (or the system roots); verify a
        // certificate if one is offered when only the CA file is set; otherwise none is needed.
        let roots: NIOSSLTrustRoots? = listener.tlsClientCAFile.isEmpty
            ? nil : .certificates(try NIOSSLCertificate.fromPEMFile(listener.tlsClientCAFile))
        if listener.tlsRequireAndVerifyClientCert {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = roots ?? .default
        } else if let roots {
            configuration.certificateVerification = .optionalVerification
            configuration.trustRoots = roots
        } else {
            configuration.certificateVerification = .none
        }
        return configuration
    }
}
