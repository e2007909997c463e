package io.wampe2e

import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.File
import java.util.Base64
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import javax.crypto.Cipher as JavaCipher
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec

/** The stable number of each error case. Exhaustive `when`: a new core error that is not
 *  mapped in the binding does not compile here. */
fun codeOf(e: Wampe2eException): Int = when (e) {
    is Wampe2eException.InvalidKey -> 1
    is Wampe2eException.KeyNotFound -> 2
    is Wampe2eException.KeyIncomplete -> 3
    is Wampe2eException.WrongKeyKind -> 4
    is Wampe2eException.DecryptionFailed -> 5
    is Wampe2eException.TruncatedCiphertext -> 6
    is Wampe2eException.UriMismatch -> 7
    is Wampe2eException.MissingUri -> 8
    is Wampe2eException.UnknownScheme -> 9
    is Wampe2eException.UnknownCipher -> 10
    is Wampe2eException.UnknownSerializer -> 11
    is Wampe2eException.InvalidUtf8 -> 12
    is Wampe2eException.InvalidJson -> 13
    is Wampe2eException.InvalidCbor -> 14
    is Wampe2eException.InvalidMsgpack -> 15
    is Wampe2eException.InvalidBase64 -> 16
    is Wampe2eException.InvalidPayload -> 17
    is Wampe2eException.UnsupportedValue -> 18
    is Wampe2eException.PayloadTooLarge -> 19
    is Wampe2eException.InvalidEnvelope -> 20
    is Wampe2eException.RandomFailed -> 21
    is Wampe2eException.InvalidMessage -> 22
    is Wampe2eException.NullArgument -> 23
    is Wampe2eException.Panic -> 24
    is Wampe2eException.InvalidArgument -> 25
    is Wampe2eException.UnexpectedPlaintext -> 26
    is Wampe2eException.Reflected -> 27
    is Wampe2eException.PatternMismatch -> 28
    is Wampe2eException.KeyExhausted -> 29
    is Wampe2eException.BadSignature -> 30
    is Wampe2eException.UntrustedSender -> 31
    is Wampe2eException.UnknownSession -> 32
    is Wampe2eException.Replayed -> 33
    is Wampe2eException.TooOld -> 34
    is Wampe2eException.IndexJump -> 35
    is Wampe2eException.SessionExpired -> 36
    is Wampe2eException.KeyRequestStale -> 37
    is Wampe2eException.KeyRefused -> 38
    is Wampe2eException.Unsolicited -> 39
    is Wampe2eException.ShareMismatch -> 40
    is Wampe2eException.OutOfOrder -> 41
    is Wampe2eException.WrongVersion -> 42
    is Wampe2eException.Malformed -> 43
    is Wampe2eException.KeyIdMismatch -> 44
    is Wampe2eException.WrongKind -> 45
    is Wampe2eException.HoldOverflow -> 46
    is Wampe2eException.KeyFetchFailed -> 47
}

/** Type- and bit-exact equality of payload values: floats by their raw bits (-0.0 is
 *  not 0.0; a NaN's payload counts), Int, UInt, Float and Bool never equal each other,
 *  bytes by content, maps in order. (The generated `equals` compares `ByteArray`s by
 *  identity, and doubles as `Double.compare` does, which makes every NaN equal.) */
fun exact(a: PayloadValue, b: PayloadValue): Boolean = when (a) {
    is PayloadValue.Float -> b is PayloadValue.Float && a.value.toRawBits() == b.value.toRawBits()
    is PayloadValue.Bytes -> b is PayloadValue.Bytes && a.value.contentEquals(b.value)
    is PayloadValue.Seq -> b is PayloadValue.Seq && exactList(a.items, b.items)
    is PayloadValue.Dict -> b is PayloadValue.Dict && exactEntries(a.entries, b.entries)
    else -> a == b // Null, Bool, Int, UInt, Text: one type each, compared by value
}

fun exactList(a: List<PayloadValue>?, b: List<PayloadValue>?): Boolean =
    if (a == null || b == null) a == b else a.size == b.size && a.indices.all { exact(a[it], b[it]) }

fun exactEntries(a: List<MapEntry>?, b: List<MapEntry>?): Boolean =
    if (a == null || b == null) a == b
    else a.size == b.size && a.indices.all { a[it].key == b[it].key && exact(a[it].value, b[it].value) }

/** A value as `exact` sees it: floats with their bits, bytes in hex. */
fun show(v: PayloadValue): String = when (v) {
    is PayloadValue.Float -> "Float(${v.value}=0x${java.lang.Long.toHexString(v.value.toRawBits())})"
    is PayloadValue.Bytes -> "Bytes(${v.value.joinToString("") { "%02x".format(it) }})"
    is PayloadValue.Seq -> v.items.joinToString(", ", "[", "]") { show(it) }
    is PayloadValue.Dict -> v.entries.joinToString(", ", "{", "}") { "${it.key}: ${show(it.value)}" }
    else -> v.toString()
}

