/// Shamir's secret sharing over GF(2^8): a secret split into `shares` pieces, any `threshold` of
/// which rebuild it and fewer reveal nothing. Each share is the polynomial values for every
/// secret byte followed by its x coordinate.
public enum Shamir {
    public enum Failure: Error { case invalidParameters, invalidShares }

    // Log and exp tables for GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1 and generator 3.
    static let tables: (log: [UInt8], exp: [UInt8]) = {
        var log = [UInt8](repeating: 0, count: 256)
        var exp = [UInt8](repeating: 0, count: 510)
        var x: UInt8 = 1
        for i in 0..<255 {
            exp[i] = x
            exp[i + 255] = x
            log[Int(x)] = UInt8(i)
            // multiply by the generator 3 = x * 2 xor x
            let doubled = (x << 1) ^ ((x & 0x80) != 0 ? 0x1b : 0)
            x = doubled ^ x
        }
        return (log, exp)
    }()

    static func mul(_ a: UInt8, _ b: UInt8) -> UInt8 {
        if a == 0 || b == 0 { return 0 }
        return tables.exp[Int(tables.log[Int(a)]) + Int(tables.log[Int(b)])]
    }

    static func div(_ a: UInt8, _ b: UInt8) -> UInt8 {
        precondition(b != 0)
        if a == 0 { return 0 }
        return tables.exp[(Int(tables.log[Int(a)]) + 255 - Int(tables.log[Int(b)])) % 255]
    }

    public static func split(secret: [UInt8], shares: Int, threshold: Int) throws -> [[UInt8]] {
        guard !secret.isEmpty, shares >= 1, shares <= 255, threshold >= 1, threshold <= shares else {
            throw Failure.invalidParameters
        }
        // One share means no splitting at all: the key itself is the share, as Vault does.
        if shares == 1 { return [secret] }
        var generator = SystemRandomNumberGenerator()
        // Distinct random non-zero x coordinates, so shares do not reveal their order.
        var xs: [UInt8] = Array(1...255).shuffled(using: &generator).prefix(shares).map { $0 }
        xs.shuffle(using: &generator)
        var out = xs.map { _ in [UInt8]() }
        for byte in secret {
            var coefficients: [UInt8] = [byte]
            for _ in 1..<threshold { coefficients.append(UInt8.random(in: 0...255, using: &generator)) }
            for (i, x) in xs.enumerated() {
                // Horner's rule from the highest coefficient down.
                var y: UInt8 = 0
                for c in coefficients.reversed() { y = mul(y, x) ^ c }
                out[i].append(y)
            }
        }
        for i in out.indices { out[i].append(xs[i]) }
        return out
    }

    public static func combine(_ shares: [[UInt8]]) throws -> [UInt8] {
        guard let first = shares.first else { throw Failure.invalidShares }
        if shares.count == 1 { return first }
        let length = first.count
        guard length >= 2, shares.allSatisfy({ $0.count == length }) else { throw Failure.invalidShares }
        let xs = shares.map { $0[length - 1] }
        guard Set(xs).count == xs.count, !xs.contains(0) else { throw Failure.invalidShares }
        var secret = [UInt8](repeating: 0, count: length - 1)
        for byteIndex in 0..<(length - 1) {
            // Lagrange interpolation at x = 0.
            var value: UInt8 = 0
            for (i, xi) in xs.enumerated() {
                var basis: UInt8 = 1
                for (j, xj) in xs.enumerated() where j != i {
                    basis = mul(basis, div(xj, xj ^ xi))
                }
                value ^= mul(shares[i][byteIndex], basis)
            }
            secret[byteIndex] = value
        }
        return secret
    }
}
