import Foundation
import TresorCore

/// Stored at `policy/<name>` as OpenBao's backup document (`{"policy": ..., "archived_keys":
/// ...}`), with big integers quoted so the ordinary JSON reader keeps them exact; the barrier's
/// document cache then holds the decoded key, and a backup is the same document written with
/// bare numbers.
extension TransitPolicy: JSONDocument {
    init(storedJSON: JSONValue) throws {
        guard case .object(let o) = storedJSON, let policy = o["policy"] else {
            throw TresorError.internalError("stored transit key is corrupt")
        }
        try self.init(goJSON: policy, archive: o["archived_keys"])
    }

    var storedJSON: JSONValue { ["policy": goJSON, "archived_keys": archiveJSON] }

    /// `backup/:name`: base64 of the document with a trailing newline, as Go's encoder ends it.
    var backup: String { Data(GoJSON.encode(storedJSON) + [0x0a]).base64EncodedString() }

    init(backup: String) throws(TresorError) {
        guard let bytes = Data(base64Encoded: backup.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .badRequest("illegal base64 data in backup")
        }
        let value: JSONValue
        do { value = try GoJSON.parse(Array(bytes)) } catch { throw .badRequest("invalid backup: \(error)") }
        guard case .object(let o) = value, let policy = o["policy"] else { throw .badRequest("invalid backup: no policy") }
        try self.init(goJSON: policy, archive: o["archived_keys"])
    }
}
