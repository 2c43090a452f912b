#if canImport(Glibc)
import Glibc
#endif

extension Array where Element == UInt8 {
    /// Overwrites the bytes with zeros in a way the optimiser may not drop, then empties the
    /// array. Key material held as plain bytes (unseal shares, the root key on its way into a
    /// `SymmetricKey`, which zeroes its own storage) is wiped this way once it is no longer
    /// needed. Only this array's storage is wiped: call it where the array is the last holder.
    mutating func zeroize() {
        wipe()
        removeAll()
    }

    /// Overwrites the bytes with zeros, keeping the count.
    mutating func wipe() {
        withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress { explicit_bzero(base, raw.count) }
        }
    }
}
