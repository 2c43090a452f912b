/// Entry point for parsing Vault-style HCL configuration and policy files.
public enum HCL {
    /// Parses an HCL document (or a JSON document, which is valid HCL) into its
    /// top-level object. Empty input yields an empty object.
    public static func parse(_ text: String) throws(HCLError) -> HCLObject {
        var parser = try HCLParser(text)
        return try parser.parseDocument()
    }
}
