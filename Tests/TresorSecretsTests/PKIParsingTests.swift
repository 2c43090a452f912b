import Crypto
import Foundation
import SwiftASN1
import Testing
@_spi(Server) import TresorCore
@testable import TresorSecrets
import X509

/// The PKI engine's own parsers and rules, fed hostile input: none may crash, and each answers
/// as Vault does.
@Suite struct PKIParsingTests {
    @Test func serialsInEitherSpellingMapToOneStorageKey() {
        #expect(PKISerial.key("0A:C0:c2") == "0a-c0-c2")
        #expect(PKISerial.key("a-c0-c2") == "0a-c0-c2")
        for hostile in ["", ":", "zz:00", "0a::0b", "../x", String(repeating: "00:", count: 100) + "00", "0a:0b\u{0}"] {
            #expect(PKISerial.key(hostile) == nil, "\(hostile.debugDescription)")
        }
        let serial = PKISerial.random()
        #expect(serial.bytes.count <= 20 && (serial.bytes.first ?? 0) < 0x80)
        #expect(PKISerial.hexBytes("0aff") == [0x0a, 0xff] && PKISerial.hexBytes("0a0") == nil && PKISerial.hexBytes("zz") == nil)
    }

    @Test func pemBlocksAreReadStrictlyOrLeniently() throws {
        let key = P256.Signing.PrivateKey()
        let strict = key.pemRepresentation
        #expect(PKIPEM.single(strict)?.discriminator == "PRIVATE KEY")
        // 76-column base64, as Python writes it.
        let der = Data(key.derRepresentation)
        let wide = "-----BEGIN PRIVATE KEY-----\n" + der.base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
            + "\n-----END PRIVATE KEY-----\n"
        #expect(PKIPEM.single(wide)?.derBytes == [UInt8](der))
        for hostile in ["", "-----BEGIN X-----", "-----BEGIN X-----\n!!!\n-----END X-----", "-----BEGIN -----\nAAAA\n-----END -----",
                        String(repeating: "-----BEGIN A-----\nAAAA\n-----END A-----\n", count: 500)] {
            #expect(PKIPEM.documents(hostile).count <= PKIPEM.maxBlocks)
        }
        #expect(PKIPEM.documents("-----BEGIN X-----\n!!!\n-----END X-----").isEmpty)
    }

    @Test func ocspRequestsThatAreNotOCSPAreRefused() {
        for hostile: [UInt8] in [[], [0x30], [0x30, 0x03, 0x0a, 0x01, 0x01], [0x30, 0x80, 0x00, 0x00], Array(repeating: 0x30, count: 3000),
                                 [0x30, 0x06, 0x30, 0x04, 0x30, 0x02, 0x30, 0x00]] {
            #expect(PKIOCSP.parse(hostile) == nil)
        }
    }

    @Test func smallRSAKeysInCSRsAreMeasuredWithoutParsingTheKey() throws {
        // A CSR-shaped structure with a 1024-bit rsaEncryption key: swift-crypto would refuse the key.
        var key = DER.Serializer()
        try key.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(ArraySlice([0x00, 0x80] + [UInt8](repeating: 0x11, count: 127)))
            try s.serialize(65537)
        }
        var csr = DER.Serializer()
        try csr.appendConstructedNode(identifier: .sequence) { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(0)
                try s.serialize(DistinguishedName())
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try s.appendConstructedNode(identifier: .sequence) { s in
                        try s.serialize(ASN1ObjectIdentifier.AlgorithmIdentifier.rsaEncryption)
                        try s.serialize(ASN1Null())
                    }
                    try s.serialize(ASN1BitString(bytes: key.serializedBytes[...]))
                }
            }
        }
        #expect(PKIKeyParameters.rsaModulusBits(csr: csr.serializedBytes) == 1024)
        #expect(PKIKeyParameters.rsaModulusBits(csr: [0x30, 0x00]) == nil)
        #expect(PKIKeyParameters.rsaModulusBits(csr: []) == nil)
    }

    @Test func hostnameAndGlobRules() {
        #expect(PKINamePolicy.isHostname("a.example.com") && PKINamePolicy.isHostname("example.com."))
        for bad in ["", ".", "a..b", "-a.com", "a-.com", "a_b.com", "a b", String(repeating: "a", count: 64) + ".com", "é.com"] {
            #expect(!PKINamePolicy.isHostname(bad), "\(bad)")
        }
        #expect(PKIGlob.matches("*.example.com", "a.b.example.com") && PKIGlob.matches("ex*.org", "ex.org"))
        #expect(!PKIGlob.matches("*.example.com", "example.com"))
        // Backtracking stays linear-ish on adversarial patterns.
        #expect(!PKIGlob.matches(String(repeating: "*a", count: 50) + "b", String(repeating: "a", count: 2000)))
    }

    @Test func specialPathGlobsWithSegmentWildcards() {
        let globs = PathGlobs(["issuer/+/pem", "cert/*", "ca", "ocsp/*", "a/+/b/*"])
        #expect(globs.matches("issuer/abc/pem") && globs.matches("cert/01-02") && globs.matches("ca") && globs.matches("a/x/b/c/d"))
        #expect(!globs.matches("issuer/abc/der") && !globs.matches("issuer//pem") && !globs.matches("issuer/a/b/pem") && !globs.matches("cab"))
    }
}
