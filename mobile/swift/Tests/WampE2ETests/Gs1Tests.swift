// GS1 group sessions through the Swift API: a smaller copy of the Kotlin module's
// Gs1Test.kt (events through the key procedure, replay, untrusted sender, calls with the
// caller's identity, the identities of tests/vectors/gs1.json).
import Foundation
import XCTest
@testable import WampE2E

let t0: UInt64 = 1_700_000_000_000

func hexOf(_ d: Data) -> String { d.map { String(format: "%02x", $0) }.joined() }

func unhex(_ s: String) -> Data {
    var out = Data()
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2)
        out.append(UInt8(s[i..<j], radix: 16)!)
        i = j
    }
    return out
}

func flipped(_ d: Data, at: Int) -> Data {
    var c = d
    c[c.startIndex + at] ^= 1
    return c
}

/// The same `entry` on every group in `on`.
func setEntry(_ prefix: String, senders: [Group], receivers: [Group], on: [Group]) throws {
    for g in on {
        try g.setEntry(prefix: prefix, senders: senders.map { $0.publicKey() }, receivers: receivers.map { $0.publicKey() })
    }
}

/// What a binding does on UnknownSession: read the header, ask the sender's key
/// procedure (here: the sender's group directly), accept the RESULT's binary.
@discardableResult
func fetchKey(_ receiver: Group, from sender: Group, uri: String, kind: GroupKind, envelope: Data, now: UInt64) throws -> AcceptedShare {
    let h = try groupEnvelopeHeader(envelope: envelope, kind: kind)
    let prefix = receiver.select(uri: uri)!.prefix
    let req = try receiver.keyRequest(target: h.sender, sessionId: h.sessionId, fromIndex: h.index, prefix: prefix, nowMs: now)
    XCTAssertEqual(try keyProcedureOf(publicKey: h.sender), sender.identity().keyProcedure())
    let response = try sender.answerKeyRequest(request: req.request, nowMs: now)
    return try receiver.acceptKeyResponse(requestHash: req.requestHash, response: response, nowMs: now)
}

