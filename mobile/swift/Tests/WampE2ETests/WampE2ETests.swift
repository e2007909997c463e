// The same tests as the Kotlin module's (mobile/kotlin/src/test/kotlin/io/wampe2e/Wampe2eTest.kt),
// in XCTest. `make test-mobile` runs them (mobile/swift/run-tests.sh: `swift test` on the PATH,
// or in a Debian trixie chroot with its swiftlang package).
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

/// One result per thread, behind a lock.
final class Counts: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Int]
    init(_ n: Int) { slots = [Int](repeating: -1, count: n) }
    func set(_ i: Int, _ v: Int) { lock.lock(); slots[i] = v; lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return slots }
}

final class WampE2ETests: XCTestCase {
    /// tests/vectors: $WAMPE2E_VECTORS (set by make test-mobile), else found from this file.
    let vectors: URL = {
        if let dir = ProcessInfo.processInfo.environment["WAMPE2E_VECTORS"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../../tests/vectors").standardized
    }()

    let cbor = Dialect.passthru(serializer: .cbor, cipher: .xsalsa20poly1305)

    func vector(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: vectors.appendingPathComponent(name))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], name)
    }

    func b64(_ s: String) -> Data { Data(base64Encoded: s)! }

    func rings() throws -> (KeyRing, KeyRing) {
        let o = try generateKeypair()
        let r = try generateKeypair()
        let sealer = KeyRing()
        try sealer.setBoxKey(prefix: "com.example.", originatorPriv: o.secret, originatorPub: nil, responderPriv: nil, responderPub: r.public, allowMissingUri: false)
        let opener = KeyRing()
        try opener.setBoxKey(prefix: "com.example.", originatorPriv: nil, originatorPub: o.public, responderPriv: r.secret, responderPub: nil, allowMissingUri: false)
        return (sealer, opener)
    }

    /// The error `block` throws (nil if it does not throw, or throws something else).
    func thrown(_ block: () throws -> Void) -> Wampe2eError? {
        do { try block() } catch let e as Wampe2eError { return e } catch { return nil }
        return nil
    }

    /// The stable number of the error `block` throws: 0 if none, -1 if not a Wampe2eError.
    func code(_ block: () throws -> Void) -> Int {
        do { try block() } catch let e as Wampe2eError { return codeOf(e) } catch { return -1 }
        return 0
    }

    func testJsonRoundTripInBothDialects() throws {
        let (sealer, opener) = try rings()
        let args = "[1,\"two\",{\"x\":2.5},\"\\u0000AAH/\"]"
        for dialect in [Dialect.cryptobox, cbor, .passthru(serializer: .msgpack, cipher: .xsalsa20poly1305)] {
            let env = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: args, kwargsJson: "{\"k\":null}", dialect: dialect)
            XCTAssertEqual(env.payloadInList, dialect != .cryptobox)
            let got = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: env.attributes, payload: env.payload)
            XCTAssertEqual(got.uri, "com.example.t")
            XCTAssertEqual(got.argsJson, args)
            XCTAssertEqual(got.kwargsJson, "{\"k\":null}")
        }
    }

    func testTypedValuesRoundTrip() throws {
        let ring = KeyRing()
        try ring.setDataKey(keyId: "team-1", key: try generateDataKey(), prefix: "com.")
        let args: [PayloadValue] = [
            .null, .bool(value: true), .int(value: -7), .uInt(value: UInt64.max), .float(value: 21.5),
            .text(value: "grüße 🌍"), .bytes(value: Data([0, 255])),
            .seq(items: [.int(value: 1), .seq(items: [])]),
        ]
        let kwargs = [MapEntry(key: "nested", value: .dict(entries: [MapEntry(key: "a", value: .text(value: "b"))]))]
        for cipher in [Cipher.xsalsa20poly1305, .aes256gcm] {
            let env = try sealPayloadValues(keyring: ring, role: .originator, uri: "com.x", args: args, kwargs: kwargs, dialect: .passthru(serializer: .cbor, cipher: cipher))
            XCTAssertEqual(env.attributes["ppt_keyid"], "team-1")
            let got = try openPayloadValues(keyring: ring, role: .responder, uri: "com.x", attributes: env.attributes, payload: env.payload)
            XCTAssertEqual(got.args, args)
            XCTAssertEqual(got.kwargs, kwargs)
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
        let list = doc["vectors"] as! [[String: String]]
        XCTAssertGreaterThanOrEqual(list.count, 14)
        for v in list {
            let fromOriginator = v["sealer_role"] == "originator"
            let got = try openPayload(keyring: fromOriginator ? asResponder : asOriginator, role: fromOriginator ? .responder : .originator,
                                      uri: v["uri"]!, attributes: ["enc_algo": "cryptobox", "enc_serializer": "json"],
                                      payload: b64(v["sealed_base64"]!))
            // The JSON text the core writes is Autobahn's own serialization.
            XCTAssertEqual(got.argsJson, v["args_json"], v["name"] ?? "")
            XCTAssertEqual(got.kwargsJson, v["kwargs_json"], v["name"] ?? "")
        }
    }

    func testPptVectorsOpen() throws {
        let doc = try vector("ppt.json")
        let o = doc["originator"] as! [String: String]
        let r = doc["responder"] as! [String: String]
        let list = try XCTUnwrap(doc["vectors"] as? [[String: Any]])
        XCTAssertFalse(list.isEmpty)
        for v in list {
            func field(_ k: String) throws -> String { try XCTUnwrap(v[k] as? String, k) }
            let ring = KeyRing()
            var attrs = ["ppt_scheme": "wamp", "ppt_serializer": try field("serializer"), "ppt_cipher": try field("cipher")]
            if try field("key") == "data" {
                try ring.setDataKey(keyId: try field("key_id"), key: doc["data_key_base64"] as! String, prefix: nil)
                attrs["ppt_keyid"] = try field("key_id")
            } else {
                try ring.setBoxKey(prefix: "", originatorPriv: nil, originatorPub: o["public_base64"], responderPriv: r["secret_base64"], responderPub: nil, allowMissingUri: false)
            }
            let got = try openPayloadValues(keyring: ring, role: .responder, uri: doc["uri"] as! String, attributes: attrs, payload: b64(try field("sealed_base64")))
            XCTAssertEqual(got.args?[1], .text(value: "two"))
            XCTAssertEqual(got.kwargs, [MapEntry(key: "key", value: .text(value: "value")), MapEntry(key: "n", value: .int(value: -7))])
        }
    }

    func testEveryErrorCase() throws {
        let (sealer, opener) = try rings()
        let env = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[1]", kwargsJson: nil, dialect: .cryptobox)
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.other", attributes: env.attributes, payload: env.payload) }, 7)
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .originator, uri: "com.example.t", attributes: env.attributes, payload: env.payload) }, 3)
        var tampered = env.payload
        tampered[tampered.index(before: tampered.endIndex)] ^= 1
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: env.attributes, payload: tampered) }, 5)
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: env.attributes, payload: Data(env.payload.prefix(39))) }, 6)
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: [:], payload: env.payload) }, 20)
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: ["enc_algo": "x", "enc_serializer": "json"], payload: env.payload) }, 9)
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: ["enc_algo": "cryptobox", "enc_serializer": "cbor"], payload: env.payload) }, 11)
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: ["ppt_scheme": "wamp", "ppt_serializer": "cbor", "ppt_cipher": "des"], payload: env.payload) }, 10)
        XCTAssertEqual(code { _ = try sealPayload(keyring: sealer, role: .originator, uri: "org.other", argsJson: "[]", kwargsJson: nil, dialect: .cryptobox) }, 2)
        XCTAssertEqual(code { _ = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[]", kwargsJson: nil, dialect: .passthru(serializer: .cbor, cipher: .aes256gcm)) }, 4)
        XCTAssertEqual(code { _ = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[1,", kwargsJson: nil, dialect: .cryptobox) }, 13)
        XCTAssertEqual(code { _ = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[\"\\u0000!!\"]", kwargsJson: nil, dialect: .cryptobox) }, 16)
        XCTAssertEqual(code { _ = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "{}", kwargsJson: nil, dialect: .cryptobox) }, 25)
        XCTAssertEqual(code { _ = try sealPayloadValues(keyring: sealer, role: .originator, uri: "com.example.t", args: [.float(value: .nan)], kwargs: nil, dialect: .cryptobox) }, 18)
        XCTAssertEqual(code { try KeyRing().setBoxKey(prefix: "x", originatorPriv: "not a key!", originatorPub: nil, responderPriv: nil, responderPub: nil, allowMissingUri: false) }, 1)
        XCTAssertEqual(code { try KeyRing().setBoxKey(prefix: "x", originatorPriv: nil, originatorPub: try generateKeypair().public, responderPriv: nil, responderPub: nil, allowMissingUri: false) }, 3)
        // the detail names the argument, never the secret
        let e = thrown { try KeyRing().setBoxKey(prefix: "x", originatorPriv: "not a key!", originatorPub: nil, responderPriv: nil, responderPub: nil, allowMissingUri: false) }
        guard case let .InvalidKey(detail)? = e else { return XCTFail("expected InvalidKey, got \(String(describing: e))") }
        XCTAssertTrue(detail.contains("originator_priv"), detail)
        XCTAssertFalse(detail.contains("not a key!"), detail)
        XCTAssertFalse(String(describing: e!).contains("not a key!"))
    }

    func testInboundDecision() throws {
        let ring = KeyRing()
        try ring.setSharedKey(prefix: "com.secret.", secret: try generateKeypair().secret)
        let kinds: [MessageKind] = [.event, .invocation, .result, .error]
        for kind in kinds {
            XCTAssertEqual(try decideInbound(keyring: ring, kind: kind, localUri: "com.secret.x", matchPolicy: .exact, routerUri: nil, sealed: true, requestSealed: false), .open(uri: "com.secret.x"))
            // strict (the default): a plaintext on a keyed URI is refused
            XCTAssertEqual(code { _ = try decideInbound(keyring: ring, kind: kind, localUri: "com.secret.x", matchPolicy: .exact, routerUri: nil, sealed: false, requestSealed: false) }, 26)
            let e = thrown { _ = try decideInbound(keyring: ring, kind: kind, localUri: "com.secret.x", matchPolicy: .exact, routerUri: nil, sealed: false, requestSealed: false, strict: true) }
            guard case .UnexpectedPlaintext? = e else { return XCTFail("expected UnexpectedPlaintext, got \(String(describing: e))") }
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
        let e = thrown { _ = try decideInbound(keyring: ring, kind: .event, localUri: "com.secret.b", matchPolicy: .exact, routerUri: "com.secret.a", sealed: false, requestSealed: false, strict: false) }
        guard case .PatternMismatch? = e else { return XCTFail("expected PatternMismatch, got \(String(describing: e))") }
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
        guard case let .open(lieUri) = lie else { return XCTFail("expected .open, got \(lie)") }
        XCTAssertEqual(lieUri, "com.example.u")
        XCTAssertEqual(code { _ = try openPayload(keyring: opener, role: .responder, uri: lieUri, attributes: env.attributes, payload: env.payload) }, 7)
    }

    func testReflectedCiphertextIsRefused() throws {
        let (sealer, opener) = try rings()
        // the router sends our CALL back as its RESULT
        let call = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.proc", argsJson: "[1]", kwargsJson: nil, dialect: .cryptobox)
        let d = try decideInbound(keyring: sealer, kind: .result, localUri: "com.example.proc", matchPolicy: .exact, routerUri: nil, sealed: true, requestSealed: true)
        guard case let .open(uri) = d else { return XCTFail("expected .open, got \(d)") }
        let e = thrown { _ = try openPayload(keyring: sealer, role: .originator, uri: uri, attributes: call.attributes, payload: call.payload) }
        guard case .Reflected? = e else { return XCTFail("expected Reflected, got \(String(describing: e))") }
        XCTAssertEqual(codeOf(e!), 27)
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
        let keyed = try sealPayload(keyring: ring, role: .originator, uri: "org.keyed.x", argsJson: "[1]", kwargsJson: nil, dialect: cbor)
        XCTAssertTrue(ring.remove(prefix: "org.keyed."))
        XCTAssertFalse(ring.expectsSealed(uri: "org.keyed.x"))
        XCTAssertEqual(code { _ = try openPayload(keyring: ring, role: .responder, uri: "org.keyed.x", attributes: keyed.attributes, payload: keyed.payload) }, 2)
        XCTAssertEqual(try decideInbound(keyring: ring, kind: .event, localUri: "org.keyed.x", matchPolicy: .exact, routerUri: nil, sealed: false, requestSealed: false), .plain(uri: "org.keyed.x"))
    }

    func testKeysRotateAndConversions() throws {
        let kat = try XCTUnwrap((try vector("crypto_box_kat.json")["ed25519_to_x25519"] as? [[String: String]])?.first)
        let pair = try ed25519ToX25519(seed: kat["ed25519_seed_hex"]!)
        XCTAssertEqual(b64(pair.public).map { String(format: "%02x", $0) }.joined(), kat["x25519_public_hex"])
        let id = try keyId(publicKey: pair.public)
        XCTAssertNotNil(id.range(of: "^0x[0-9a-fA-F]{40}$", options: .regularExpression), id)
        let (sealer, _) = try rings()
        let rotated = try sealer.rotate(prefix: "com.example.")
        XCTAssertNil(rotated.responderPub)
        XCTAssertTrue(sealer.remove(prefix: "com.example."))
        XCTAssertFalse(sealer.remove(prefix: "com.example."))
        XCTAssertEqual(version(), "0.1.0")
    }

    func testOneKeyringFromManyThreads() throws {
        let (sealer, opener) = try rings()
        let ok = Counts(4)
        let group = DispatchGroup()
        for t in 0..<4 {
            DispatchQueue.global().async(group: group) {
                var n = 0
                for i in 0..<200 {
                    if let env = try? sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[\(t),\(i)]", kwargsJson: nil, dialect: .cryptobox),
                       let got = try? openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: env.attributes, payload: env.payload),
                       got.argsJson == "[\(t),\(i)]" { n += 1 }
                }
                ok.set(t, n)
            }
        }
        // keys change meanwhile
        let key = try generateDataKey()
        for i in 0..<100 {
            try sealer.setDataKey(keyId: "churn", key: key, prefix: "org.churn.\(i)")
            XCTAssertTrue(sealer.remove(prefix: "org.churn.\(i)"))
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(ok.values, [200, 200, 200, 200])
    }
}
