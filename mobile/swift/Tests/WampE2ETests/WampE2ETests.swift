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
    case .BadSignature: return 30
    case .UntrustedSender: return 31
    case .UnknownSession: return 32
    case .Replayed: return 33
    case .TooOld: return 34
    case .IndexJump: return 35
    case .SessionExpired: return 36
    case .KeyRequestStale: return 37
    case .KeyRefused: return 38
    case .Unsolicited: return 39
    case .ShareMismatch: return 40
    case .OutOfOrder: return 41
    case .WrongVersion: return 42
    case .Malformed: return 43
    case .KeyIdMismatch: return 44
    case .WrongKind: return 45
    case .HoldOverflow: return 46
    case .KeyFetchFailed: return 47
    }
}

/// Type- and bit-exact equality of payload values: floats by their bit patterns
/// (-0.0 is not 0.0; a NaN's payload counts, and NaN equals the same NaN), int,
/// uInt, float and bool never equal each other, maps in order. (The synthesized
/// `==` compares doubles as numbers: -0.0 == 0.0 and NaN != NaN.)
func exact(_ a: PayloadValue, _ b: PayloadValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case let (.bool(x), .bool(y)): return x == y
    case let (.int(x), .int(y)): return x == y
    case let (.uInt(x), .uInt(y)): return x == y
    case let (.float(x), .float(y)): return x.bitPattern == y.bitPattern
    case let (.text(x), .text(y)): return x == y
    case let (.bytes(x), .bytes(y)): return x == y
    case let (.seq(x), .seq(y)): return exactList(x, y)
    case let (.dict(x), .dict(y)): return exactEntries(x, y)
    default: return false
    }
}

func exactList(_ a: [PayloadValue]?, _ b: [PayloadValue]?) -> Bool {
    guard let a = a, let b = b else { return a == nil && b == nil }
    return a.count == b.count && zip(a, b).allSatisfy { exact($0, $1) }
}

func exactEntries(_ a: [MapEntry]?, _ b: [MapEntry]?) -> Bool {
    guard let a = a, let b = b else { return a == nil && b == nil }
    return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && exact($0.value, $1.value) }
}

/// A value as `exact` sees it: floats with their bits.
func show(_ v: PayloadValue) -> String {
    switch v {
    case let .float(x): return "float(\(x)=0x\(String(x.bitPattern, radix: 16)))"
    case let .seq(items): return "[" + items.map(show).joined(separator: ", ") + "]"
    case let .dict(entries): return "{" + entries.map { "\($0.key): \(show($0.value))" }.joined(separator: ", ") + "}"
    default: return "\(v)"
    }
}

func assertExact(_ expected: [PayloadValue]?, _ actual: [PayloadValue]?, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertTrue(exactList(expected, actual), "\(what): expected \(expected.map { show(.seq(items: $0)) } ?? "nil"), got \(actual.map { show(.seq(items: $0)) } ?? "nil")", file: file, line: line)
}

func assertExactEntries(_ expected: [MapEntry]?, _ actual: [MapEntry]?, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertTrue(exactEntries(expected, actual), "\(what): expected \(expected.map { show(.dict(entries: $0)) } ?? "nil"), got \(actual.map { show(.dict(entries: $0)) } ?? "nil")", file: file, line: line)
}

/// What the threads of the key churn test saw, behind a lock.
final class Churn: @unchecked Sendable {
    private let lock = NSLock()
    private var generation = 0
    private(set) var opened = 0, sealRefused = 0, openRefused = 0
    private(set) var wrong: [String] = []
    private var stopped = false
    func locked<T>(_ f: () -> T) -> T { lock.lock(); defer { lock.unlock() }; return f() }
    var current: Int { locked { generation } }
    func publish(_ g: Int) { locked { generation = g } }
    var stop: Bool { get { locked { stopped } } set { locked { stopped = newValue } } }
    func opened1() { locked { opened += 1 } }
    func sealRefused1() { locked { sealRefused += 1 } }
    func openRefused1() { locked { openRefused += 1 } }
    func fail(_ s: String) { locked { wrong.append(s) } }
    var enough: Bool { locked { opened >= 300 && sealRefused >= 3 && openRefused >= 10 } }
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