/// The GS1 codes as a Swift caller reaches them (the Kotlin test's `reachGs1Codes`).
func reachGs1Codes(_ expect: (Int, () throws -> Void) -> Void) throws {
    let alice = try Group(identity: try Identity.generate())
    let bob = try Group(identity: try Identity.generate())
    let mallory = try Group(identity: try Identity.generate())
    try setEntry("com.example.", senders: [alice], receivers: [bob], on: [alice, bob])
    try setEntry("com.example.", senders: [mallory], receivers: [bob], on: [mallory])
    let uri = "com.example.topic"
    let sealed = try (0..<6).map { try alice.sealPayload(uri: uri, kind: .event, args: [.int(value: Int64($0))], kwargs: nil, nowMs: t0) }
    let e0 = sealed[0].envelope
    let e5 = sealed[5].envelope
    expect(32) { _ = try bob.open(uri: uri, kind: .event, envelope: e0, nowMs: t0) }
    let h = try groupEnvelopeHeader(envelope: e5, kind: .event)
    let req = try bob.keyRequest(target: h.sender, sessionId: h.sessionId, fromIndex: 5, prefix: "com.example.", nowMs: t0)
    expect(37) { _ = try alice.answerKeyRequest(request: req.request, nowMs: t0 + 300_001) }
    _ = try bob.acceptKeyResponse(requestHash: req.requestHash, response: try alice.answerKeyRequest(request: req.request, nowMs: t0), nowMs: t0)
    expect(30) { _ = try bob.open(uri: uri, kind: .event, envelope: flipped(e5, at: e5.count - 1), nowMs: t0) }
    let forged = try mallory.seal(uri: uri, kind: .event, plaintext: try groupPlaintext(uri: uri, args: nil, kwargs: nil), nowMs: t0)
    expect(31) { _ = try bob.open(uri: uri, kind: .event, envelope: forged.envelope, nowMs: t0) }
    expect(36) { _ = try bob.open(uri: uri, kind: .event, envelope: e5, nowMs: t0 + 3_600_000 + 300_001) }
    _ = try bob.open(uri: uri, kind: .event, envelope: e5, nowMs: t0)
    expect(33) { _ = try bob.open(uri: uri, kind: .event, envelope: e5, nowMs: t0) }
    expect(34) { _ = try bob.open(uri: uri, kind: .event, envelope: e0, nowMs: t0) }
    expect(38) { _ = try mallory.answerKeyRequest(request: req.request, nowMs: t0) }
    let again = try alice.answerKeyRequest(request: req.request, nowMs: t0)
    expect(39) { _ = try bob.acceptKeyResponse(requestHash: req.requestHash, response: again, nowMs: t0) }
    var v2 = e0
    v2[v2.startIndex] = 2
    expect(42) { _ = try bob.open(uri: uri, kind: .event, envelope: v2, nowMs: t0) }
    expect(43) { _ = try bob.open(uri: uri, kind: .event, envelope: Data(e0.prefix(40)), nowMs: t0) }
    expect(44) { _ = try bob.open(uri: uri, kind: .event, envelope: sealed[4].envelope, nowMs: t0, keyId: String(repeating: "00", count: 16)) }
    expect(45) { _ = try bob.open(uri: uri, kind: .call, envelope: sealed[4].envelope, nowMs: t0) }
    let empty = try groupPlaintext(uri: uri, args: nil, kwargs: nil)
    let call = try alice.seal(uri: uri, kind: .call, plaintext: empty, nowMs: t0)
    let inv = try XCTUnwrap(try bob.open(uri: uri, kind: .call, envelope: call.envelope, nowMs: t0).invocation)
    _ = try bob.sealReply(invocation: inv, kind: .progress, plaintext: empty)
    let p1 = try bob.sealReply(invocation: inv, kind: .progress, plaintext: empty)
    expect(41) { _ = try alice.openReply(callHash: call.callHash!, kind: .progress, envelope: p1) }
    // Held messages: a full queue, and a failed fetch.
    var limits = defaultHeldLimits()
    limits.maxPerSession = 1
    let held = try Held(limits: limits)
    let fresh = try Group(identity: try Identity.generate())
    try setEntry("com.example.", senders: [alice], receivers: [fresh], on: [fresh])
    let fetch = try XCTUnwrap(try held.hold(group: fresh, uri: uri, kind: .event, envelope: e0, ticket: 1, nowMs: t0))
    expect(46) { _ = try held.hold(group: fresh, uri: uri, kind: .event, envelope: sealed[1].envelope, ticket: 2, nowMs: t0) }
    XCTAssertEqual(try held.fail(group: fresh, requestHash: fetch.requestHash, error: fetchError(errorUri: "wamp.error.no_such_procedure"), nowMs: t0), [1])
    expect(47) { _ = try held.hold(group: fresh, uri: uri, kind: .event, envelope: sealed[1].envelope, ticket: 2, nowMs: t0) }
}

final class Gs1Tests: XCTestCase {
    let uri = "com.example.topic"

    func assertThrowsCode(_ want: Int, _ block: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        var got = 0
        do { try block() } catch let e as Wampe2eError { got = codeOf(e) } catch { got = -1 }
        XCTAssertEqual(got, want, file: file, line: line)
    }

