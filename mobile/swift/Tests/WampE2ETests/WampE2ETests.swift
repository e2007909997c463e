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
    case .UnexpectedPlaintext: return 26
    case .Reflected: return 27
    case .PatternMismatch: return 28
    case .KeyExhausted: return 29
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

    func testInboundDecision() throws {
        let ring = KeyRing()
        try ring.setSharedKey(prefix: "com.secret.", secret: try generateKeypair().secret)
        let kinds: [MessageKind] = [.event, .invocation, .result, .error]
        for kind in kinds {
            XCTAssertEqual(try decideInbound(keyring: ring, kind: kind, localUri: "com.secret.x", matchPolicy: .exact, routerUri: nil, sealed: true, requestSealed: false), .open(uri: "com.secret.x"))
            // strict (the default): a plaintext on a keyed URI is refused
            XCTAssertEqual(code { _ = try decideInbound(keyring: ring, kind: kind, localUri: "com.secret.x", matchPolicy: .exact, routerUri: nil, sealed: false, requestSealed: false) }, 26)
            // not strict (migration): delivered
            XCTAssertEqual(try decideInbound(keyring: ring, kind: kind, localUri: "com.secret.x", matchPolicy: .exact, routerUri: nil, sealed: false, requestSealed: false, strict: false), .plain(uri: "com.secret.x"))
            XCTAssertEqual(try decideInbound(keyring: ring, kind: kind, localUri: "org.public.x", matchPolicy: .exact, routerUri: nil, sealed: false, requestSealed: false), .plain(uri: "org.public.x"))
        }
        // answers to an encrypted call must be encrypted, except the router's wamp.error.*
        XCTAssertEqual(code { _ = try decideInbound(keyring: ring, kind: .result, localUri: "org.public.proc", matchPolicy: .exact, routerUri: nil, sealed: false, requestSealed: true) }, 26)
        XCTAssertEqual(code { _ = try decideInbound(keyring: ring, kind: .error, localUri: "com.app.error.forged", matchPolicy: .exact, routerUri: nil, sealed: false, requestSealed: true) }, 26)
        XCTAssertEqual(try decideInbound(keyring: ring, kind: .error, localUri: "wamp.error.no_such_procedure", matchPolicy: .exact, routerUri: nil, sealed: false, requestSealed: true), .plain(uri: "wamp.error.no_such_procedure"))
        // exact: the router's URI, if sent, must be the local one
        XCTAssertEqual(try decideInbound(keyring: ring, kind: .event, localUri: "com.secret.b", matchPolicy: .exact, routerUri: "com.secret.b", sealed: true, requestSealed: false), .open(uri: "com.secret.b"))
        XCTAssertEqual(code { _ = try decideInbound(keyring: ring, kind: .event, localUri: "com.secret.b", matchPolicy: .exact, routerUri: "com.secret.a", sealed: true, requestSealed: false) }, 28)
        XCTAssertEqual(code { _ = try decideInbound(keyring: ring, kind: .event, localUri: "com.secret.b", matchPolicy: .exact, routerUri: "com.secret.a", sealed: false, requestSealed: false, strict: false) }, 28)
        // prefix and wildcard: the router's URI, if the local pattern covers it
        XCTAssertEqual(try decideInbound(keyring: ring, kind: .invocation, localUri: "com.secret.", matchPolicy: .prefix, routerUri: "com.secret.deep.proc", sealed: true, requestSealed: false), .open(uri: "com.secret.deep.proc"))
        XCTAssertEqual(code { _ = try decideInbound(keyring: ring, kind: .invocation, localUri: "com.secret.", matchPolicy: .prefix, routerUri: "com.other.proc", sealed: true, requestSealed: false) }, 28)
        XCTAssertEqual(code { _ = try decideInbound(keyring: ring, kind: .invocation, localUri: "com.secret.", matchPolicy: .prefix, routerUri: nil, sealed: true, requestSealed: false) }, 28)
        XCTAssertEqual(code { _ = try decideInbound(keyring: ring, kind: .event, localUri: "com.", matchPolicy: .prefix, routerUri: "com.secret.e", sealed: false, requestSealed: false) }, 26)
        XCTAssertEqual(try decideInbound(keyring: ring, kind: .event, localUri: "com..event", matchPolicy: .wildcard, routerUri: "com.secret.event", sealed: true, requestSealed: false), .open(uri: "com.secret.event"))
        XCTAssertEqual(code { _ = try decideInbound(keyring: ring, kind: .event, localUri: "com..event", matchPolicy: .wildcard, routerUri: "com.secret.x.event", sealed: true, requestSealed: false) }, 28)
    }

    func testDecideThenOpen() throws {
        let (sealer, opener) = try rings()
        let env = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[7]", kwargsJson: nil, dialect: .cryptobox)
        // a prefix subscription; Details.topic names the URI
        let d = try decideInbound(keyring: opener, kind: .event, localUri: "com.example.", matchPolicy: .prefix, routerUri: "com.example.t", sealed: true, requestSealed: false)
        guard case let .open(uri) = d else { return XCTFail("expected .open, got \(d)") }
        XCTAssertEqual(uri, "com.example.t")
        XCTAssertEqual(try openPayload(keyring: opener, role: .responder, uri: uri, attributes: env.attributes, payload: env.payload).argsJson, "[7]")
        // the router names another topic under the prefix: opening refuses it
        let lie = try decideInbound(keyring: opener, kind: .event, localUri: "com.example.", matchPolicy: .prefix, routerUri: "com.example.u", sealed: true, requestSealed: false)
        XCTAssertEqual(lie, .open(uri: "com.example.u"))
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.u", attributes: env.attributes, payload: env.payload) }, 7)
    }

    func testReflectedCiphertextIsRefused() throws {
        let (sealer, opener) = try rings()
        // the router sends our CALL back as its RESULT
        let call = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.proc", argsJson: "[1]", kwargsJson: nil, dialect: .cryptobox)
        XCTAssertEqual(try decideInbound(keyring: sealer, kind: .result, localUri: "com.example.proc", matchPolicy: .exact, routerUri: nil, sealed: true, requestSealed: true), .open(uri: "com.example.proc"))
        XCTAssertEqual(code { _ = try openPayload(keyring: sealer, role: .originator, uri: "com.example.proc", attributes: call.attributes, payload: call.payload) }, 27)
        XCTAssertEqual(try openPayload(keyring: opener, role: .responder, uri: "com.example.proc", attributes: call.attributes, payload: call.payload).argsJson, "[1]")
        // a YIELD sent back as an INVOCATION, with a key both roles share
        let ring = KeyRing()
        try ring.setDataKey(keyId: "k1", key: try generateDataKey(), prefix: "com.")
        let yielded = try sealPayload(keyring: ring, role: .responder, uri: "com.proc", argsJson: "[2]", kwargsJson: nil, dialect: .passthru(serializer: .cbor, cipher: .aes256gcm))
        XCTAssertEqual(code { _ = try openPayloadValues(keyring: ring, role: .responder, uri: "com.proc", attributes: yielded.attributes, payload: yielded.payload) }, 27)
        XCTAssertEqual(try openPayload(keyring: ring, role: .originator, uri: "com.proc", attributes: yielded.attributes, payload: yielded.payload).argsJson, "[2]")
    }

    func testRemoveKeyIdAndExpectsSealed() throws {
        let key = try generateDataKey()
        let sender = KeyRing()
        try sender.setDataKey(keyId: "team-1", key: key, prefix: "com.")
        let ring = KeyRing()
        try ring.setDataKey(keyId: "team-1", key: key, prefix: nil)
        try ring.setDataKey(keyId: "team-2", key: key, prefix: "org.keyed.")
        // key-id-only keys are not bound to URIs
        XCTAssertFalse(ring.expectsSealed(uri: "com.add"))
        XCTAssertTrue(ring.expectsSealed(uri: "org.keyed.x"))
        XCTAssertFalse(ring.expectsSealed(uri: "org.keyed"))
        let env = try sealPayload(keyring: sender, role: .originator, uri: "com.add", argsJson: "[2,3]", kwargsJson: nil, dialect: .passthru(serializer: .msgpack, cipher: .xsalsa20poly1305))
        XCTAssertEqual(try openPayload(keyring: ring, role: .responder, uri: "com.add", attributes: env.attributes, payload: env.payload).argsJson, "[2,3]")
        XCTAssertFalse(ring.removeKeyId(keyId: "team-2")) // a prefix entry, not a key-id-only key
        XCTAssertTrue(ring.removeKeyId(keyId: "team-1"))
        XCTAssertFalse(ring.removeKeyId(keyId: "team-1"))
        XCTAssertEqual(code { _ = try openPayload(keyring: ring, role: .responder, uri: "com.add", attributes: env.attributes, payload: env.payload) }, 2)
        // removing a prefix entry revokes it: plaintext is then what the URI gets
        let keyed = try sealPayload(keyring: ring, role: .originator, uri: "org.keyed.x", argsJson: "[1]", kwargsJson: nil, dialect: .passthru(serializer: .cbor, cipher: .xsalsa20poly1305))
        XCTAssertTrue(ring.remove(prefix: "org.keyed."))
        XCTAssertFalse(ring.expectsSealed(uri: "org.keyed.x"))
        XCTAssertEqual(code { _ = try openPayload(keyring: ring, role: .responder, uri: "org.keyed.x", attributes: keyed.attributes, payload: keyed.payload) }, 2)
        XCTAssertEqual(try decideInbound(keyring: ring, kind: .event, localUri: "org.keyed.x", matchPolicy: .exact, routerUri: nil, sealed: false, requestSealed: false), .plain(uri: "org.keyed.x"))
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