    let allDialects: [Dialect] = [.cryptobox] + [Serializer.json, .cbor, .msgpack].flatMap { ser in
        [Cipher.xsalsa20poly1305, .aes256gcm].map { Dialect.passthru(serializer: ser, cipher: $0) }
    }

    /// Values every serializer carries, with the edges a lax comparison misses.
    let typedArgs: [PayloadValue] = [
        .null, .bool(value: true), .bool(value: false), .int(value: -7), .int(value: 1), .int(value: Int64.min), .int(value: Int64.max),
        .uInt(value: UInt64.max), .float(value: 21.5), .float(value: 1.0), .float(value: -0.0), .float(value: 0.0),
        .float(value: Double.leastNonzeroMagnitude), .float(value: 1e16), .float(value: -Double.greatestFiniteMagnitude),
        .text(value: "grüße 🌍"), .text(value: ""), .bytes(value: Data([0, 255])), .bytes(value: Data()),
        .seq(items: [.int(value: 1), .seq(items: [])]),
    ]

    /// Floats only CBOR and MessagePack carry (JSON has no NaN or infinities).
    let binaryOnlyArgs: [PayloadValue] = [.float(value: .nan), .float(value: .infinity), .float(value: -.infinity)]

    func testTypedValuesRoundTripBitExactly() throws {
        let o = try generateKeypair()
        let r = try generateKeypair()
        let data = try generateDataKey()
        let kwargs = [
            MapEntry(key: "nested", value: .dict(entries: [MapEntry(key: "a", value: .text(value: "b")), MapEntry(key: "z", value: .float(value: -0.0))])),
            MapEntry(key: "b", value: .null),
        ]
        for dialect in allDialects {
            var kinds = ["pair", "data"]
            var binary = false
            switch dialect {
            case .cryptobox: kinds = ["pair"]
            case let .passthru(serializer, cipher):
                if cipher == .aes256gcm { kinds = ["data"] }
                binary = serializer != .json
            }
            for kind in kinds {
                let sealer = KeyRing()
                let opener = KeyRing()
                if kind == "data" {
                    try sealer.setDataKey(keyId: "team-1", key: data, prefix: "com.")
                    try opener.setDataKey(keyId: "team-1", key: data, prefix: nil)
                } else {
                    try sealer.setBoxKey(prefix: "com.", originatorPriv: o.secret, originatorPub: nil, responderPriv: nil, responderPub: r.public, allowMissingUri: false)
                    try opener.setBoxKey(prefix: "com.", originatorPriv: nil, originatorPub: o.public, responderPriv: r.secret, responderPub: nil, allowMissingUri: false)
                }
                let args = binary ? typedArgs + binaryOnlyArgs : typedArgs
                let env = try sealPayloadValues(keyring: sealer, role: .originator, uri: "com.x", args: args, kwargs: kwargs, dialect: dialect)
                if kind == "data" { XCTAssertEqual(env.attributes["ppt_keyid"], "team-1") }
                let got = try openPayloadValues(keyring: opener, role: .responder, uri: "com.x", attributes: env.attributes, payload: env.payload)
                XCTAssertEqual(got.uri, "com.x")
                assertExact(args, got.args, "\(dialect) \(kind)")
                assertExactEntries(kwargs, got.kwargs, "\(dialect) \(kind)")
            }
        }
        // The comparison itself: what the synthesized == gets wrong, exact does not.
        XCTAssertEqual(PayloadValue.float(value: -0.0), PayloadValue.float(value: 0.0))
        XCTAssertFalse(exact(.float(value: -0.0), .float(value: 0.0)))
        XCTAssertNotEqual(PayloadValue.float(value: .nan), PayloadValue.float(value: .nan))
        XCTAssertTrue(exact(.float(value: .nan), .float(value: .nan)))
        XCTAssertFalse(exact(.float(value: .nan), .float(value: Double(bitPattern: 0x7ff8_0000_0000_0001))))
        XCTAssertFalse(exact(.int(value: 1), .float(value: 1.0)))
        XCTAssertFalse(exact(.int(value: 1), .bool(value: true)))
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
        var numbers = 0
        for v in list {
            let fromOriginator = v["sealer_role"] == "originator"
            let got = try openPayload(keyring: fromOriginator ? asResponder : asOriginator, role: fromOriginator ? .responder : .originator,
                                      uri: v["uri"]!, attributes: ["enc_algo": "cryptobox", "enc_serializer": "json"],
                                      payload: b64(v["sealed_base64"]!))
            // The JSON text the core writes is Autobahn's own serialization.
            XCTAssertEqual(got.argsJson, v["args_json"], v["name"] ?? "")
            XCTAssertEqual(got.kwargsJson, v["kwargs_json"], v["name"] ?? "")
            if v["name"]!.hasPrefix("numbers") {
                // Each number with the type and bits Autobahn|Python gave it.
                let typed = try openPayloadValues(keyring: fromOriginator ? asResponder : asOriginator, role: fromOriginator ? .responder : .originator,
                                                  uri: v["uri"]!, attributes: ["enc_algo": "cryptobox", "enc_serializer": "json"],
                                                  payload: b64(v["sealed_base64"]!))
                assertExact(numbersArgs, typed.args, v["name"]!)
                assertExactEntries([MapEntry(key: "big", value: .uInt(value: UInt64.max))], typed.kwargs, v["name"]!)
                numbers += 1
            }
        }
        XCTAssertEqual(numbers, 2)
    }