fun assertExact(expected: List<PayloadValue>?, actual: List<PayloadValue>?, what: String = "") =
    assertTrue(exactList(expected, actual), "$what: expected ${expected?.let { show(PayloadValue.Seq(it)) }}, got ${actual?.let { show(PayloadValue.Seq(it)) }}")

fun assertExactEntries(expected: List<MapEntry>?, actual: List<MapEntry>?, what: String = "") =
    assertTrue(exactEntries(expected, actual), "$what: expected ${expected?.let { show(PayloadValue.Dict(it)) }}, got ${actual?.let { show(PayloadValue.Dict(it)) }}")

class Wampe2eTest {
    private val vectors = File(System.getProperty("wampe2e.vectors"))
    private fun vector(name: String) = JSONObject(File(vectors, name).readText())
    private fun b64(s: String): ByteArray = Base64.getDecoder().decode(s)

    private val cbor = Dialect.Passthru(Serializer.CBOR, Cipher.XSALSA20POLY1305)

    private fun rings(): Pair<KeyRing, KeyRing> {
        val o = generateKeypair()
        val r = generateKeypair()
        val sealer = KeyRing()
        sealer.setBoxKey("com.example.", o.secret, null, null, r.public, false)
        val opener = KeyRing()
        opener.setBoxKey("com.example.", null, o.public, r.secret, null, false)
        return sealer to opener
    }

