/// Transit key types, numbered as OpenBao stores them (the numbers travel in backups, so a
/// key backed up from OpenBao restores here as the same type).
enum TransitKeyType: Int, Sendable, CaseIterable {
    case aes256GCM96 = 0
    case ecdsaP256 = 1
    case ed25519 = 2
    case rsa2048 = 3
    case rsa4096 = 4
    case chacha20Poly1305 = 5
    case ecdsaP384 = 6
    case ecdsaP521 = 7
    case aes128GCM96 = 8
    case rsa3072 = 9
    case hmac = 10

    init?(name: String) {
        guard let type = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = type
    }

    var name: String {
        switch self {
        case .aes256GCM96: "aes256-gcm96"
        case .ecdsaP256: "ecdsa-p256"
        case .ed25519: "ed25519"
        case .rsa2048: "rsa-2048"
        case .rsa4096: "rsa-4096"
        case .chacha20Poly1305: "chacha20-poly1305"
        case .ecdsaP384: "ecdsa-p384"
        case .ecdsaP521: "ecdsa-p521"
        case .aes128GCM96: "aes128-gcm96"
        case .rsa3072: "rsa-3072"
        case .hmac: "hmac"
        }
    }

    var isSymmetric: Bool { [.aes128GCM96, .aes256GCM96, .chacha20Poly1305].contains(self) }
    var isECDSA: Bool { [.ecdsaP256, .ecdsaP384, .ecdsaP521].contains(self) }
    var isRSA: Bool { [.rsa2048, .rsa3072, .rsa4096].contains(self) }

    var supportsEncryption: Bool { isSymmetric || isRSA }
    var supportsSigning: Bool { isECDSA || isRSA || self == .ed25519 }
    var supportsDerivation: Bool { isSymmetric || self == .ed25519 }
    var supportsAssociatedData: Bool { isSymmetric }
    /// ECDSA and RSA sign a digest of the input; ed25519 signs the input itself.
    var hashesSignatureInput: Bool { isECDSA || isRSA }

    /// Bytes of a symmetric key.
    var symmetricKeySize: Int { self == .aes128GCM96 ? 16 : 32 }

    var rsaBits: Int {
        switch self {
        case .rsa2048: 2048
        case .rsa3072: 3072
        default: 4096
        }
    }

    /// The curve name shown in a key read's `keys` map.
    var publicKeyName: String {
        switch self {
        case .ecdsaP256: "P-256"
        case .ecdsaP384: "P-384"
        case .ecdsaP521: "P-521"
        default: name
        }
    }

    /// Bytes of each of r and s in a JWS ECDSA signature.
    var ecdsaCoordinateSize: Int {
        switch self {
        case .ecdsaP256: 32
        case .ecdsaP384: 48
        default: 66
        }
    }
}
