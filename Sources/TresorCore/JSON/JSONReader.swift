import Foundation

/// Parses request bodies. Foundation's parser is well tested against hostile input (it caps
/// nesting depth and rejects invalid UTF-8); we only translate its failures into API errors.
public enum JSONReader {
    public static func parse(_ bytes: some Collection<UInt8>) throws(TresorError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes)
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
    public static func decodeStored<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(bytes))
    }

    public static func encodeStored<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(value))
    }
}
