import Foundation

/// Key material as operators type it: hex or base64 (unseal keys, static seal keys).
public enum KeyText {
    public static func decode(_ text: String) -> [UInt8]? {
        if text.count % 2 == 0, text.allSatisfy(\.isHexDigit) {
            var bytes: [UInt8] = []
            var index = text.startIndex
            while index < text.endIndex {
                let next = text.index(index, offsetBy: 2)
                guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
                bytes.append(byte)
                index = next
            }
            return bytes
        }
        return Data(base64Encoded: text).map { Array($0) }
    }
}
