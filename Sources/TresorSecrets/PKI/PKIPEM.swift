import Foundation
import SwiftASN1

/// PEM blocks as clients send them. swift-asn1's reader wants RFC 7468's strict form (64-column
/// lines); tools such as Python's base64 write 76 columns, and Vault accepts those, so a block
/// the strict reader refuses is read again leniently: the base64 between its armour lines, with
/// any whitespace.
enum PKIPEM {
    static let maxBlocks = 64

    /// The blocks of `text`; none when it holds more than `maxBlocks` or a block is not base64.
    static func documents(_ text: String) -> [PEMDocument] {
        if let strict = try? PEMDocument.parseMultiple(pemString: text), !strict.isEmpty { return strict.count > maxBlocks ? [] : strict }
        var documents: [PEMDocument] = []
        var rest = Substring(text)
        while documents.count <= maxBlocks, let begin = rest.range(of: "-----BEGIN ") {
            guard let labelEnd = rest[begin.upperBound...].range(of: "-----") else { break }
            let label = String(rest[begin.upperBound..<labelEnd.lowerBound])
            guard let end = rest[labelEnd.upperBound...].range(of: "-----END \(label)-----") else { break }
            let body = rest[labelEnd.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
            guard !label.isEmpty, let der = Data(base64Encoded: String(body)), !der.isEmpty else { return [] }
            documents.append(PEMDocument(type: label, derBytes: [UInt8](der)))
            rest = rest[end.upperBound...]
        }
        return documents.count > maxBlocks ? [] : documents
    }

    static func single(_ text: String) -> PEMDocument? {
        let found = documents(text)
        return found.count == 1 ? found[0] : nil
    }
}
