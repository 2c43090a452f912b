import Foundation

/// Parses request bodies into API errors a Vault client recognises.
public enum JSONReader {
    public static func parse(_ bytes: some Collection<UInt8>, limits: JSONLimits = .stored) throws(TresorError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes, limits: limits)
        } catch where error.isComplexityLimit {
            throw TresorError.badRequest(error.description)
        } catch {
            throw TresorError.badRequest("failed to parse JSON input: \(error.description)")
        }
    }

    /// Parses a body that must be a JSON object, as every write endpoint expects.
    public static func parseObject(_ bytes: some Collection<UInt8>) throws(TresorError) -> [String: JSONValue] {
        let value = try parse(bytes)
        guard case .object(let object) = value else {
            throw TresorError.badRequest("failed to parse JSON input: expected a JSON object, got \(value.typeName)")
        }
        return object
    }
}

extension JSONValue {
    /// Decodes a stored document; storage holds what we wrote, so a failure is internal.
    /// Hand-mapped documents skip Codable entirely.
    public static func decodeStored<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        if let document = T.self as? any JSONDocument.Type {
            let json: JSONValue
            do { json = try parse(bytes) } catch { throw TresorError.internalError("stored \(T.self) is not JSON: \(error)") }
            if let value = try document.init(storedJSON: json) as? T { return value }
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            // Storage holds only what Tresor wrote: a record that does not decode is corrupt.
            throw TresorError.internalError("stored \(T.self) is corrupt: \(error)")
        }
    }

    public static func encodeStored<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let document = value as? any JSONDocument { return JSONWriter.encode(document.storedJSON) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }
}
