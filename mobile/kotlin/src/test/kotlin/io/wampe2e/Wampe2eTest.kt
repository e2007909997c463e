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
}

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

    @Test
    fun typedValuesRoundTrip() {
        val key = generateDataKey()
        val ring = KeyRing()
        ring.setDataKey("team-1", key, "com.")
        val args = listOf(
            PayloadValue.Null, PayloadValue.Bool(true), PayloadValue.Int(-7), PayloadValue.UInt(ULong.MAX_VALUE),
            PayloadValue.Float(21.5), PayloadValue.Text("grüße 🌍"), PayloadValue.Bytes(byteArrayOf(0, -1)),
            PayloadValue.Seq(listOf(PayloadValue.Int(1), PayloadValue.Seq(listOf()))),
        )
        val kwargs = listOf(MapEntry("nested", PayloadValue.Dict(listOf(MapEntry("a", PayloadValue.Text("b"))))))
        for (cipher in listOf(Cipher.XSALSA20POLY1305, Cipher.AES256GCM)) {
            val env = sealPayloadValues(ring, Role.ORIGINATOR, "com.x", args, kwargs, Dialect.Passthru(Serializer.CBOR, cipher))
            assertEquals("team-1", env.attributes["ppt_keyid"])
            val got = openPayloadValues(ring, Role.RESPONDER, "com.x", env.attributes, env.payload)
            assertEquals(args.size, got.args!!.size)
            assertArrayEquals((args[6] as PayloadValue.Bytes).value, (got.args!![6] as PayloadValue.Bytes).value)
            assertEquals(args.filterIndexed { i, _ -> i != 6 }, got.args!!.filterIndexed { i, _ -> i != 6 })
            assertEquals(kwargs, got.kwargs)
        }
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
        }
    }

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
            assertEquals(PayloadValue.Text("two"), got.args!![1])
            assertEquals(listOf(MapEntry("key", PayloadValue.Text("value")), MapEntry("n", PayloadValue.Int(-7))), got.kwargs)
        }
    }

    @Test
    fun everyErrorCase() {
        val (sealer, opener) = rings()
        val env = sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "[1]", null, Dialect.Cryptobox)
        assertEquals(7, code { openPayload(opener, Role.RESPONDER, "com.example.other", env.attributes, env.payload) })
        assertEquals(3, code { openPayload(opener, Role.ORIGINATOR, "com.example.t", env.attributes, env.payload) })
        val tampered = env.payload.copyOf().also { it[it.size - 1] = (it[it.size - 1].toInt() xor 1).toByte() }
        assertEquals(5, code { openPayload(opener, Role.RESPONDER, "com.example.t", env.attributes, tampered) })
        assertEquals(6, code { openPayload(opener, Role.RESPONDER, "com.example.t", env.attributes, env.payload.copyOf(39)) })
        assertEquals(20, code { openPayload(opener, Role.RESPONDER, "com.example.t", mapOf(), env.payload) })
        assertEquals(9, code { openPayload(opener, Role.RESPONDER, "com.example.t", mapOf("enc_algo" to "x", "enc_serializer" to "json"), env.payload) })
        assertEquals(11, code { openPayload(opener, Role.RESPONDER, "com.example.t", mapOf("enc_algo" to "cryptobox", "enc_serializer" to "cbor"), env.payload) })
        assertEquals(10, code { openPayload(opener, Role.RESPONDER, "com.example.t", mapOf("ppt_scheme" to "wamp", "ppt_serializer" to "cbor", "ppt_cipher" to "des"), env.payload) })
        assertEquals(2, code { sealPayload(sealer, Role.ORIGINATOR, "org.other", "[]", null, Dialect.Cryptobox) })
        assertEquals(4, code { sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "[]", null, Dialect.Passthru(Serializer.CBOR, Cipher.AES256GCM)) })
        assertEquals(13, code { sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "[1,", null, Dialect.Cryptobox) })
        assertEquals(16, code { sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "[\"\\u0000!!\"]", null, Dialect.Cryptobox) })
        assertEquals(25, code { sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "{}", null, Dialect.Cryptobox) })
        assertEquals(18, code { sealPayloadValues(sealer, Role.ORIGINATOR, "com.example.t", listOf(PayloadValue.Float(Double.NaN)), null, Dialect.Cryptobox) })
        assertEquals(1, code { KeyRing().setBoxKey("x", "not a key!", null, null, null, false) })
        assertEquals(3, code { KeyRing().setBoxKey("x", null, generateKeypair().public, null, null, false) })
        val e = assertThrows<Wampe2eException.InvalidKey> { KeyRing().setBoxKey("x", "not a key!", null, null, null, false) }
        assertTrue(e.message.contains("originator_priv"))
        assertFalse(e.message.contains("not a key!"))
    }

    private fun code(block: () -> Unit): Int = codeOf(assertThrows<Wampe2eException> { block() })

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

    @Test
    fun oneKeyringFromManyThreads() {
        val (sealer, opener) = rings()
        val pool = Executors.newFixedThreadPool(4)
        val jobs = (0 until 4).map { t ->
            pool.submit<Int> {
                var ok = 0
                for (i in 0 until 200) {
                    val env = sealPayload(sealer, Role.ORIGINATOR, "com.example.t", "[$t,$i]", null, Dialect.Cryptobox)
                    if (openPayload(opener, Role.RESPONDER, "com.example.t", env.attributes, env.payload).argsJson == "[$t,$i]") ok++
                }
                ok
            }
        }
        // keys change meanwhile
        val key = generateDataKey()
        for (i in 0 until 100) {
            sealer.setDataKey("churn", key, "org.churn.$i")
            sealer.remove("org.churn.$i")
        }
        assertEquals(listOf(200, 200, 200, 200), jobs.map { it.get(60, TimeUnit.SECONDS) })
        pool.shutdown()
    }
}
