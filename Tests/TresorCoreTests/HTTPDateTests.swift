import Foundation
import Testing
@_spi(Server) @testable import TresorCore

@Suite struct HTTPDateTests {
    @Test func formatsRFC9110Example() {
        #expect(HTTPDate.string(epochSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.string(epochSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func agreesWithFoundationOverManyInstants() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var generator = SystemRandomNumberGenerator()
        // Up to year 9999, leap days and month ends included by chance and by the fixed ones.
        let fixed = [951_782_400, 951_868_799, 1_709_164_800, 4_107_542_399, 253_402_300_799]
        for seconds in fixed + (0..<2000).map({ _ in Int.random(in: 0...253_402_300_799, using: &generator) }) {
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(HTTPDate.string(epochSeconds: seconds) == expected, "at \(seconds)")
        }
    }

    @Test func clampsYearsTheFixedFormCannotHold() {
        #expect(HTTPDate.string(epochSeconds: 253_402_300_800).hasSuffix(" 9999 00:00:00 GMT"))
        #expect(HTTPDate.string(epochSeconds: -62_167_219_201).contains(" 0000 "))
        #expect(HTTPDate.now().count == 29)
    }
}