    func testEventsThroughTheKeyProcedure() throws {
        let alice = try Group(identity: try Identity.generate())
        let bob = try Group(identity: try Identity.generate())
        try setEntry("com.example.", senders: [alice], receivers: [bob], on: [alice, bob])

        let first = try alice.sealPayload(uri: uri, kind: .event, args: [.int(value: 42), .text(value: "hi")],
                                          kwargs: [MapEntry(key: "unit", value: .text(value: "C"))], nowMs: t0)
        XCTAssertEqual(first.keyId, hexOf(first.sessionId))
        XCTAssertNil(first.callHash)
        // bob holds the event and asks alice's key procedure.
        assertThrowsCode(32) { _ = try bob.open(uri: uri, kind: .event, envelope: first.envelope, nowMs: t0, keyId: first.keyId) }
        let second = try alice.sealPayload(uri: uri, kind: .event, args: [.int(value: 43)], kwargs: nil, nowMs: t0 + 1)
        let share = try fetchKey(bob, from: alice, uri: uri, kind: .event, envelope: first.envelope, now: t0 + 10)
        XCTAssertEqual(share.sender, alice.publicKey())
        XCTAssertEqual(share.prefix, "com.example.")
        XCTAssertEqual(bob.pendingKeyRequests(), 0)

        let o = try bob.openPayload(uri: uri, kind: .event, envelope: first.envelope, nowMs: t0 + 20, keyId: first.keyId)
        XCTAssertEqual(o.sender, alice.publicKey())
        XCTAssertEqual(o.index, 0)
        XCTAssertNil(o.invocation)
        XCTAssertEqual(o.args, [.int(value: 42), .text(value: "hi")])
        XCTAssertEqual(o.kwargs, [MapEntry(key: "unit", value: .text(value: "C"))])
        let o2 = try bob.open(uri: uri, kind: .event, envelope: second.envelope, nowMs: t0 + 21)
        XCTAssertEqual(try groupPayloadJson(uri: uri, plaintext: o2.plaintext).argsJson, "[43]")

        // Replays, a flipped byte, another URI.
        assertThrowsCode(33) { _ = try bob.open(uri: uri, kind: .event, envelope: first.envelope, nowMs: t0 + 30) }
        assertThrowsCode(33) { _ = try bob.open(uri: uri, kind: .event, envelope: second.envelope, nowMs: t0 + 30) }
        let third = try alice.seal(uri: uri, kind: .event, plaintext: try groupPlaintextJson(uri: uri, argsJson: "[44]", kwargsJson: nil), nowMs: t0 + 40)
        assertThrowsCode(30) { _ = try bob.open(uri: uri, kind: .event, envelope: flipped(third.envelope, at: 100), nowMs: t0 + 41) }
        assertThrowsCode(30) { _ = try bob.open(uri: "com.example.other", kind: .event, envelope: third.envelope, nowMs: t0 + 41) }
        let o3 = try bob.open(uri: uri, kind: .event, envelope: third.envelope, nowMs: t0 + 42)
        XCTAssertEqual(try groupPayloadJson(uri: uri, plaintext: o3.plaintext).argsJson, "[44]")
    }

    func testUntrustedSenderAndRevokedReceiver() throws {
        let alice = try Group(identity: try Identity.generate())
        let bob = try Group(identity: try Identity.generate())
        let carol = try Group(identity: try Identity.generate())
        let mallory = try Group(identity: try Identity.generate())
        try setEntry("com.example.", senders: [alice], receivers: [bob, carol], on: [alice, bob, carol])
        try setEntry("com.example.", senders: [mallory], receivers: [bob], on: [mallory])
        let forged = try mallory.sealPayload(uri: uri, kind: .event, args: [.int(value: 1)], kwargs: nil, nowMs: t0)
        assertThrowsCode(31) { _ = try bob.open(uri: uri, kind: .event, envelope: forged.envelope, nowMs: t0) }

        // carol removed: a new session, and her key request is refused.
        let before = try alice.seal(uri: uri, kind: .event, plaintext: try groupPlaintext(uri: uri, args: nil, kwargs: nil), nowMs: t0)
        try setEntry("com.example.", senders: [alice], receivers: [bob], on: [alice])
        let after = try alice.seal(uri: uri, kind: .event, plaintext: try groupPlaintext(uri: uri, args: nil, kwargs: nil), nowMs: t0 + 1)
        XCTAssertNotEqual(before.sessionId, after.sessionId)
        assertThrowsCode(38) { _ = try fetchKey(carol, from: alice, uri: uri, kind: .event, envelope: after.envelope, now: t0 + 2) }
        try fetchKey(bob, from: alice, uri: uri, kind: .event, envelope: after.envelope, now: t0 + 2)
        _ = try bob.open(uri: uri, kind: .event, envelope: after.envelope, nowMs: t0 + 3)
    }

