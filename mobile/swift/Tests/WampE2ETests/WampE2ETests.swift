// The same tests as the Kotlin module's, in XCTest. Run by `make test-mobile` wherever
// a Swift toolchain exists (`swift test` in mobile/swift).
import Foundation
import XCTest
@testable import WampE2E

/// The stable number of each error case. Exhaustive `switch`: an unmapped core error does not compile.
func codeOf(_ e: Wampe2eError) -> Int {
    switch e {
    case .InvalidKey: return 1
    case .KeyNotFound: return 2
    case .KeyIncomplete: return 3
    case .WrongKeyKind: return 4
    case .DecryptionFailed: return 5
    case .TruncatedCiphertext: return 6
    case .UriMismatch: return 7
    case .MissingUri: return 8
    case .UnknownScheme: return 9
    case .UnknownCipher: return 10
    case .UnknownSerializer: return 11
    case .InvalidUtf8: return 12
    case .InvalidJson: return 13
    case .InvalidCbor: return 14
    case .InvalidMsgpack: return 15
    case .InvalidBase64: return 16
    case .InvalidPayload: return 17
    case .UnsupportedValue: return 18
    case .PayloadTooLarge: return 19
    case .InvalidEnvelope: return 20
    case .RandomFailed: return 21
    case .InvalidMessage: return 22
    case .NullArgument: return 23
    case .Panic: return 24
    case .InvalidArgument: return 25
    }
}

final class WampE2ETests: XCTestCase {
    let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../../tests/vectors").standardized

    func vector(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: vectors.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func rings() throws -> (KeyRing, KeyRing) {
        let o = try generateKeypair()
        let r = try generateKeypair()
        let sealer = KeyRing()
        try sealer.setBoxKey(prefix: "com.example.", originatorPriv: o.secret, originatorPub: nil, responderPriv: nil, responderPub: r.public, allowMissingUri: false)
        let opener = KeyRing()
        try opener.setBoxKey(prefix: "com.example.", originatorPriv: nil, originatorPub: o.public, responderPriv: r.secret, responderPub: nil, allowMissingUri: false)
        return (sealer, opener)
    }

    func code(_ block: () throws -> Void) -> Int {
        do { try block() } catch let e as Wampe2eError { return codeOf(e) } catch { return -1 }
        return 0
    }

    func testJsonRoundTripInBothDialects() throws {
        let (sealer, opener) = try rings()
        for dialect in [Dialect.cryptobox, .passthru(serializer: .cbor, cipher: .xsalsa20poly1305)] {
            let env = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[1,\"two\"]", kwargsJson: "{\"k\":null}", dialect: dialect)
            let got = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: env.attributes, payload: env.payload)
            XCTAssertEqual(got.uri, "com.example.t")
            XCTAssertEqual(got.argsJson, "[1,\"two\"]")
            XCTAssertEqual(got.kwargsJson, "{\"k\":null}")
        }
    }

    func testTypedValuesWithDataKeys() throws {
        let ring = KeyRing()
        try ring.setDataKey(keyId: "team-1", key: try generateDataKey(), prefix: "com.")
        let args: [PayloadValue] = [.null, .bool(value: true), .int(value: -7), .float(value: 21.5), .text(value: "grüße"), .bytes(value: Data([0, 255]))]
        for cipher in [Cipher.xsalsa20poly1305, .aes256gcm] {
            let env = try sealPayloadValues(keyring: ring, role: .originator, uri: "com.x", args: args, kwargs: nil, dialect: .passthru(serializer: .cbor, cipher: cipher))
            let got = try openPayloadValues(keyring: ring, role: .responder, uri: "com.x", attributes: env.attributes, payload: env.payload)
            XCTAssertEqual(got.args, args)
        }
    }

    func testAutobahnVectorsOpen() throws {
        let doc = try vector("autobahn_cryptobox.json")
        let o = doc["originator"] as! [String: String]
        let r = doc["responder"] as! [String: String]
        let asResponder = KeyRing()
        try asResponder.setBoxKey(prefix: "", originatorPriv: nil, originatorPub: o["public_base64"], responderPriv: r["secret_hex"], responderPub: nil, allowMissingUri: false)
        let asOriginator = KeyRing()
        try asOriginator.setBoxKey(prefix: "", originatorPriv: o["secret_hex"], originatorPub: nil, responderPriv: nil, responderPub: r["public_base64"], allowMissingUri: false)
        for v in doc["vectors"] as! [[String: String]] {
            let fromOriginator = v["sealer_role"] == "originator"
            let got = try openPayload(keyring: fromOriginator ? asResponder : asOriginator, role: fromOriginator ? .responder : .originator,
                                      uri: v["uri"]!, attributes: ["enc_algo": "cryptobox", "enc_serializer": "json"],
                                      payload: Data(base64Encoded: v["sealed_base64"]!)!)
            XCTAssertEqual(got.argsJson, v["args_json"])
            XCTAssertEqual(got.kwargsJson, v["kwargs_json"])
        }
    }

    func testErrorCases() throws {
        let (sealer, opener) = try rings()
        let env = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[1]", kwargsJson: nil, dialect: .cryptobox)
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.other", attributes: env.attributes, payload: env.payload) }, 7)
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .originator, uri: "com.example.t", attributes: env.attributes, payload: env.payload) }, 3)
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: env.attributes, payload: env.payload.prefix(39)) }, 6)
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: [:], payload: env.payload) }, 20)
        XCTAssertEqual(code { _ = try sealPayload(keyring: sealer, role: .originator, uri: "org.other", argsJson: "[]", kwargsJson: nil, dialect: .cryptobox) }, 2)
        XCTAssertEqual(code { _ = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[1,", kwargsJson: nil, dialect: .cryptobox) }, 13)
        XCTAssertEqual(code { try KeyRing().setBoxKey(prefix: "x", originatorPriv: "not a key!", originatorPub: nil, responderPriv: nil, responderPub: nil, allowMissingUri: false) }, 1)
    }

    func testOneKeyringFromManyThreads() throws {
        let (sealer, opener) = try rings()
        let ok = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        defer { ok.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            var n = 0
            for i in 0..<200 {
                if let env = try? sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[\(t),\(i)]", kwargsJson: nil, dialect: .cryptobox),
                   let got = try? openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: env.attributes, payload: env.payload),
                   got.argsJson == "[\(t),\(i)]" { n += 1 }
            }
            ok[t] = n
        }
        XCTAssertEqual((0..<4).map { ok[$0] }, [200, 200, 200, 200])
    }
}
