import Crypto
import CryptoExtras
import Foundation
import NIOPosix

/// Passwords are kept as scrypt hashes: slow and memory-hard, so a stolen store is expensive to
/// attack. The parameters are stored with each hash so they can be raised later.
///
/// One derivation takes 16 MiB and tens of milliseconds, so it runs on NIO's blocking thread
/// pool: never on an event loop, where it would stall every other request on that loop.
struct PasswordHash: Codable, Sendable, Equatable {
    var salt: [UInt8]
    var hash: [UInt8]
    var rounds: Int
    var blockSize: Int
    var parallelism: Int

    static let rounds = 16384

    static func make(_ password: String) async throws -> PasswordHash {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }
        let hash = try await NIOThreadPool.singleton.runIfActive {
            try derive(password, salt: salt, rounds: rounds, blockSize: 8, parallelism: 1)
        }
        return PasswordHash(salt: salt, hash: hash, rounds: rounds, blockSize: 8, parallelism: 1)
    }

    static func derive(_ password: String, salt: [UInt8], rounds: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32,
                                           rounds: rounds, blockSize: blockSize, parallelism: parallelism)
        return key.withUnsafeBytes { Array($0) }
    }

    /// Constant-time comparison of the derived hash.
    func matches(_ password: String) async -> Bool {
        let (salt, rounds, blockSize, parallelism) = (salt, rounds, blockSize, parallelism)
        guard let candidate = try? await NIOThreadPool.singleton.runIfActive({
            try Self.derive(password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism)
        }), candidate.count == hash.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<hash.count { difference |= candidate[i] ^ hash[i] }
        return difference == 0
    }

    /// Spent on unknown users too, so timing does not tell which usernames exist.
    /// Its hash is random bytes, which no password derives to; checking against it costs one
    /// derivation like any other check.
    static let decoy = PasswordHash(salt: [UInt8](repeating: 0x5a, count: 16),
                                    hash: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) },
                                    rounds: rounds, blockSize: 8, parallelism: 1)
}