    func testCallSeesTheCallerAndTheCallerOpensTheResult() throws {
        let carol = try Group(identity: try Identity.generate())
        let dave = try Group(identity: try Identity.generate())
        let proc = "com.example.rpc.add"
        try setEntry("com.example.rpc.", senders: [carol], receivers: [dave], on: [carol, dave])

        let call = try carol.sealPayload(uri: proc, kind: .call, args: [.int(value: 2), .int(value: 3)], kwargs: nil, nowMs: t0)
        let callHash = try XCTUnwrap(call.callHash)
        XCTAssertEqual(carol.pendingCalls(), 1)
        try fetchKey(dave, from: carol, uri: proc, kind: .call, envelope: call.envelope, now: t0)
        let opened = try dave.openPayload(uri: proc, kind: .call, envelope: call.envelope, nowMs: t0, keyId: call.keyId)
        XCTAssertEqual(opened.args, [.int(value: 2), .int(value: 3)])
        let inv = try XCTUnwrap(opened.invocation)
        XCTAssertEqual(inv.caller(), carol.publicKey())
        XCTAssertEqual(inv.callHash(), callHash)
        XCTAssertEqual(inv.callUri(), proc)

        let result = try dave.sealReplyPayload(invocation: inv, kind: .result, args: [.int(value: 5)], kwargs: nil)
        XCTAssertTrue(inv.finished())
        let r = try carol.openReply(callHash: callHash, kind: .result, envelope: result)
        XCTAssertEqual(r.kind, .result)
        XCTAssertEqual(r.uri, proc) // what it was sealed for: parse with it
        XCTAssertEqual(r.callee, dave.publicKey())
        XCTAssertEqual(try groupPayload(uri: proc, plaintext: r.plaintext).args, [.int(value: 5)])
        // A second final reply answers nothing.
        assertThrowsCode(39) { _ = try carol.openReply(callHash: callHash, kind: .result, envelope: result) }
        XCTAssertEqual(carol.pendingCalls(), 0)
    }

    func testWireAttributesRouteAndRefusals() throws {
        let alice = try Group(identity: try Identity.generate())
        let bob = try Group(identity: try Identity.generate())
        try setEntry("com.example.", senders: [alice], receivers: [bob], on: [alice, bob])
        let topic = "com.example.topic"
        let sealed = try alice.sealPayload(uri: topic, kind: .event, args: [.int(value: 1)], kwargs: nil, nowMs: t0)
        let enc = groupAttributes(dialect: .enc, keyId: sealed.keyId)
        XCTAssertEqual(enc, ["enc_algo": "x_wampe2e_gs1", "enc_serializer": "cbor", "enc_key": sealed.keyId])
        let ppt = groupAttributes(dialect: .ppt)
        XCTAssertEqual(ppt, ["ppt_scheme": "x_wampe2e", "ppt_serializer": "cbor", "ppt_cipher": "x_gs1"])
        XCTAssertEqual(try groupReadAttributes(attributes: enc), .gs1(dialect: .enc, keyId: sealed.keyId))
        XCTAssertEqual(try groupReadAttributes(attributes: ppt), .gs1(dialect: .ppt, keyId: nil))
        XCTAssertEqual(try groupReadAttributes(attributes: [:]), .plain)
        XCTAssertEqual(try groupReadAttributes(attributes: ["ppt_scheme": "wamp"]), .other)
        var bad = ppt
        bad["ppt_cipher"] = "x_other"
        assertThrowsCode(10) { _ = try groupReadAttributes(attributes: bad) }
        var noKey = enc
        noKey["enc_key"] = nil
        assertThrowsCode(20) { _ = try groupReadAttributes(attributes: noKey, notStrings: ["enc_key"]) }

        let arrived = try groupReadAttributes(attributes: enc)
        XCTAssertEqual(try groupRoute(group: bob, kind: .event, uri: topic, arrived: arrived, answersGs1Call: false), .open)
        assertThrowsCode(26) { _ = try groupRoute(group: bob, kind: .event, uri: topic, arrived: .plain, answersGs1Call: false) }
        XCTAssertEqual(try groupRoute(group: bob, kind: .event, uri: topic, arrived: .plain, answersGs1Call: false, strict: false), .plain)
        XCTAssertEqual(try groupRoute(group: bob, kind: .event, uri: "org.public", arrived: .plain, answersGs1Call: false), .keyring)
        XCTAssertEqual(try groupRoute(group: bob, kind: .invocation, uri: bob.identity().keyProcedure(), arrived: .plain, answersGs1Call: false), .exempt)

        XCTAssertTrue(isKeyProcedure(uri: "wampe2e.key.ab"))
        XCTAssertFalse(isKeyProcedure(uri: "wampe2e.key."))
        XCTAssertTrue(isKeyProcedure(uri: "app.keys.ab", base: "app.keys"))
        XCTAssertEqual(refusalUri(error: fetchError(errorUri: "wampe2e.error.key_refused")), "wampe2e.error.key_refused")
        XCTAssertEqual(refusalUri(error: fetchError(errorUri: "wamp.error.no_such_procedure")), "wampe2e.error.key_fetch_failed")
    }

