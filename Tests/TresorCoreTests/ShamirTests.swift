import Testing
@_spi(Server) @testable import TresorCore

@Suite struct ShamirTests {
    let secret: [UInt8] = (0..<32).map { UInt8($0 * 7 % 256) }

    @Test func everyThresholdSubsetRebuildsTheSecret() throws {
        let shares = try Shamir.split(secret: secret, shares: 5, threshold: 3)
        #expect(shares.count == 5)
        for a in 0..<5 { for b in (a + 1)..<5 { for c in (b + 1)..<5 {
            #expect(try Shamir.combine([shares[a], shares[b], shares[c]]) == secret)
        } } }
        #expect(try Shamir.combine(shares) == secret)
    }

    @Test func fewerSharesDoNotRebuildTheSecret() throws {
        let shares = try Shamir.split(secret: secret, shares: 5, threshold: 3)
        #expect(try Shamir.combine([shares[0], shares[1]]) != secret)
    }

    @Test func sharesAreFreshEachTime() throws {
        let first = try Shamir.split(secret: secret, shares: 3, threshold: 2)
        let second = try Shamir.split(secret: secret, shares: 3, threshold: 2)
        #expect(first != second)
    }

    @Test func rejectsBadParametersAndShares() throws {
        #expect(throws: Shamir.Failure.self) { try Shamir.split(secret: secret, shares: 2, threshold: 3) }
        #expect(throws: Shamir.Failure.self) { try Shamir.split(secret: [], shares: 2, threshold: 2) }
        let shares = try Shamir.split(secret: secret, shares: 3, threshold: 2)
        #expect(throws: Shamir.Failure.self) { try Shamir.combine([shares[0], shares[0]]) }
        #expect(throws: Shamir.Failure.self) { try Shamir.combine([shares[0], Array(shares[1].dropLast())]) }
    }

    @Test func fieldArithmeticIsConsistent() {
        for a in 1...255 {
            let x = UInt8(a)
            #expect(Shamir.div(Shamir.mul(x, 0x53), 0x53) == x)
        }
    }
}
