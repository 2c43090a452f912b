/// The type a field's raw JSON is converted to before a handler sees it. The conversions follow
/// Vault's, because clients send "10" and 10 and "10s" interchangeably.
public enum FieldType: Sendable {
    case string
    case int
    case bool
    /// Seconds: a number, or a Go duration string such as "1h30m".
    case duration
    /// A JSON list of strings, or a comma-separated string.
    case commaStringSlice
    /// Policy names: a comma list whose names are trimmed, lower-cased and NFC-normalised, as
    /// they are stored. ACL parameter checks see the names in this form too.
    case policyNames
    /// A JSON list of strings (a single string becomes a one-element list).
    case stringSlice
    /// A JSON object with string values (also accepts "k=v,k2=v2").
    case keyValuePairs
    /// A JSON object of anything.
    case map
    /// Anything, passed through.
    case any
}

public struct FieldSpec: Sendable {
    public let name: String
    public let type: FieldType
    public let defaultValue: JSONValue?
    public let description: String
    public let required: Bool

    public init(_ name: String, _ type: FieldType, default defaultValue: JSONValue? = nil, required: Bool = false, _ description: String = "") {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.description = description
    }
}