    func testHeldEventsOpenAfterOneFetch() throws {
        let alice = try Group(identity: try Identity.generate())
        let bob = try Group(identity: try Identity.generate())
        try setEntry("com.example.", senders: [alice], receivers: [bob], on: [alice, bob])
        let held = try Held()
        // ticket -> the message, kept by the application.
        var messages: [UInt64: GroupSealed] = [:]
        for i in 0..<3 {
            messages[UInt64(i)] = try alice.sealPayload(uri: uri, kind: .event, args: [.int(value: Int64(i))], kwargs: nil, nowMs: t0)
        }
        var fetch: GroupFetch?
        for t: UInt64 in [0, 1, 2] {
            let m = messages[t]!
            assertThrowsCode(32) { _ = try bob.open(uri: uri, kind: .event, envelope: m.envelope, nowMs: t0, keyId: m.keyId) }
            let f = try held.hold(group: bob, uri: uri, kind: .event, envelope: m.envelope, ticket: t, nowMs: t0)
            if t == 0 { fetch = f } else { XCTAssertNil(f) }
        }
        let f = try XCTUnwrap(fetch)
        XCTAssertEqual(f.procedure, alice.identity().keyProcedure())
        XCTAssertEqual(held.len(), 3)
        XCTAssertEqual(held.fetches(), 1)
        _ = try bob.acceptKeyResponse(requestHash: f.requestHash, response: try alice.answerKeyRequest(request: f.request, nowMs: t0), nowMs: t0)
        let released = try held.release(requestHash: f.requestHash)
        XCTAssertEqual(released, [0, 1, 2])
        for t in released {
            let m = messages[t]!
            let o = try bob.open(uri: uri, kind: .event, envelope: m.envelope, nowMs: t0 + 1, keyId: m.keyId)
            XCTAssertEqual(try groupPayloadJson(uri: uri, plaintext: o.plaintext).argsJson, "[\(t)]")
        }
        // A refusal from the key procedure ends a fetch with its code.
        let carol = try Group(identity: try Identity.generate())
        try setEntry("com.example.", senders: [alice], receivers: [carol], on: [carol])
        let g = try XCTUnwrap(try held.hold(group: carol, uri: uri, kind: .event, envelope: messages[0]!.envelope, ticket: 9, nowMs: t0))
        assertThrowsCode(38) { _ = try alice.answerKeyRequest(request: g.request, nowMs: t0) }
        XCTAssertEqual(try held.fail(group: carol, requestHash: g.requestHash, error: fetchError(errorUri: "wampe2e.error.key_refused"), nowMs: t0), [9])
        assertThrowsCode(38) { _ = try held.hold(group: carol, uri: uri, kind: .event, envelope: messages[1]!.envelope, ticket: 10, nowMs: t0) }
    }

    func testIdentitiesOfTheVectors() throws {
        let dir = ProcessInfo.processInfo.environment["WAMPE2E_VECTORS"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../tests/vectors").standardized
        let v = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("gs1.json"))) as? [String: Any])
        let ids = try XCTUnwrap(v["identities"] as? [[String: Any]])
        XCTAssertEqual(ids.count, 6)
        for i in ids {
            let id = try Identity.fromSeed(seed: unhex(i["seed"] as! String))
            XCTAssertEqual(hexOf(id.publicKey()), i["public"] as! String)
            XCTAssertEqual(id.fingerprint(), i["public"] as! String)
            XCTAssertEqual(id.keyProcedure(), i["key_procedure"] as! String)
        }
        for c in try XCTUnwrap(v["cryptosign_identities"] as? [[String: Any]]) {
            let derived = try Identity.fromCryptosignSeed(cryptosignSeed: unhex(c["cryptosign_seed"] as! String))
            XCTAssertEqual(hexOf(derived.seed()), c["seed"] as! String)
            XCTAssertEqual(hexOf(derived.publicKey()), c["public"] as! String)
        }
        // The debug description shows no seed.
        let id = try Identity.fromSeed(seed: Data(repeating: 7, count: 32))
        XCTAssertFalse(String(describing: id).contains(String(repeating: "07", count: 32)))
        XCTAssertFalse(String(reflecting: id).contains(String(repeating: "07", count: 32)))
    }
}