    @Test
    fun jsonRoundTripInBothDialects() {
        val (sealer, opener) = rings()
        for (dialect in listOf(Dialect.Cryptobox, cbor, Dialect.Passthru(Serializer.MSGPACK, Cipher.XSALSA20POLY1305))) {
            val env = sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "[1,\"two\",{\"x\":2.5},\"\\u0000AAH/\"]", "{\"k\":null}", dialect)
            assertEquals(dialect != Dialect.Cryptobox, env.payloadInList)
            val got = openPayload(opener, Role.RESPONDER, "com.example.t", env.attributes, env.payload)
            assertEquals("com.example.t", got.uri)
            assertEquals("[1,\"two\",{\"x\":2.5},\"\\u0000AAH/\"]", got.argsJson)
            assertEquals("{\"k\":null}", got.kwargsJson)
        }
    }

    private val allDialects = listOf(Dialect.Cryptobox) + listOf(Serializer.JSON, Serializer.CBOR, Serializer.MSGPACK).flatMap { ser ->
        listOf(Cipher.XSALSA20POLY1305, Cipher.AES256GCM).map { Dialect.Passthru(ser, it) }
    }

    /** Values every serializer carries, with the edges a lax comparison misses. */
    private val typedArgs = listOf(
        PayloadValue.Null, PayloadValue.Bool(true), PayloadValue.Bool(false), PayloadValue.Int(-7), PayloadValue.Int(1),
        PayloadValue.Int(Long.MIN_VALUE), PayloadValue.Int(Long.MAX_VALUE), PayloadValue.UInt(ULong.MAX_VALUE),
        PayloadValue.Float(21.5), PayloadValue.Float(1.0), PayloadValue.Float(-0.0), PayloadValue.Float(0.0),
        PayloadValue.Float(Double.MIN_VALUE), PayloadValue.Float(1e16), PayloadValue.Float(-Double.MAX_VALUE),
        PayloadValue.Text("grüße 🌍"), PayloadValue.Text(""), PayloadValue.Bytes(byteArrayOf(0, -1)), PayloadValue.Bytes(byteArrayOf()),
        PayloadValue.Seq(listOf(PayloadValue.Int(1), PayloadValue.Seq(listOf()))),
    )

    /** Floats only CBOR and MessagePack carry (JSON has no NaN or infinities). */
    private val binaryOnlyArgs = listOf(
        PayloadValue.Float(Double.NaN), PayloadValue.Float(Double.POSITIVE_INFINITY), PayloadValue.Float(Double.NEGATIVE_INFINITY),
    )

    @Test
    fun typedValuesRoundTripBitExactly() {
        val o = generateKeypair()
        val r = generateKeypair()
        val data = generateDataKey()
        val kwargs = listOf(
            MapEntry("nested", PayloadValue.Dict(listOf(MapEntry("a", PayloadValue.Text("b")), MapEntry("z", PayloadValue.Float(-0.0))))),
            MapEntry("b", PayloadValue.Null),
        )
        for (dialect in allDialects) {
            val keys = if (dialect is Dialect.Passthru && dialect.cipher == Cipher.AES256GCM) listOf("data") else
                if (dialect == Dialect.Cryptobox) listOf("pair") else listOf("pair", "data")
            for (kind in keys) {
                val sealer = KeyRing()
                val opener = KeyRing()
                if (kind == "data") {
                    sealer.setDataKey("team-1", data, "com.")
                    opener.setDataKey("team-1", data, null)
                } else {
                    sealer.setBoxKey("com.", o.secret, null, null, r.public, false)
                    opener.setBoxKey("com.", null, o.public, r.secret, null, false)
                }
                val binary = dialect is Dialect.Passthru && dialect.serializer != Serializer.JSON
                val args = if (binary) typedArgs + binaryOnlyArgs else typedArgs
                val env = sealPayloadValues(sealer, Role.ORIGINATOR, "com.x", args, kwargs, dialect)
                if (kind == "data") assertEquals("team-1", env.attributes["ppt_keyid"])
                val got = openPayloadValues(opener, Role.RESPONDER, "com.x", env.attributes, env.payload)
                assertEquals("com.x", got.uri)
                assertExact(args, got.args, "$dialect $kind")
                assertExactEntries(kwargs, got.kwargs, "$dialect $kind")
            }
        }
        // The comparison itself: what the generated equals lets through, exact does not.
        assertEquals(PayloadValue.Float(Double.NaN), PayloadValue.Float(Double.fromBits(0x7ff8000000000001)))
        assertFalse(exact(PayloadValue.Float(Double.NaN), PayloadValue.Float(Double.fromBits(0x7ff8000000000001))))
        assertFalse(exact(PayloadValue.Float(-0.0), PayloadValue.Float(0.0)))
        assertFalse(exact(PayloadValue.Int(1), PayloadValue.Float(1.0)))
        assertFalse(exact(PayloadValue.Int(1), PayloadValue.Bool(true)))
        assertTrue(exact(PayloadValue.Bytes(byteArrayOf(1)), PayloadValue.Bytes(byteArrayOf(1))))
    }

    @Test
    fun autobahnVectorsOpen() {
        val doc = vector("autobahn_cryptobox.json")
        val o = doc.getJSONObject("originator")
        val r = doc.getJSONObject("responder")
        val asResponder = KeyRing().apply { setBoxKey("", null, o.getString("public_base64"), r.getString("secret_hex"), null, false) }
        val asOriginator = KeyRing().apply { setBoxKey("", o.getString("secret_hex"), null, null, r.getString("public_base64"), false) }
        val list = doc.getJSONArray("vectors")
        assertTrue(list.length() >= 14)
        val attrs = mapOf("enc_algo" to "cryptobox", "enc_serializer" to "json")
        var numbers = 0
        for (i in 0 until list.length()) {
            val v = list.getJSONObject(i)
            val fromOriginator = v.getString("sealer_role") == "originator"
            val got = openPayload(
                if (fromOriginator) asResponder else asOriginator,
                if (fromOriginator) Role.RESPONDER else Role.ORIGINATOR,
                v.getString("uri"), attrs, b64(v.getString("sealed_base64")),
            )
            // The JSON text the core writes is Autobahn's own serialization.
            assertEquals(v.getString("args_json"), got.argsJson, v.getString("name"))
            assertEquals(v.getString("kwargs_json"), got.kwargsJson, v.getString("name"))
            if (v.getString("name").startsWith("numbers")) {
                // Each number with the type and bits Autobahn|Python gave it.
                val typed = openPayloadValues(
                    if (fromOriginator) asResponder else asOriginator,
                    if (fromOriginator) Role.RESPONDER else Role.ORIGINATOR,
                    v.getString("uri"), attrs, b64(v.getString("sealed_base64")),
                )
                assertExact(numbersArgs, typed.args, v.getString("name"))
                assertExactEntries(listOf(MapEntry("big", PayloadValue.UInt(ULong.MAX_VALUE))), typed.kwargs, v.getString("name"))
                numbers++
            }
        }
        assertEquals(2, numbers)
    }

    /** The "numbers" vector's args: Python ints as Int (UInt above Long.MAX_VALUE), Python floats as Float. */
    private val numbersArgs = listOf(
        PayloadValue.Int(0), PayloadValue.Int(-1), PayloadValue.Int(Long.MAX_VALUE), PayloadValue.Int(Long.MIN_VALUE),
        PayloadValue.UInt(ULong.MAX_VALUE), PayloadValue.Float(0.1), PayloadValue.Float(-2.5e-07), PayloadValue.Float(1e16),
        PayloadValue.Float(1e15), PayloadValue.Float(Math.PI), PayloadValue.Float(-0.0),
    )

    @Test
    fun pptVectorsOpen() {
        val doc = vector("ppt.json")
        val list = doc.getJSONArray("vectors")
        for (i in 0 until list.length()) {
            val v = list.getJSONObject(i)
            val ring = KeyRing()
            val attrs = mutableMapOf("ppt_scheme" to "wamp", "ppt_serializer" to v.getString("serializer"), "ppt_cipher" to v.getString("cipher"))
            if (v.getString("key") == "data") {
                ring.setDataKey(v.getString("key_id"), doc.getString("data_key_base64"), null)
                attrs["ppt_keyid"] = v.getString("key_id")
            } else {
                ring.setBoxKey("", null, doc.getJSONObject("originator").getString("public_base64"),
                    doc.getJSONObject("responder").getString("secret_base64"), null, false)
            }
            val got = openPayloadValues(ring, Role.RESPONDER, doc.getString("uri"), attrs, b64(v.getString("sealed_base64")))
            // expected_args_json [1,"two",3.5,"\u0000BAU=",null,true,[{"six":6}]], typed
            assertExact(listOf(
                PayloadValue.Int(1), PayloadValue.Text("two"), PayloadValue.Float(3.5), PayloadValue.Bytes(byteArrayOf(4, 5)),
                PayloadValue.Null, PayloadValue.Bool(true), PayloadValue.Seq(listOf(PayloadValue.Dict(listOf(MapEntry("six", PayloadValue.Int(6)))))),
            ), got.args, v.toString())
            assertExactEntries(listOf(MapEntry("key", PayloadValue.Text("value")), MapEntry("n", PayloadValue.Int(-7))), got.kwargs)
        }
    }

    /** Codes a Kotlin caller cannot cause, and why (the C test lists its own). */
    private val unreachable = mapOf(
        21 to "RandomFailed: the OS random number generator would have to fail",
        22 to "InvalidMessage: parsing whole WAMP messages is not part of the mobile API",
        23 to "NullArgument: C only; Kotlin passes no NULL where a value is required",
        24 to "Panic: the library does not panic (a caught panic would be a bug)",
        29 to "KeyExhausted: needs 2^32 AES-256-GCM seals with one data key",
        35 to "IndexJump: needs 2^16 seals between two opens of one session (core/tests/group.rs and the vectors cover it)",
        40 to "ShareMismatch: needs a sender that signs a share not matching the request; the API's senders never do",
    )

    /** forged_plaintexts.json (gen_forged.py): plaintexts no binding seals itself,
     *  sealed by `cryptography`'s AES-256-GCM under a fixed data key. */
    private fun forged() = JSONObject(javaClass.getResource("/forged_plaintexts.json")!!.readText())

    @Test
    fun everyReachableErrorCodeIsMapped() {
        val reached = sortedSetOf<Int>()
        fun expect(want: Int, block: () -> Unit) {
            val got = code(block)
            assertEquals(want, got)
            reached += got
        }
        val (sealer, opener) = rings()
        val env = sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "[1]", null, Dialect.Cryptobox)
        expect(1) { KeyRing().setBoxKey("x", "not a key!", null, null, null, false) }
        expect(1) { KeyRing().setDataKey("k", "AAAA", null) }
        expect(2) { sealPayload(sealer, Role.ORIGINATOR, "org.other", "[]", null, Dialect.Cryptobox) }
        expect(3) { openPayload(opener, Role.ORIGINATOR, "com.example.t", env.attributes, env.payload) }
        expect(3) { KeyRing().setBoxKey("x", null, generateKeypair().public, null, null, false) }
        expect(4) { sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "[]", null, Dialect.Passthru(Serializer.CBOR, Cipher.AES256GCM)) }
        val tampered = env.payload.copyOf().also { it[it.size - 1] = (it[it.size - 1].toInt() xor 1).toByte() }
        expect(5) { openPayload(opener, Role.RESPONDER, "com.example.t", env.attributes, tampered) }
        expect(6) { openPayload(opener, Role.RESPONDER, "com.example.t", env.attributes, env.payload.copyOf(39)) }
        expect(7) { openPayload(opener, Role.RESPONDER, "com.example.other", env.attributes, env.payload) }
        expect(9) { openPayload(opener, Role.RESPONDER, "com.example.t", mapOf("enc_algo" to "x", "enc_serializer" to "json"), env.payload) }
        expect(10) { openPayload(opener, Role.RESPONDER, "com.example.t", mapOf("ppt_scheme" to "wamp", "ppt_serializer" to "cbor", "ppt_cipher" to "des"), env.payload) }
        expect(11) { openPayload(opener, Role.RESPONDER, "com.example.t", mapOf("enc_algo" to "cryptobox", "enc_serializer" to "cbor"), env.payload) }
        expect(13) { sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "[1,", null, Dialect.Cryptobox) }
        expect(16) { sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "[\"\\u0000!!\"]", null, Dialect.Cryptobox) }
        expect(18) { sealPayloadValues(sealer, Role.ORIGINATOR, "com.example.t", listOf(PayloadValue.Float(Double.NaN)), null, Dialect.Cryptobox) }
        expect(20) { openPayload(opener, Role.RESPONDER, "com.example.t", mapOf(), env.payload) }
        expect(20) { openPayload(opener, Role.RESPONDER, "com.example.t", mapOf("enc_algo" to "cryptobox", "ppt_scheme" to "wamp"), env.payload) }
        expect(25) { sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "{}", null, Dialect.Cryptobox) }
        expect(25) { KeyRing().setDataKey("", generateDataKey(), "com.") }
        expect(26) { decideInbound(opener, MessageKind.EVENT, "com.example.t", MatchPolicy.EXACT, null, false, false) }
        expect(27) { openPayload(sealer, Role.ORIGINATOR, "com.example.t", env.attributes, env.payload) }
        expect(28) { decideInbound(opener, MessageKind.EVENT, "com.example.t", MatchPolicy.EXACT, "com.example.u", true, false) }
        // GS1 (Gs1Test.kt): 30-47 but IndexJump and ShareMismatch.
        reachGs1Codes(::expect)

        // Over 64 MiB: refused before anything is decrypted.
        val dataRing = KeyRing().apply { setDataKey("k", generateDataKey(), "com.") }
        val ppt = mapOf("ppt_scheme" to "wamp", "ppt_serializer" to "cbor", "ppt_cipher" to "aes256gcm", "ppt_keyid" to "k")
        expect(19) { openPayload(dataRing, Role.RESPONDER, "com.x", ppt, ByteArray(64 * 1024 * 1024 + 64)) }

        // What only a forger's plaintext causes: each case's ciphertext re-made here by
        // javax.crypto (so the file is what it says), then opened.
        val doc = forged()
        val key = b64(doc.getString("data_key_base64"))
        val ring = KeyRing().apply { setDataKey(doc.getString("key_id"), doc.getString("data_key_base64"), "com.") }
        val cases = doc.getJSONArray("cases")
        for (i in 0 until cases.length()) {
            val c = cases.getJSONObject(i)
            val nonce = b64(c.getString("nonce_base64"))
            val aes = JavaCipher.getInstance("AES/GCM/NoPadding")
            aes.init(JavaCipher.ENCRYPT_MODE, SecretKeySpec(key, "AES"), GCMParameterSpec(128, nonce))
            val sealed = nonce + aes.doFinal(b64(c.getString("plaintext_base64")))
            assertArrayEquals(b64(c.getString("sealed_base64")), sealed, c.getString("name"))
            val attrs = mapOf("ppt_scheme" to "wamp", "ppt_serializer" to c.getString("serializer"),
                "ppt_cipher" to "aes256gcm", "ppt_keyid" to doc.getString("key_id"))
            val open = { openPayloadValues(ring, Role.RESPONDER, doc.getString("uri"), attrs, sealed) }
            val want = c.getInt("code")
            if (want != 0) {
                expect(want, { open() })
                continue
            }
            // Typed numbers from an independent CBOR encoder (cbor2), each with its type and bits.
            assertExact(listOf(
                PayloadValue.Float(-0.0), PayloadValue.Float(Double.POSITIVE_INFINITY), PayloadValue.Float(Double.NEGATIVE_INFINITY),
                PayloadValue.Float(1.0), PayloadValue.Int(1), PayloadValue.UInt(ULong.MAX_VALUE), PayloadValue.Int(Long.MIN_VALUE),
                PayloadValue.Bool(true), PayloadValue.Float(Double.MIN_VALUE),
            ), open().args, c.getString("name"))
        }

        // Every error case of the binding, counted without a hard-coded total: the
        // generated classes, each mapped by codeOf to a distinct number 1..n.
        val classes = Wampe2eException::class.java.declaredClasses
            .filter { Wampe2eException::class.java.isAssignableFrom(it) && it != Wampe2eException::class.java }
        val mapped = classes.map { codeOf(it.getConstructor(String::class.java).newInstance("detail") as Wampe2eException) }
        assertEquals((1..classes.size).toList(), mapped.sorted())
        // errorNumber and errorName are the core's number and name of each case.
        for (c in classes) {
            val e = c.getConstructor(String::class.java).newInstance("detail") as Wampe2eException
            assertEquals(codeOf(e), errorNumber(e).toInt())
            assertEquals(codeName(e), errorName(e))
        }
        assertEquals((1..classes.size).toSet() - unreachable.keys, reached,
            "reachable codes never reached: ${(1..classes.size).toSet() - unreachable.keys - reached}")

        // The detail names the argument, never the secret.
        val e = assertThrows<Wampe2eException.InvalidKey> { KeyRing().setBoxKey("x", "not a key!", null, null, null, false) }
        assertTrue(e.message.contains("originatorPriv"))
        assertFalse(e.message.contains("not a key!"))
    }

    private fun code(block: () -> Unit): Int = codeOf(assertThrows<Wampe2eException> { block() })

    /** Every wrong shape of a secret (as the Kotlin type allows: text) to every
     * key-taking function: InvalidKey, and the message never shows the secret. */
    @Test
    fun noErrorMessageEverContainsTheKey() {
        val raw = java.security.SecureRandom().let { r -> ByteArray(32).also { r.nextBytes(it) } }
        val hex = raw.joinToString("") { "%02x".format(it) }
        val b64 = Base64.getEncoder().encodeToString(raw)
        val forms = listOf(hex, hex.uppercase(), b64, b64.substring(0, 16), hex.substring(8, 40))
        val shapes = listOf(
            hex + "0", hex.substring(1), "0x" + hex + "ff", hex.substring(0, 63) + "g",
            b64 + "A", b64.substring(0, 42) + "!!", b64.substring(0, 40), hex + hex,
            String(raw, Charsets.ISO_8859_1), "$hex\u0000", " $b64 x",
        )
        val pub = generateKeypair().public
        val sec = generateKeypair().secret
        val takers: Map<String, (String) -> Unit> = mapOf(
            "setBoxKey originatorPriv" to { k -> KeyRing().setBoxKey("a.", k, null, null, pub, false) },
            "setBoxKey originatorPub" to { k -> KeyRing().setBoxKey("a.", null, k, sec, null, false) },
            "setBoxKey responderPriv" to { k -> KeyRing().setBoxKey("a.", null, pub, k, null, false) },
            "setBoxKey responderPub" to { k -> KeyRing().setBoxKey("a.", sec, null, null, k, false) },
            "setSharedKey" to { k -> KeyRing().setSharedKey("a.", k) },
            "setDataKey" to { k -> KeyRing().setDataKey("id", k, null) },
            "keyId" to { k -> keyId(k) },
            "ed25519ToX25519" to { k -> ed25519ToX25519(k) },
        )
        for ((name, call) in takers) {
            for (shape in shapes) {
                val e = assertThrows<Wampe2eException.InvalidKey>(name) { call(shape) }
                val text = "${e.message} $e"
                for (form in forms) assertFalse(text.contains(form), "$name: $text")
            }
        }
    }

    @Test
    fun inboundDecision() {
        val ring = KeyRing()
        ring.setSharedKey("com.secret.", generateKeypair().secret)
        val exact = MatchPolicy.EXACT
        for (kind in MessageKind.entries) {
            assertEquals(Delivery.Open("com.secret.x"), decideInbound(ring, kind, "com.secret.x", exact, null, true, false))
            // strict (the default): a plaintext on a keyed URI is refused
            assertEquals(26, code { decideInbound(ring, kind, "com.secret.x", exact, null, false, false) })
            assertThrows<Wampe2eException.UnexpectedPlaintext> { decideInbound(ring, kind, "com.secret.x", exact, null, false, false, true) }
            // not strict (migration): delivered
            assertEquals(Delivery.Plain("com.secret.x"), decideInbound(ring, kind, "com.secret.x", exact, null, false, false, strict = false))
            assertEquals(Delivery.Plain("org.public.x"), decideInbound(ring, kind, "org.public.x", exact, null, false, false))
        }
        // answers to an encrypted call must be encrypted, except the router's wamp.error.*
        assertEquals(26, code { decideInbound(ring, MessageKind.RESULT, "org.public.proc", exact, null, false, true) })
        assertEquals(26, code { decideInbound(ring, MessageKind.ERROR, "com.app.error.forged", exact, null, false, true) })
        assertEquals(Delivery.Plain("wamp.error.no_such_procedure"),
            decideInbound(ring, MessageKind.ERROR, "wamp.error.no_such_procedure", exact, null, false, true))
        // exact: the router's URI, if sent, must be the local one
        assertEquals(Delivery.Open("com.secret.b"), decideInbound(ring, MessageKind.EVENT, "com.secret.b", exact, "com.secret.b", true, false))
        assertEquals(28, code { decideInbound(ring, MessageKind.EVENT, "com.secret.b", exact, "com.secret.a", true, false) })
        assertThrows<Wampe2eException.PatternMismatch> { decideInbound(ring, MessageKind.EVENT, "com.secret.b", exact, "com.secret.a", false, false, strict = false) }
        // prefix and wildcard: the router's URI, if the local pattern covers it
        assertEquals(Delivery.Open("com.secret.deep.proc"),
            decideInbound(ring, MessageKind.INVOCATION, "com.secret.", MatchPolicy.PREFIX, "com.secret.deep.proc", true, false))
        assertEquals(28, code { decideInbound(ring, MessageKind.INVOCATION, "com.secret.", MatchPolicy.PREFIX, "com.other.proc", true, false) })
        assertEquals(28, code { decideInbound(ring, MessageKind.INVOCATION, "com.secret.", MatchPolicy.PREFIX, null, true, false) })
        assertEquals(26, code { decideInbound(ring, MessageKind.EVENT, "com.", MatchPolicy.PREFIX, "com.secret.e", false, false) })
        assertEquals(Delivery.Open("com.secret.event"),
            decideInbound(ring, MessageKind.EVENT, "com..event", MatchPolicy.WILDCARD, "com.secret.event", true, false))
        assertEquals(28, code { decideInbound(ring, MessageKind.EVENT, "com..event", MatchPolicy.WILDCARD, "com.secret.x.event", true, false) })
    }

    @Test
    fun decideThenOpen() {
        val (sealer, opener) = rings()
        val env = sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "[7]", null, Dialect.Cryptobox)
        // a prefix subscription; Details.topic names the URI
        val d = decideInbound(opener, MessageKind.EVENT, "com.example.", MatchPolicy.PREFIX, "com.example.t", true, false)
        assertEquals(Delivery.Open("com.example.t"), d)
        assertEquals("[7]", openPayload(opener, Role.RESPONDER, (d as Delivery.Open).uri, env.attributes, env.payload).argsJson)
        // the router names another topic under the prefix: opening refuses it
        val lie = decideInbound(opener, MessageKind.EVENT, "com.example.", MatchPolicy.PREFIX, "com.example.u", true, false) as Delivery.Open
        assertEquals(7, code { openPayload(opener, Role.RESPONDER, lie.uri, env.attributes, env.payload) })
    }

    @Test
    fun reflectedCiphertextIsRefused() {
        val (sealer, opener) = rings()
        // the router sends our CALL back as its RESULT
        val call = sealPayload(sealer, Role.ORIGINATOR, "com.example.proc", "[1]", null, Dialect.Cryptobox)
        val d = decideInbound(sealer, MessageKind.RESULT, "com.example.proc", MatchPolicy.EXACT, null, true, true) as Delivery.Open
        val e = assertThrows<Wampe2eException.Reflected> { openPayload(sealer, Role.ORIGINATOR, d.uri, call.attributes, call.payload) }
        assertEquals(27, codeOf(e))
        assertEquals("[1]", openPayload(opener, Role.RESPONDER, "com.example.proc", call.attributes, call.payload).argsJson)
        // a YIELD sent back as an INVOCATION, with a key both roles share
        val ring = KeyRing().apply { setDataKey("k1", generateDataKey(), "com.") }
        val yielded = sealPayload(ring, Role.RESPONDER, "com.proc", "[2]", null, Dialect.Passthru(Serializer.CBOR, Cipher.AES256GCM))
        assertEquals(27, code { openPayloadValues(ring, Role.RESPONDER, "com.proc", yielded.attributes, yielded.payload) })
        assertEquals("[2]", openPayload(ring, Role.ORIGINATOR, "com.proc", yielded.attributes, yielded.payload).argsJson)
    }

    @Test
    fun removeKeyIdAndExpectsSealed() {
        val key = generateDataKey()
        val sender = KeyRing().apply { setDataKey("team-1", key, "com.") }
        val ring = KeyRing().apply {
            setDataKey("team-1", key, null)
            setDataKey("team-2", key, "org.keyed.")
        }
        // key-id-only keys are not bound to URIs
        assertFalse(ring.expectsSealed("com.add"))
        assertTrue(ring.expectsSealed("org.keyed.x"))
        assertFalse(ring.expectsSealed("org.keyed"))
        val env = sealPayload(sender, Role.ORIGINATOR, "com.add", "[2,3]", null, Dialect.Passthru(Serializer.MSGPACK, Cipher.XSALSA20POLY1305))
        assertEquals("[2,3]", openPayload(ring, Role.RESPONDER, "com.add", env.attributes, env.payload).argsJson)
        assertFalse(ring.removeKeyId("team-2")) // a prefix entry, not a key-id-only key
        assertTrue(ring.removeKeyId("team-1"))
        assertFalse(ring.removeKeyId("team-1"))
        assertEquals(2, code { openPayload(ring, Role.RESPONDER, "com.add", env.attributes, env.payload) })
        // removing a prefix entry revokes it: plaintext is then what the URI gets
        val keyed = sealPayload(ring, Role.ORIGINATOR, "org.keyed.x", "[1]", null, cbor)
        assertTrue(ring.remove("org.keyed."))
        assertFalse(ring.expectsSealed("org.keyed.x"))
        assertEquals(2, code { openPayload(ring, Role.RESPONDER, "org.keyed.x", keyed.attributes, keyed.payload) })
        assertEquals(Delivery.Plain("org.keyed.x"), decideInbound(ring, MessageKind.EVENT, "org.keyed.x", MatchPolicy.EXACT, null, false, false))
    }

    @Test
    fun keysRotateAndConversions() {
        val kat = vector("crypto_box_kat.json").getJSONArray("ed25519_to_x25519").getJSONObject(0)
        val pair = ed25519ToX25519(kat.getString("ed25519_seed_hex"))
        assertEquals(kat.getString("x25519_public_hex"), b64(pair.public).joinToString("") { "%02x".format(it) })
        assertTrue(Regex("^0x[0-9a-fA-F]{40}$").matches(keyId(pair.public)))
        val (sealer, _) = rings()
        val rotated = sealer.rotate("com.example.")
        assertNull(rotated.responderPub)
        assertTrue(sealer.remove("com.example."))
        assertFalse(sealer.remove("com.example."))
        assertEquals("0.1.0", version())
    }

    /** Threads seal and open on exactly the prefixes whose entries this thread keeps
     *  replacing (a data key under a new key id, a new key under the same id, a key
     *  pair rotated) and removing. A seal works or, on the removed data entry, fails with
     *  KeyNotFound; an open gives back exactly what was sealed, under a key that was
     *  the entry's between the seal and the open, or fails with KeyNotFound (removed,
     *  or key id replaced) or DecryptionFailed (same id, new key; rotated pair). Nothing
     *  else. It runs until each outcome was seen (at most 60 s). */
    @Test
    fun sealAndOpenWhileThatVeryEntryIsReplaced() {
        val ring = KeyRing()
        val dataPrefix = "com.hot.data."
        val pairPrefix = "com.hot.pair."
        val lock = Object()
        var generation = 0 // the newest data key id published is "g$generation"
        var opened = 0
        var sealRefused = 0
        var openRefused = 0
        val wrong = java.util.Collections.synchronizedList(mutableListOf<String>())
        ring.setDataKey("g0", generateDataKey(), dataPrefix)
        ring.setSharedKey(pairPrefix, generateKeypair().secret)
        val stop = AtomicBoolean(false)
        val dialects = allDialects
        val pool = Executors.newFixedThreadPool(3)
        val jobs = (0 until 3).map { t ->
            pool.submit(Runnable {
                var i = 0
                while (!stop.get()) {
                    i++
                    val dialect = dialects[(i + t) % dialects.size]
                    val data = dialect is Dialect.Passthru && (dialect.cipher == Cipher.AES256GCM || i % 2 == 0)
                    val uri = (if (data) dataPrefix else pairPrefix) + "t$t"
                    val args = "[$t,$i]"
                    val before = synchronized(lock) { generation }
                    val env = try {
                        sealPayload(ring, Role.ORIGINATOR, uri, args, null, dialect)
                    } catch (e: Wampe2eException) {
                        if (data && e is Wampe2eException.KeyNotFound) synchronized(lock) { sealRefused++ }
                        else wrong += "seal $dialect on $uri: $e"
                        continue
                    }
                    if (data) {
                        val sealedWith = env.attributes["ppt_keyid"]!!.removePrefix("g").toInt()
                        if (sealedWith < before) wrong += "sealed under g$sealedWith, already replaced by g$before"
                    }
                    try {
                        val got = openPayload(ring, Role.RESPONDER, uri, env.attributes, env.payload)
                        if (got.argsJson != args || got.kwargsJson != "null" || got.uri != uri) wrong += "opened $args as ${got.argsJson}"
                        else synchronized(lock) { opened++ }
                    } catch (e: Wampe2eException) {
                        val expected = e is Wampe2eException.DecryptionFailed || (data && e is Wampe2eException.KeyNotFound)
                        if (expected) synchronized(lock) { openRefused++ } else wrong += "open $dialect on $uri: $e"
                    }
                }
            })
        }
        val started = System.nanoTime()
        var n = 0
        while (true) {
            n++
            when (n % 4) {
                0 -> { // a new key under a new key id
                    ring.setDataKey("g$n", generateDataKey(), dataPrefix)
                    synchronized(lock) { generation = n }
                }
                1 -> { // a new key under the same key id
                    val id = synchronized(lock) { generation }
                    ring.setDataKey("g$id", generateDataKey(), dataPrefix)
                }
                2 -> { // revoked for a moment, then a new key id
                    assertTrue(ring.remove(dataPrefix))
                    Thread.sleep(0, 200_000)
                    ring.setDataKey("g$n", generateDataKey(), dataPrefix)
                    synchronized(lock) { generation = n }
                }
                else -> ring.rotate(pairPrefix) // a new key pair (one shared secret, both roles)
            }
            Thread.sleep(0, 300_000)
            val enough = synchronized(lock) { opened >= 300 && sealRefused >= 3 && openRefused >= 10 }
            if (enough || System.nanoTime() - started > 60_000_000_000L || wrong.isNotEmpty()) break
        }
        stop.set(true)
        jobs.forEach { it.get(60, TimeUnit.SECONDS) }
        pool.shutdown()
        System.err.println("key churn: $n changes; $opened opened, $sealRefused seals refused, $openRefused opens refused")
        assertEquals(listOf<String>(), wrong.toList())
        assertTrue(opened >= 300 && sealRefused >= 3 && openRefused >= 10, "$opened opened, $sealRefused/$openRefused refused")
    }
}