    /// The "numbers" vector's args: Python ints as int (uInt above Int64.max), Python floats as float.
    let numbersArgs: [PayloadValue] = [
        .int(value: 0), .int(value: -1), .int(value: Int64.max), .int(value: Int64.min), .uInt(value: UInt64.max),
        .float(value: 0.1), .float(value: -2.5e-07), .float(value: 1e16), .float(value: 1e15), .float(value: Double.pi),
        .float(value: -0.0),
    ]

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
            // expected_args_json [1,"two",3.5,"\\u0000BAU=",null,true,[{"six":6}]], typed
            assertExact([.int(value: 1), .text(value: "two"), .float(value: 3.5), .bytes(value: Data([4, 5])), .null, .bool(value: true),
                         .seq(items: [.dict(entries: [MapEntry(key: "six", value: .int(value: 6))])])], got.args, "\(v)")
            assertExactEntries([MapEntry(key: "key", value: .text(value: "value")), MapEntry(key: "n", value: .int(value: -7))], got.kwargs)
        }
    }

    /// Codes a Swift caller cannot cause, and why (the C test lists its own).
    let unreachable: [Int: String] = [
        21: "RandomFailed: the OS random number generator would have to fail",
        22: "InvalidMessage: parsing whole WAMP messages is not part of the mobile API",
        23: "NullArgument: C only; Swift passes no NULL where a value is required",
        24: "Panic: the library does not panic (a caught panic would be a bug)",
        29: "KeyExhausted: needs 2^32 AES-256-GCM seals with one data key",
        35: "IndexJump: needs 2^16 seals between two opens of one session (core/tests/group.rs and the vectors cover it)",
        40: "ShareMismatch: needs a sender that signs a share not matching the request; the API's senders never do",
    ]

    /// Every case of the generated `Wampe2eError`, one each (`codeOf` proves the
    /// mapping is exhaustive; `errorCaseCount` checks that this list is complete).
    let everyError: [Wampe2eError] = [
        .InvalidKey(detail: ""), .KeyNotFound(detail: ""), .KeyIncomplete(detail: ""), .WrongKeyKind(detail: ""),
        .DecryptionFailed(detail: ""), .TruncatedCiphertext(detail: ""), .UriMismatch(detail: ""), .MissingUri(detail: ""),
        .UnknownScheme(detail: ""), .UnknownCipher(detail: ""), .UnknownSerializer(detail: ""), .InvalidUtf8(detail: ""),
        .InvalidJson(detail: ""), .InvalidCbor(detail: ""), .InvalidMsgpack(detail: ""), .InvalidBase64(detail: ""),
        .InvalidPayload(detail: ""), .UnsupportedValue(detail: ""), .PayloadTooLarge(detail: ""), .InvalidEnvelope(detail: ""),
        .RandomFailed(detail: ""), .InvalidMessage(detail: ""), .NullArgument(detail: ""), .Panic(detail: ""),
        .InvalidArgument(detail: ""), .UnexpectedPlaintext(detail: ""), .Reflected(detail: ""), .PatternMismatch(detail: ""),
        .KeyExhausted(detail: ""),
        .BadSignature(detail: ""),
        .UntrustedSender(detail: ""),
        .UnknownSession(detail: ""),
        .Replayed(detail: ""),
        .TooOld(detail: ""),
        .IndexJump(detail: ""),
        .SessionExpired(detail: ""),
        .KeyRequestStale(detail: ""),
        .KeyRefused(detail: ""),
        .Unsolicited(detail: ""),
        .ShareMismatch(detail: ""),
        .OutOfOrder(detail: ""),
        .WrongVersion(detail: ""),
        .Malformed(detail: ""),
        .KeyIdMismatch(detail: ""),
        .WrongKind(detail: ""),
        .HoldOverflow(detail: ""),
        .KeyFetchFailed(detail: ""),
    ]

    /// How many cases the generated `Wampe2eError` has, counted in the generated
    /// source (Swift cannot enumerate cases with associated values), so the total is
    /// not hard-coded here.
    func errorCaseCount() throws -> Int {
        let generated = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../generated/WampE2E/WampE2E.swift").standardized
        let text = try String(contentsOf: generated, encoding: .utf8)
        let start = try XCTUnwrap(text.range(of: "enum Wampe2eError:"), "no enum Wampe2eError in \(generated.path)")
        let body = text[start.upperBound...]
        let end = body.range(of: "\n}")?.lowerBound ?? body.endIndex
        return body[..<end].split(separator: "\n").filter {
            $0.trimmingCharacters(in: .whitespaces).range(of: "^case [A-Z][A-Za-z0-9]*\\(", options: .regularExpression) != nil
        }.count
    }

    /// forged_plaintexts.json (mobile/kotlin/src/test/resources, made by gen_forged.py with
    /// `cryptography`; the Kotlin test re-seals every case with javax.crypto): plaintexts
    /// no binding seals itself, sealed with AES-256-GCM under a fixed data key.
    func forged() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../kotlin/src/test/resources/forged_plaintexts.json").standardized
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func testEveryReachableErrorCodeIsMapped() throws {
        var reached = Set<Int>()
        func expect(_ want: Int, _ block: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
            let got = code(block)
            XCTAssertEqual(got, want, file: file, line: line)
            reached.insert(got)
        }
        let (sealer, opener) = try rings()
        let env = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[1]", kwargsJson: nil, dialect: .cryptobox)
        expect(1) { try KeyRing().setBoxKey(prefix: "x", originatorPriv: "not a key!", originatorPub: nil, responderPriv: nil, responderPub: nil, allowMissingUri: false) }
        expect(1) { try KeyRing().setDataKey(keyId: "k", key: "AAAA", prefix: nil) }
        expect(2) { _ = try sealPayload(keyring: sealer, role: .originator, uri: "org.other", argsJson: "[]", kwargsJson: nil, dialect: .cryptobox) }
        expect(3) { _ = try openPayload(keyring: opener, role: .originator, uri: "com.example.t", attributes: env.attributes, payload: env.payload) }
        expect(3) { try KeyRing().setBoxKey(prefix: "x", originatorPriv: nil, originatorPub: try generateKeypair().public, responderPriv: nil, responderPub: nil, allowMissingUri: false) }
        expect(4) { _ = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[]", kwargsJson: nil, dialect: .passthru(serializer: .cbor, cipher: .aes256gcm)) }
        var tampered = env.payload
        tampered[tampered.index(before: tampered.endIndex)] ^= 1
        expect(5) { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: env.attributes, payload: tampered) }
        expect(6) { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: env.attributes, payload: Data(env.payload.prefix(39))) }
        expect(7) { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.other", attributes: env.attributes, payload: env.payload) }
        expect(9) { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: ["enc_algo": "x", "enc_serializer": "json"], payload: env.payload) }
        expect(10) { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: ["ppt_scheme": "wamp", "ppt_serializer": "cbor", "ppt_cipher": "des"], payload: env.payload) }
        expect(11) { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: ["enc_algo": "cryptobox", "enc_serializer": "cbor"], payload: env.payload) }
        expect(13) { _ = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[1,", kwargsJson: nil, dialect: .cryptobox) }
        expect(16) { _ = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "[\"\\u0000!!\"]", kwargsJson: nil, dialect: .cryptobox) }
        expect(18) { _ = try sealPayloadValues(keyring: sealer, role: .originator, uri: "com.example.t", args: [.float(value: .nan)], kwargs: nil, dialect: .cryptobox) }
        expect(20) { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: [:], payload: env.payload) }
        expect(20) { _ = try openPayload(keyring: opener, role: .responder, uri: "com.example.t", attributes: ["enc_algo": "cryptobox", "ppt_scheme": "wamp"], payload: env.payload) }
        expect(25) { _ = try sealPayload(keyring: sealer, role: .originator, uri: "com.example.t", argsJson: "{}", kwargsJson: nil, dialect: .cryptobox) }
        expect(25) { try KeyRing().setDataKey(keyId: "", key: try generateDataKey(), prefix: "com.") }
        expect(26) { _ = try decideInbound(keyring: opener, kind: .event, localUri: "com.example.t", matchPolicy: .exact, routerUri: nil, sealed: false, requestSealed: false) }
        expect(27) { _ = try openPayload(keyring: sealer, role: .originator, uri: "com.example.t", attributes: env.attributes, payload: env.payload) }
        expect(28) { _ = try decideInbound(keyring: opener, kind: .event, localUri: "com.example.t", matchPolicy: .exact, routerUri: "com.example.u", sealed: true, requestSealed: false) }
        // GS1 (Gs1Tests.swift): 30-47 but IndexJump and ShareMismatch.
        try reachGs1Codes { want, block in expect(want, block) }

        // Over 64 MiB: refused before anything is decrypted.
        let dataRing = KeyRing()
        try dataRing.setDataKey(keyId: "k", key: try generateDataKey(), prefix: "com.")
        let ppt = ["ppt_scheme": "wamp", "ppt_serializer": "cbor", "ppt_cipher": "aes256gcm", "ppt_keyid": "k"]
        expect(19) { _ = try openPayload(keyring: dataRing, role: .responder, uri: "com.x", attributes: ppt, payload: Data(count: 64 * 1024 * 1024 + 64)) }

        // What only a forger's plaintext causes.
        let doc = try forged()
        let keyId = doc["key_id"] as! String
        let uri = doc["uri"] as! String
        let ring = KeyRing()
        try ring.setDataKey(keyId: keyId, key: doc["data_key_base64"] as! String, prefix: "com.")
        let cases = try XCTUnwrap(doc["cases"] as? [[String: Any]])
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let name = c["name"] as! String
            let attrs = ["ppt_scheme": "wamp", "ppt_serializer": c["serializer"] as! String, "ppt_cipher": "aes256gcm", "ppt_keyid": keyId]
            let sealed = b64(c["sealed_base64"] as! String)
            let open = { try openPayloadValues(keyring: ring, role: .responder, uri: uri, attributes: attrs, payload: sealed) }
            let want = c["code"] as! Int
            if want != 0 {
                expect(want) { _ = try open() }
                continue
            }
            // Typed numbers from an independent CBOR encoder (cbor2), each with its type and bits.
            assertExact([.float(value: -0.0), .float(value: .infinity), .float(value: -.infinity), .float(value: 1.0), .int(value: 1),
                         .uInt(value: UInt64.max), .int(value: Int64.min), .bool(value: true), .float(value: Double.leastNonzeroMagnitude)],
                        try open().args, name)
        }

        // Every case of the binding, mapped by codeOf to a distinct number 1..n, n
        // counted in the generated source.
        let n = try errorCaseCount()
        XCTAssertEqual(everyError.map(codeOf).sorted(), Array(1...n), "everyError lacks a case of the generated Wampe2eError")
        let want = Set(1...n).subtracting(unreachable.keys)
        XCTAssertEqual(reached, want, "reachable codes never reached: \(want.subtracting(reached).sorted())")

        // The detail names the argument, never the secret.
        let e = thrown { try KeyRing().setBoxKey(prefix: "x", originatorPriv: "not a key!", originatorPub: nil, responderPriv: nil, responderPub: nil, allowMissingUri: false) }
        guard case let .InvalidKey(detail)? = e else { return XCTFail("expected InvalidKey, got \(String(describing: e))") }
        XCTAssertTrue(detail.contains("originatorPriv"), detail)
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

    /// Every wrong shape of a secret (as the Swift type allows: text) to every
    /// key-taking function: InvalidKey, and the message never shows the secret.
    func testNoErrorMessageEverContainsTheKey() throws {
        let raw = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let hex = raw.map { String(format: "%02x", $0) }.joined()
        let b64 = Data(raw).base64EncodedString()
        let forms = [hex, hex.uppercased(), b64, String(b64.prefix(16)), String(hex.dropFirst(8).prefix(32))]
        let shapes = [
            hex + "0", String(hex.dropFirst()), "0x" + hex + "ff", String(hex.prefix(63)) + "g",
            b64 + "A", String(b64.prefix(42)) + "!!", String(b64.prefix(40)), hex + hex,
            String(decoding: raw, as: UTF8.self), hex + "\u{0}", " " + b64 + " x",
        ]
        let pub = try generateKeypair().public
        let sec = try generateKeypair().secret
        let takers: [(String, (String) throws -> Void)] = [
            ("setBoxKey originatorPriv", { try KeyRing().setBoxKey(prefix: "a.", originatorPriv: $0, originatorPub: nil, responderPriv: nil, responderPub: pub, allowMissingUri: false) }),
            ("setBoxKey originatorPub", { try KeyRing().setBoxKey(prefix: "a.", originatorPriv: nil, originatorPub: $0, responderPriv: sec, responderPub: nil, allowMissingUri: false) }),
            ("setBoxKey responderPriv", { try KeyRing().setBoxKey(prefix: "a.", originatorPriv: nil, originatorPub: pub, responderPriv: $0, responderPub: nil, allowMissingUri: false) }),
            ("setBoxKey responderPub", { try KeyRing().setBoxKey(prefix: "a.", originatorPriv: sec, originatorPub: nil, responderPriv: nil, responderPub: $0, allowMissingUri: false) }),
            ("setSharedKey", { try KeyRing().setSharedKey(prefix: "a.", secret: $0) }),
            ("setDataKey", { try KeyRing().setDataKey(keyId: "id", key: $0, prefix: nil) }),
            ("keyId", { _ = try keyId(publicKey: $0) }),
            ("ed25519ToX25519", { _ = try ed25519ToX25519(seed: $0) }),
        ]
        for (name, call) in takers {
            for shape in shapes {
                let e = thrown { try call(shape) }
                guard case let .InvalidKey(detail)? = e else { return XCTFail("\(name): expected InvalidKey, got \(String(describing: e))") }
                let text = detail + " " + String(describing: e!)
                for form in forms { XCTAssertFalse(text.contains(form), "\(name): \(text)") }
            }
        }
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

    /// Threads seal and open on exactly the prefixes whose entries this thread keeps
    /// replacing (a data key under a new key id, a new key under the same id, a key
    /// pair rotated) and removing. A seal works or, on the removed data entry, fails
    /// with KeyNotFound; an open gives back exactly what was sealed, under a key that
    /// was the entry's between the seal and the open, or fails with KeyNotFound
    /// (removed, or key id replaced) or DecryptionFailed (same id, new key; rotated
    /// pair). Nothing else. It runs until each outcome was seen (at most 60 s).
    func testSealAndOpenWhileThatVeryEntryIsReplaced() throws {
        let ring = KeyRing()
        let dataPrefix = "com.hot.data."
        let pairPrefix = "com.hot.pair."
        try ring.setDataKey(keyId: "g0", key: try generateDataKey(), prefix: dataPrefix)
        try ring.setSharedKey(prefix: pairPrefix, secret: try generateKeypair().secret)
        let churn = Churn()
        let dialects = allDialects
        let group = DispatchGroup()
        for t in 0..<3 {
            DispatchQueue.global().async(group: group) {
                var i = 0
                while !churn.stop {
                    i += 1
                    let dialect = dialects[(i + t) % dialects.count]
                    var data = false
                    if case let .passthru(_, cipher) = dialect { data = cipher == .aes256gcm || i % 2 == 0 }
                    let uri = (data ? dataPrefix : pairPrefix) + "t\(t)"
                    let args = "[\(t),\(i)]"
                    let before = churn.current
                    let env: Envelope
                    do {
                        env = try sealPayload(keyring: ring, role: .originator, uri: uri, argsJson: args, kwargsJson: nil, dialect: dialect)
                    } catch let e as Wampe2eError {
                        if data, case .KeyNotFound = e { churn.sealRefused1() } else { churn.fail("seal \(dialect) on \(uri): \(e)") }
                        continue
                    } catch {
                        churn.fail("seal: \(error)")
                        continue
                    }
                    if data {
                        let sealedWith = Int(env.attributes["ppt_keyid"]?.dropFirst() ?? "") ?? -1
                        if sealedWith < before { churn.fail("sealed under g\(sealedWith), already replaced by g\(before)") }
                    }
                    do {
                        let got = try openPayload(keyring: ring, role: .responder, uri: uri, attributes: env.attributes, payload: env.payload)
                        if got.argsJson == args && got.kwargsJson == "null" && got.uri == uri { churn.opened1() } else { churn.fail("opened \(args) as \(got.argsJson)") }
                    } catch let e as Wampe2eError {
                        var expected = false
                        if case .DecryptionFailed = e { expected = true }
                        if data, case .KeyNotFound = e { expected = true }
                        if expected { churn.openRefused1() } else { churn.fail("open \(dialect) on \(uri): \(e)") }
                    } catch {
                        churn.fail("open: \(error)")
                    }
                }
            }
        }
        let started = Date()
        var n = 0
        while true {
            n += 1
            switch n % 4 {
            case 0: // a new key under a new key id
                try ring.setDataKey(keyId: "g\(n)", key: try generateDataKey(), prefix: dataPrefix)
                churn.publish(n)
            case 1: // a new key under the same key id
                try ring.setDataKey(keyId: "g\(churn.current)", key: try generateDataKey(), prefix: dataPrefix)
            case 2: // revoked for a moment, then a new key id
                XCTAssertTrue(ring.remove(prefix: dataPrefix))
                usleep(200)
                try ring.setDataKey(keyId: "g\(n)", key: try generateDataKey(), prefix: dataPrefix)
                churn.publish(n)
            default: // a new key pair (one shared secret, both roles)
                _ = try ring.rotate(prefix: pairPrefix)
            }
            usleep(300)
            if churn.enough || Date().timeIntervalSince(started) > 60 || !churn.locked({ churn.wrong.isEmpty }) { break }
        }
        churn.stop = true
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        print("key churn: \(n) changes; \(churn.opened) opened, \(churn.sealRefused) seals refused, \(churn.openRefused) opens refused")
        XCTAssertEqual(churn.wrong, [])
        XCTAssertTrue(churn.enough, "\(churn.opened) opened, \(churn.sealRefused)/\(churn.openRefused) refused")
    }
}
