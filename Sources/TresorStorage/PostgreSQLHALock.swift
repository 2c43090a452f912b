import Foundation
import PostgresNIO
import Synchronization
@_spi(Server) import TresorCore

/// The cluster lock on PostgreSQL, in Vault's `ha_table` (default `vault_ha_locks`): one row
/// for the lock (`core/lock`) whose holder renews `valid_until`, and one row per node that
/// echoes it is alive. Taking the lock is one statement that only succeeds when the row is free,
/// expired or already ours, so two nodes cannot both take it.
extension PostgreSQLBackend: HALock {
    static let lockKey = "core/lock"
    static let echoPrefix = "tresor/node/"
    /// How long an echo row counts as alive.
    static let echoTTL = 15

    func createHATable() async throws {
        guard let haTable else { return }
        try await client.query("""
            CREATE TABLE IF NOT EXISTS \(unescaped: haTable) (ha_key TEXT COLLATE "C" NOT NULL, ha_identity TEXT COLLATE "C" NOT NULL, \
            ha_value TEXT COLLATE "C", valid_until TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \(unescaped: haTable)_key PRIMARY KEY (ha_key))
            """, logger: logger)
    }

    public func acquire(identity: String, value: String, ttl: Duration) async throws -> Bool {
        guard let haTable else { return true }
        let seconds = Int(ttl.components.seconds)
        let key = Self.lockKey
        let rows = try await client.query("""
            INSERT INTO \(unescaped: haTable) (ha_key, ha_identity, ha_value, valid_until) \
            VALUES (\(key), \(identity), \(value), NOW() + \(seconds) * INTERVAL '1 second') \
            ON CONFLICT (ha_key) DO UPDATE SET ha_identity = EXCLUDED.ha_identity, ha_value = EXCLUDED.ha_value, \
            valid_until = EXCLUDED.valid_until \
            WHERE \(unescaped: haTable).valid_until < NOW() OR \(unescaped: haTable).ha_identity = EXCLUDED.ha_identity \
            RETURNING ha_identity
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    public func release(identity: String) async throws {
        guard let haTable else { return }
        try await client.query("DELETE FROM \(unescaped: haTable) WHERE ha_key = \(Self.lockKey) AND ha_identity = \(identity)", logger: logger)
    }

    public func holder() async throws -> (identity: String, value: String)? {
        guard let haTable else { return nil }
        let rows = try await client.query(
            "SELECT ha_identity, COALESCE(ha_value, '') FROM \(unescaped: haTable) WHERE ha_key = \(Self.lockKey) AND valid_until > NOW()",
            logger: logger)
        for try await (identity, value) in rows.decode((String, String).self) { return (identity, value) }
        return nil
    }

    public func fence(_ identity: String?) {
        fenceIdentity.withLock { $0 = identity }
    }

    public func echo(identity: String, value: String) async throws {
        guard let haTable else { return }
        let key = Self.echoPrefix + identity
        try await client.query("""
            INSERT INTO \(unescaped: haTable) (ha_key, ha_identity, ha_value, valid_until) \
            VALUES (\(key), \(identity), \(value), NOW() + \(Self.echoTTL) * INTERVAL '1 second') \
            ON CONFLICT (ha_key) DO UPDATE SET ha_value = EXCLUDED.ha_value, valid_until = EXCLUDED.valid_until
            """, logger: logger)
    }

    public func members() async throws -> [(identity: String, value: String, lastEcho: Date)] {
        guard let haTable else { return [] }
        let prefix = Self.echoPrefix, upper = Self.echoPrefix + "\u{10FFFF}"
        let rows = try await client.query("""
            SELECT ha_identity, COALESCE(ha_value, ''), EXTRACT(EPOCH FROM valid_until)::float8 FROM \(unescaped: haTable) \
            WHERE ha_key >= \(prefix) AND ha_key < \(upper) AND valid_until > NOW() ORDER BY ha_identity
            """, logger: logger)
        var out: [(identity: String, value: String, lastEcho: Date)] = []
        for try await (identity, value, until) in rows.decode((String, String, Double).self) {
            out.append((identity, value, Date(timeIntervalSince1970: until - Double(Self.echoTTL))))
        }
        return out
    }
}
