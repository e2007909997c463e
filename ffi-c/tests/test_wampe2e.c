/*
 * C tests of libwampe2e: every function, every error code reachable from C,
 * the inbound decision, concurrent use of one keyring, the Autobahn vectors
 * in tests/vectors/, and GS1 group sessions (identities, key exchange through the
 * key procedure, events, calls and replies, every refusal, threads, the held queue).
 * Run from tests/vectors/ (reads autobahn_cryptobox.json). Prints "N passed, N failed".
 */
#define _GNU_SOURCE /* memmem */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wampe2e.h"

static int passed = 0, failed = 0;
#define MAX_CODES 256
static int reached[MAX_CODES]; /* result codes seen, by number */

#define CHECK(cond)                                                      \
    do {                                                                 \
        if (cond) {                                                      \
            passed++;                                                    \
        } else {                                                         \
            failed++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                \
    } while (0)

/* Checks a call's result and records the code as reached. */
#define EXPECT(call, code)                                                       \
    do {                                                                         \
        wampe2e_result r_ = (call);                                              \
        if (r_ < MAX_CODES) reached[r_] = 1;                                     \
        if (r_ == (code)) {                                                      \
            passed++;                                                            \
        } else {                                                                 \
            char msg_[256]; size_t n_ = 0;                                       \
            wampe2e_last_error_message(msg_, sizeof msg_, &n_);                  \
            failed++;                                                            \
            fprintf(stderr, "FAIL %s:%d: %s = %u (%s: %s), expected %s\n", __FILE__, \
                    __LINE__, #call, (unsigned)r_, wampe2e_result_message(r_), msg_, #code); \
        }                                                                        \
    } while (0)

#define S(str) (str), strlen(str)

static const char *URI = "com.example.topic1";

/* ---- helpers ---- */

static int b64val(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes standard base64; returns the length, or -1. */
static long b64decode(const char *in, size_t len, unsigned char *out) {
    long n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && in[i] != '='; i++) {
        int v = b64val((unsigned char)in[i]);
        if (v < 0) return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    return n;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) { free(buf); buf = NULL; }
    if (buf) buf[size] = 0;
    fclose(f);
    return buf;
}

/* Finds `"key": "` after *pos and copies the (escape-free) value into out. */
static int json_field(const char **pos, const char *key, char *out, size_t cap) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(*pos, pat);
    if (!p) return 0;
    p += strlen(pat);
    const char *end = strchr(p, '"');
    if (!end || (size_t)(end - p) >= cap) return 0;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = 0;
    *pos = end;
    return 1;
}

static wampe2e_envelope *envelope_of(const char *const *names, const char *const *values, size_t n,
                                     const unsigned char *payload, size_t len) {
    wampe2e_attribute attrs[8];
    for (size_t i = 0; i < n; i++) {
        attrs[i].name = names[i];
        attrs[i].name_len = strlen(names[i]);
        attrs[i].value = values[i];
        attrs[i].value_len = strlen(values[i]);
    }
    wampe2e_envelope *env = NULL;
    EXPECT(wampe2e_envelope_new(attrs, n, payload, len, &env), WAMPE2E_OK);
    return env;
}

static const char *ENC_NAMES[] = {"enc_algo", "enc_serializer"};
static const char *ENC_VALUES[] = {"cryptobox", "json"};

/* Two keyrings: publisher (originator) and subscriber (responder). */
static void make_rings(wampe2e_keyring **pub, wampe2e_keyring **sub) {
    char o_sec[WAMPE2E_KEY_BASE64_SIZE], o_pub[WAMPE2E_KEY_BASE64_SIZE];
    char r_sec[WAMPE2E_KEY_BASE64_SIZE], r_pub[WAMPE2E_KEY_BASE64_SIZE];
    EXPECT(wampe2e_generate_keypair(o_sec, o_pub), WAMPE2E_OK);
    EXPECT(wampe2e_generate_keypair(r_sec, r_pub), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_new(pub), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_new(sub), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_box_key(*pub, S("com.example."), S(o_sec), NULL, 0, NULL, 0, S(r_pub)), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_box_key(*sub, S("com.example."), NULL, 0, S(o_pub), S(r_sec), NULL, 0), WAMPE2E_OK);
}

/* ---- tests ---- */

/* The last result code the library knows: the one before the first that
 * wampe2e_result_message calls unknown. Derived, not taken from the header, so a
 * code added to the core is checked below before this test is changed. */
static unsigned last_code(void) {
    unsigned c = 1;
    while (c < MAX_CODES && strcmp(wampe2e_result_message(c), "unknown result code") != 0) c++;
    return c - 1;
}

static void test_version_and_messages(void) {
    CHECK(strcmp(wampe2e_version(), WAMPE2E_VERSION) == 0);
    CHECK(strcmp(wampe2e_result_message(WAMPE2E_OK), "ok") == 0);
    unsigned last = last_code();
    CHECK(last < MAX_CODES - 1);
    /* The header's codes are all known to the library, and the library's codes are dense. */
    CHECK(last >= WAMPE2E_ERR_WRONG_KIND);
    for (unsigned c = 1; c <= last; c++) {
        const char *m = wampe2e_result_message(c);
        CHECK(m != NULL && strlen(m) > 0);
    }
    CHECK(strcmp(wampe2e_result_message(last + 1), "unknown result code") == 0);
    CHECK(strcmp(wampe2e_result_message(9999), "unknown result code") == 0);
    CHECK(strcmp(wampe2e_result_message(0xffffffffu), "unknown result code") == 0);
}

static void test_round_trip_cryptobox(void) {
    wampe2e_keyring *pub, *sub;
    make_rings(&pub, &sub);
    const char *args = "[42,\"hello world\",{\"temp\":21.5,\"ok\":true},\"\\u0000AAH/\"]";
    const char *kwargs = "{\"sensor\":\"s-17\"}";
    wampe2e_envelope *env = NULL;
    EXPECT(wampe2e_seal_payload(pub, WAMPE2E_ROLE_ORIGINATOR, S(URI), S(args), S(kwargs),
                                WAMPE2E_DIALECT_CRYPTOBOX, WAMPE2E_SERIALIZER_JSON,
                                WAMPE2E_CIPHER_XSALSA20POLY1305, &env),
           WAMPE2E_OK);

    size_t count = 0;
    EXPECT(wampe2e_envelope_attribute_count(env, &count), WAMPE2E_OK);
    CHECK(count == 2);
    const char *name, *value;
    size_t nl, vl;
    EXPECT(wampe2e_envelope_attribute(env, 0, &name, &nl, &value, &vl), WAMPE2E_OK);
    CHECK(nl == 8 && memcmp(name, "enc_algo", nl) == 0 && vl == 9 && memcmp(value, "cryptobox", vl) == 0);
    EXPECT(wampe2e_envelope_attribute(env, 1, &name, &nl, &value, &vl), WAMPE2E_OK);
    CHECK(nl == 14 && memcmp(name, "enc_serializer", nl) == 0 && vl == 4 && memcmp(value, "json", vl) == 0);
    EXPECT(wampe2e_envelope_attribute(env, 2, &name, &nl, &value, &vl), WAMPE2E_ERR_INVALID_ARGUMENT);

    const uint8_t *payload;
    size_t len;
    bool in_list = true;
    EXPECT(wampe2e_envelope_payload(env, &payload, &len, &in_list), WAMPE2E_OK);
    CHECK(!in_list);
    CHECK(len > 40);
    CHECK(memmem(payload, len, "hello", 5) == NULL);

    /* The receiver rebuilds the envelope from the message, as a WAMP library would. */
    wampe2e_envelope *received = envelope_of(ENC_NAMES, ENC_VALUES, 2, payload, len);
    wampe2e_buf a = {0}, k = {0};
    EXPECT(wampe2e_open_payload(sub, WAMPE2E_ROLE_RESPONDER, S(URI), received, &a, &k), WAMPE2E_OK);
    CHECK(a.len == strlen(args) && memcmp(a.ptr, args, a.len) == 0);
    CHECK(k.len == strlen(kwargs) && memcmp(k.ptr, kwargs, k.len) == 0);
    wampe2e_buf_free(&a);
    wampe2e_buf_free(&k);
    CHECK(a.ptr == NULL && a.len == 0);
    wampe2e_buf_free(&a); /* freeing twice through the same struct is a no-op */
    wampe2e_buf_free(NULL);

    /* Replay on another URI, wrong role, wrong key. */
    EXPECT(wampe2e_open_payload(sub, WAMPE2E_ROLE_RESPONDER, S("com.example.other"), received, &a, &k),
           WAMPE2E_ERR_URI_MISMATCH);
    CHECK(a.ptr == NULL); /* out-params untouched on failure */
    EXPECT(wampe2e_open_payload(sub, WAMPE2E_ROLE_ORIGINATOR, S(URI), received, &a, &k),
           WAMPE2E_ERR_KEY_INCOMPLETE);
    wampe2e_keyring *stranger, *stranger2;
    make_rings(&stranger, &stranger2);
    EXPECT(wampe2e_open_payload(stranger2, WAMPE2E_ROLE_RESPONDER, S(URI), received, &a, &k),
           WAMPE2E_ERR_DECRYPTION_FAILED);

    /* Tampered and truncated ciphertexts. */
    unsigned char *bad = malloc(len);
    memcpy(bad, payload, len);
    bad[len - 1] ^= 1;
    wampe2e_envelope *tampered = envelope_of(ENC_NAMES, ENC_VALUES, 2, bad, len);
    EXPECT(wampe2e_open_payload(sub, WAMPE2E_ROLE_RESPONDER, S(URI), tampered, &a, &k),
           WAMPE2E_ERR_DECRYPTION_FAILED);
    wampe2e_envelope *truncated = envelope_of(ENC_NAMES, ENC_VALUES, 2, bad, 39);
    EXPECT(wampe2e_open_payload(sub, WAMPE2E_ROLE_RESPONDER, S(URI), truncated, &a, &k),
           WAMPE2E_ERR_TRUNCATED_CIPHERTEXT);
    free(bad);

    /* The detail message names the problem and never the key. */
    char msg[256];
    size_t n = 0;
    EXPECT(wampe2e_keyring_set_box_key(pub, S("x"), S("bad key!"), NULL, 0, NULL, 0, NULL, 0),
           WAMPE2E_ERR_INVALID_KEY);
    EXPECT(wampe2e_last_error_message(msg, sizeof msg, &n), WAMPE2E_OK);
    CHECK(n == strlen(msg) && strstr(msg, "originator_priv") != NULL && strstr(msg, "bad key!") == NULL);
    EXPECT(wampe2e_last_error_message(msg, 5, &n), WAMPE2E_OK);
    CHECK(n == 4 && strlen(msg) == 4);
    EXPECT(wampe2e_last_error_message(msg, 0, &n), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_last_error_message(NULL, 10, &n), WAMPE2E_ERR_NULL_ARGUMENT);

    wampe2e_envelope_free(env);
    wampe2e_envelope_free(received);
    wampe2e_envelope_free(tampered);
    wampe2e_envelope_free(truncated);
    wampe2e_envelope_free(NULL);
    wampe2e_keyring_free(pub);
    wampe2e_keyring_free(sub);
    wampe2e_keyring_free(stranger);
    wampe2e_keyring_free(stranger2);
    wampe2e_keyring_free(NULL);
}

static void test_ppt_data_keys(void) {
    char key[WAMPE2E_KEY_BASE64_SIZE];
    EXPECT(wampe2e_generate_data_key(key), WAMPE2E_OK);
    wampe2e_keyring *ring;
    EXPECT(wampe2e_keyring_new(&ring), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_data_key(ring, S("com."), S("team-1"), S(key)), WAMPE2E_OK);
    wampe2e_keyring *by_id;
    EXPECT(wampe2e_keyring_new(&by_id), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_data_key(by_id, NULL, 0, S("team-1"), S(key)), WAMPE2E_OK);

    const uint32_t serializers[] = {WAMPE2E_SERIALIZER_JSON, WAMPE2E_SERIALIZER_CBOR, WAMPE2E_SERIALIZER_MSGPACK};
    const uint32_t ciphers[] = {WAMPE2E_CIPHER_XSALSA20POLY1305, WAMPE2E_CIPHER_AES256GCM};
    for (int s = 0; s < 3; s++) {
        for (int c = 0; c < 2; c++) {
            wampe2e_envelope *env = NULL;
            EXPECT(wampe2e_seal_payload(ring, WAMPE2E_ROLE_ORIGINATOR, S("com.add"), S("[2,3]"), NULL, 0,
                                        WAMPE2E_DIALECT_PPT, serializers[s], ciphers[c], &env),
                   WAMPE2E_OK);
            const uint8_t *p;
            size_t len;
            bool in_list = false;
            EXPECT(wampe2e_envelope_payload(env, &p, &len, &in_list), WAMPE2E_OK);
            CHECK(in_list);
            size_t count = 0;
            EXPECT(wampe2e_envelope_attribute_count(env, &count), WAMPE2E_OK);
            CHECK(count == 4);
            const char *name, *value;
            size_t nl, vl;
            EXPECT(wampe2e_envelope_attribute(env, 3, &name, &nl, &value, &vl), WAMPE2E_OK);
            CHECK(nl == 9 && memcmp(name, "ppt_keyid", nl) == 0 && vl == 6 && memcmp(value, "team-1", vl) == 0);
            wampe2e_buf a = {0}, k = {0};
            EXPECT(wampe2e_open_payload(by_id, WAMPE2E_ROLE_RESPONDER, S("com.add"), env, &a, &k), WAMPE2E_OK);
            CHECK(a.len == 5 && memcmp(a.ptr, "[2,3]", 5) == 0);
            CHECK(k.len == 4 && memcmp(k.ptr, "null", 4) == 0);
            wampe2e_buf_free(&a);
            wampe2e_buf_free(&k);
            wampe2e_envelope_free(env);
        }
    }
    bool removed = false;
    EXPECT(wampe2e_keyring_remove(ring, S("com."), &removed), WAMPE2E_OK);
    CHECK(removed);
    EXPECT(wampe2e_keyring_remove(ring, S("com."), &removed), WAMPE2E_OK);
    CHECK(!removed);
    wampe2e_envelope *env = NULL;
    EXPECT(wampe2e_seal_payload(ring, WAMPE2E_ROLE_ORIGINATOR, S("com.add"), NULL, 0, NULL, 0,
                                WAMPE2E_DIALECT_PPT, 1, 0, &env),
           WAMPE2E_ERR_KEY_NOT_FOUND);
    CHECK(env == NULL);
    wampe2e_keyring_free(ring);
    wampe2e_keyring_free(by_id);
}

static void test_raw_bytes_and_plaintext_errors(void) {
    char key[WAMPE2E_KEY_BASE64_SIZE];
    EXPECT(wampe2e_generate_data_key(key), WAMPE2E_OK);
    wampe2e_keyring *ring;
    EXPECT(wampe2e_keyring_new(&ring), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_data_key(ring, S(""), S("k"), S(key)), WAMPE2E_OK);

    struct {
        const char *plain;
        uint32_t serializer;
        wampe2e_result expected;
    } cases[] = {
        {"{\"uri\":\"u\",\"args\":[1]}", WAMPE2E_SERIALIZER_JSON, WAMPE2E_OK},
        {"[1]", WAMPE2E_SERIALIZER_JSON, WAMPE2E_ERR_INVALID_PAYLOAD},
        {"{\"args\":[1]}", WAMPE2E_SERIALIZER_JSON, WAMPE2E_ERR_MISSING_URI},
        {"{\"uri\":", WAMPE2E_SERIALIZER_JSON, WAMPE2E_ERR_INVALID_JSON},
        {"{\"uri\":\"\xff\"}", WAMPE2E_SERIALIZER_JSON, WAMPE2E_ERR_INVALID_UTF8},
        {"{\"uri\":\"u\",\"args\":[\"\\u0000!!\"]}", WAMPE2E_SERIALIZER_JSON, WAMPE2E_ERR_INVALID_BASE64},
        {"{\"uri\":\"u\",\"uri\":\"u\"}", WAMPE2E_SERIALIZER_JSON, WAMPE2E_ERR_INVALID_PAYLOAD},
        {"\xff\xff", WAMPE2E_SERIALIZER_CBOR, WAMPE2E_ERR_INVALID_CBOR},
        {"\xc1", WAMPE2E_SERIALIZER_MSGPACK, WAMPE2E_ERR_INVALID_MSGPACK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wampe2e_envelope *env = NULL;
        EXPECT(wampe2e_seal_bytes(ring, WAMPE2E_ROLE_ORIGINATOR, S("u"), (const uint8_t *)cases[i].plain,
                                  strlen(cases[i].plain), WAMPE2E_DIALECT_PPT, cases[i].serializer, 0, &env),
               WAMPE2E_OK);
        wampe2e_buf raw = {0};
        EXPECT(wampe2e_open_bytes(ring, WAMPE2E_ROLE_RESPONDER, S("u"), env, &raw), WAMPE2E_OK);
        CHECK(raw.len == strlen(cases[i].plain) && memcmp(raw.ptr, cases[i].plain, raw.len) == 0);
        wampe2e_buf_free(&raw);
        wampe2e_buf a = {0}, k = {0};
        EXPECT(wampe2e_open_payload(ring, WAMPE2E_ROLE_RESPONDER, S("u"), env, &a, &k), cases[i].expected);
        wampe2e_buf_free(&a);
        wampe2e_buf_free(&k);
        wampe2e_envelope_free(env);
    }

    /* Values that cannot be sealed, bad arguments, bad JSON in. */
    wampe2e_envelope *env = NULL;
    char deep[300];
    memset(deep, '[', 120);
    memset(deep + 120, ']', 120);
    deep[240] = 0;
    EXPECT(wampe2e_seal_payload(ring, 0, S("u"), S(deep), NULL, 0, 1, 1, 0, &env), WAMPE2E_ERR_UNSUPPORTED_VALUE);
    EXPECT(wampe2e_seal_payload(ring, 0, S("u"), S("[1,"), NULL, 0, 1, 1, 0, &env), WAMPE2E_ERR_INVALID_JSON);
    EXPECT(wampe2e_seal_payload(ring, 0, S("u"), S("{}"), NULL, 0, 1, 1, 0, &env), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_seal_payload(ring, 7, S("u"), NULL, 0, NULL, 0, 1, 1, 0, &env), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_seal_payload(ring, 0, S("u"), NULL, 0, NULL, 0, 9, 1, 0, &env), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_seal_payload(ring, 0, S("u"), NULL, 0, NULL, 0, 0, 1, 0, &env), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_seal_payload(ring, 0, S("u"), NULL, 0, NULL, 0, 0, 0, 0, &env), WAMPE2E_ERR_WRONG_KEY_KIND);
    EXPECT(wampe2e_seal_payload(ring, 0, "\xff\xfe", 2, NULL, 0, NULL, 0, 1, 1, 0, &env), WAMPE2E_ERR_INVALID_UTF8);
    CHECK(env == NULL);

    /* Over the 64 MiB limit. */
    size_t big = (size_t)64 * 1024 * 1024 + 1;
    uint8_t *huge = calloc(big, 1);
    EXPECT(wampe2e_seal_bytes(ring, 0, S("u"), huge, big, 1, 1, 0, &env), WAMPE2E_ERR_PAYLOAD_TOO_LARGE);
    free(huge);
    wampe2e_keyring_free(ring);
}

static void test_envelope_attribute_errors(void) {
    unsigned char payload[48] = {0};
    wampe2e_envelope *env = NULL;
    struct {
        const char *names[4];
        const char *values[4];
        size_t n;
        wampe2e_result expected;
    } cases[] = {
        {{"enc_algo"}, {"rot13"}, 1, WAMPE2E_ERR_UNKNOWN_SCHEME},
        {{"enc_algo", "enc_serializer"}, {"cryptobox", "cbor"}, 2, WAMPE2E_ERR_UNKNOWN_SERIALIZER},
        {{"ppt_scheme", "ppt_serializer", "ppt_cipher"}, {"wamp", "cbor", "des"}, 3, WAMPE2E_ERR_UNKNOWN_CIPHER},
        {{"ppt_scheme", "ppt_serializer"}, {"wamp", "cbor"}, 2, WAMPE2E_ERR_INVALID_ENVELOPE},
        {{"x_other"}, {"1"}, 1, WAMPE2E_ERR_INVALID_ENVELOPE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wampe2e_attribute attrs[4];
        for (size_t j = 0; j < cases[i].n; j++) {
            attrs[j].name = cases[i].names[j];
            attrs[j].name_len = strlen(cases[i].names[j]);
            attrs[j].value = cases[i].values[j];
            attrs[j].value_len = strlen(cases[i].values[j]);
        }
        EXPECT(wampe2e_envelope_new(attrs, cases[i].n, payload, sizeof payload, &env), cases[i].expected);
        CHECK(env == NULL);
    }
    wampe2e_attribute bad = {"enc_algo", 8, "\xff", 1};
    EXPECT(wampe2e_envelope_new(&bad, 1, payload, sizeof payload, &env), WAMPE2E_ERR_INVALID_UTF8);
    EXPECT(wampe2e_envelope_new(NULL, 2, payload, sizeof payload, &env), WAMPE2E_ERR_NULL_ARGUMENT);
}

static void test_null_arguments(void) {
    wampe2e_keyring *ring;
    EXPECT(wampe2e_keyring_new(&ring), WAMPE2E_OK);
    wampe2e_envelope *env = NULL;
    wampe2e_buf a = {0}, k = {0};
    char out[64];
    size_t n;
    EXPECT(wampe2e_keyring_new(NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_keyring_set_box_key(NULL, S(""), NULL, 0, NULL, 0, NULL, 0, NULL, 0), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_keyring_set_box_key(ring, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_keyring_set_box_key(ring, S(""), NULL, 0, NULL, 0, NULL, 0, NULL, 0), WAMPE2E_ERR_KEY_INCOMPLETE);
    EXPECT(wampe2e_keyring_set_shared_key(ring, S(""), NULL, 0), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_keyring_set_data_key(ring, NULL, 0, NULL, 0, S("x")), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_keyring_set_data_key(ring, NULL, 0, S("id"), S("AAAA")), WAMPE2E_ERR_INVALID_KEY);
    EXPECT(wampe2e_keyring_remove(NULL, S("x"), NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_seal_payload(ring, 0, S("u"), NULL, 0, NULL, 0, 0, 0, 0, NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_seal_payload(ring, 0, NULL, 0, NULL, 0, NULL, 0, 0, 0, 0, &env), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_seal_bytes(ring, 0, S("u"), NULL, 0, 0, 0, 0, &env), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_open_payload(ring, 0, S("u"), NULL, &a, &k), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_open_bytes(ring, 0, S("u"), NULL, &a), WAMPE2E_ERR_NULL_ARGUMENT);
    /* Each NULL out-parameter on its own, with everything else valid: an envelope
     * that opens, so only the NULL can be what is refused. */
    char key[WAMPE2E_KEY_BASE64_SIZE];
    EXPECT(wampe2e_generate_data_key(key), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_data_key(ring, S(""), S("k"), S(key)), WAMPE2E_OK);
    EXPECT(wampe2e_seal_payload(ring, 0, S("u"), S("[1]"), NULL, 0, 1, 0, 0, &env), WAMPE2E_OK);
    EXPECT(wampe2e_open_payload(ring, 1, S("u"), env, &a, &k), WAMPE2E_OK);
    wampe2e_buf_free(&a);
    wampe2e_buf_free(&k);
    EXPECT(wampe2e_open_payload(ring, 1, S("u"), env, NULL, &k), WAMPE2E_ERR_NULL_ARGUMENT);
    CHECK(k.ptr == NULL && k.len == 0);
    EXPECT(wampe2e_open_payload(ring, 1, S("u"), env, &a, NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    CHECK(a.ptr == NULL && a.len == 0);
    EXPECT(wampe2e_open_payload(ring, 1, NULL, 0, env, &a, &k), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_open_payload(NULL, 1, S("u"), env, &a, &k), WAMPE2E_ERR_NULL_ARGUMENT);
    CHECK(a.ptr == NULL && k.ptr == NULL);
    wampe2e_buf raw = {0};
    EXPECT(wampe2e_open_bytes(ring, 1, S("u"), env, &raw), WAMPE2E_OK);
    wampe2e_buf_free(&raw);
    EXPECT(wampe2e_open_bytes(ring, 1, S("u"), env, NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_open_bytes(ring, 1, NULL, 0, env, &raw), WAMPE2E_ERR_NULL_ARGUMENT);
    CHECK(raw.ptr == NULL);
    const uint8_t *p = NULL;
    size_t len = 0;
    bool in_list = false;
    EXPECT(wampe2e_envelope_payload(env, NULL, &len, &in_list), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_envelope_payload(env, &p, NULL, &in_list), WAMPE2E_ERR_NULL_ARGUMENT);
    CHECK(p == NULL);
    EXPECT(wampe2e_envelope_attribute_count(env, NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    wampe2e_envelope *again = NULL;
    EXPECT(wampe2e_seal_bytes(ring, 0, S("u"), (const uint8_t *)"x", 1, 1, 0, 0, NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_seal_payload(NULL, 0, S("u"), NULL, 0, NULL, 0, 1, 0, 0, &again), WAMPE2E_ERR_NULL_ARGUMENT);
    CHECK(again == NULL);
    wampe2e_envelope_free(env);
    env = NULL;
    EXPECT(wampe2e_envelope_payload(NULL, NULL, NULL, NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_envelope_attribute_count(NULL, &n), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_envelope_attribute(NULL, 0, NULL, NULL, NULL, NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_envelope_new(NULL, 0, NULL, 0, &env), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_generate_keypair(NULL, out), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_generate_data_key(NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_ed25519_to_x25519(NULL, 0, out, out), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_key_id(S("AAAA"), NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    wampe2e_keyring_free(ring);
}

static void test_keys(void) {
    /* Vectors from tests/vectors/crypto_box_kat.json (libsodium). */
    char sec[WAMPE2E_KEY_BASE64_SIZE], pub[WAMPE2E_KEY_BASE64_SIZE], id[WAMPE2E_KEY_ID_SIZE];
    const char *kat = read_file("crypto_box_kat.json");
    CHECK(kat != NULL);
    if (!kat) return;
    const char *pos = strstr(kat, "ed25519_to_x25519");
    char seed[80], x_pub_hex[80];
    CHECK(json_field(&pos, "ed25519_seed_hex", seed, sizeof seed));
    CHECK(json_field(&pos, "x25519_public_hex", x_pub_hex, sizeof x_pub_hex));
    EXPECT(wampe2e_ed25519_to_x25519(S(seed), sec, pub), WAMPE2E_OK);
    unsigned char raw[40];
    CHECK(b64decode(pub, strlen(pub), raw) == 32);
    char hex[65];
    for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", raw[i]);
    CHECK(strcmp(hex, x_pub_hex) == 0);
    free((void *)kat);

    EXPECT(wampe2e_key_id(S(pub), id), WAMPE2E_OK);
    CHECK(strlen(id) == 42 && id[0] == '0' && id[1] == 'x');
    char id_hex[WAMPE2E_KEY_ID_SIZE];
    EXPECT(wampe2e_key_id(S(hex), id_hex), WAMPE2E_OK);
    CHECK(strcmp(id, id_hex) == 0);
    EXPECT(wampe2e_key_id(S("not a key"), id), WAMPE2E_ERR_INVALID_KEY);
    EXPECT(wampe2e_ed25519_to_x25519(S("short"), sec, pub), WAMPE2E_ERR_INVALID_KEY);
}

/* ---- keys as raw bytes or text; messages never carry them ---- */

/* Whether the last error message holds any form of `secret` (hex either case,
 * base64, or its first 8 raw bytes). */
static int message_shows(const unsigned char *secret, const char *hex, const char *b64) {
    char msg[1024];
    size_t n = 0;
    if (wampe2e_last_error_message(msg, sizeof msg, &n) != WAMPE2E_OK) return 1;
    char upper[65];
    for (int i = 0; i < 64; i++) upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
    upper[64] = 0;
    char hex_head[17], b64_head[17];
    memcpy(hex_head, hex, 16), hex_head[16] = 0;
    memcpy(b64_head, b64, 16), b64_head[16] = 0;
    return strstr(msg, hex_head) || strstr(msg, upper + 8) || strstr(msg, b64_head) ||
           memmem(msg, strlen(msg), secret, 8) != NULL;
}

/* One key-taking call with the key `k` (`len` bytes) in the tested position. */
typedef wampe2e_result (*key_call)(const wampe2e_keyring *ring, const char *k, size_t len);

static char other_pub[WAMPE2E_KEY_BASE64_SIZE], other_sec[WAMPE2E_KEY_BASE64_SIZE];
static wampe2e_result call_op(const wampe2e_keyring *r, const char *k, size_t n) {
    return wampe2e_keyring_set_box_key(r, S("a."), k, n, NULL, 0, NULL, 0, S(other_pub));
}
static wampe2e_result call_opub(const wampe2e_keyring *r, const char *k, size_t n) {
    return wampe2e_keyring_set_box_key(r, S("a."), NULL, 0, k, n, S(other_sec), NULL, 0);
}
static wampe2e_result call_rp(const wampe2e_keyring *r, const char *k, size_t n) {
    return wampe2e_keyring_set_box_key(r, S("a."), NULL, 0, S(other_pub), k, n, NULL, 0);
}
static wampe2e_result call_rpub(const wampe2e_keyring *r, const char *k, size_t n) {
    return wampe2e_keyring_set_box_key(r, S("a."), S(other_sec), NULL, 0, NULL, 0, k, n);
}
static wampe2e_result call_shared(const wampe2e_keyring *r, const char *k, size_t n) {
    return wampe2e_keyring_set_shared_key(r, S("a."), k, n);
}
static wampe2e_result call_data(const wampe2e_keyring *r, const char *k, size_t n) {
    return wampe2e_keyring_set_data_key(r, S("a."), S("id"), k, n);
}
static wampe2e_result call_key_id(const wampe2e_keyring *r, const char *k, size_t n) {
    (void)r;
    char id[WAMPE2E_KEY_ID_SIZE];
    return wampe2e_key_id(k, n, id);
}
static wampe2e_result call_ed25519(const wampe2e_keyring *r, const char *k, size_t n) {
    (void)r;
    char sec[WAMPE2E_KEY_BASE64_SIZE], pub[WAMPE2E_KEY_BASE64_SIZE];
    return wampe2e_ed25519_to_x25519(k, n, sec, pub);
}

static void test_key_shapes_and_messages(void) {
    wampe2e_keyring *ring = NULL;
    EXPECT(wampe2e_keyring_new(&ring), WAMPE2E_OK);
    EXPECT(wampe2e_generate_keypair(other_sec, other_pub), WAMPE2E_OK);
    char b64[WAMPE2E_KEY_BASE64_SIZE], pub[WAMPE2E_KEY_BASE64_SIZE];
    EXPECT(wampe2e_generate_keypair(b64, pub), WAMPE2E_OK);
    unsigned char secret[40];
    CHECK(b64decode(b64, strlen(b64), secret) == 32);
    char hex[65];
    for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", secret[i]);

    /* The same key as 32 raw bytes, base64 and hex. */
    char id_raw[WAMPE2E_KEY_ID_SIZE], id_b64[WAMPE2E_KEY_ID_SIZE], id_hex[WAMPE2E_KEY_ID_SIZE];
    EXPECT(wampe2e_key_id((const char *)secret, 32, id_raw), WAMPE2E_OK);
    EXPECT(wampe2e_key_id(S(b64), id_b64), WAMPE2E_OK);
    EXPECT(wampe2e_key_id(S(hex), id_hex), WAMPE2E_OK);
    CHECK(strcmp(id_raw, id_b64) == 0 && strcmp(id_raw, id_hex) == 0);
    char s1[WAMPE2E_KEY_BASE64_SIZE], p1[WAMPE2E_KEY_BASE64_SIZE], s2[WAMPE2E_KEY_BASE64_SIZE], p2[WAMPE2E_KEY_BASE64_SIZE];
    EXPECT(wampe2e_ed25519_to_x25519((const char *)secret, 32, s1, p1), WAMPE2E_OK);
    EXPECT(wampe2e_ed25519_to_x25519(S(hex), s2, p2), WAMPE2E_OK);
    CHECK(strcmp(p1, p2) == 0);
    /* A raw shared key seals what its base64 form opens. */
    wampe2e_keyring *raw_ring = NULL, *b64_ring = NULL;
    EXPECT(wampe2e_keyring_new(&raw_ring), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_new(&b64_ring), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_shared_key(raw_ring, S(""), (const char *)secret, 32), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_shared_key(b64_ring, S(""), S(b64)), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_data_key(raw_ring, S("ppt."), S("k1"), (const char *)secret, 32), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_box_key(raw_ring, S("box."), (const char *)secret, 32, NULL, 0, NULL, 0, S(other_pub)), WAMPE2E_OK);
    wampe2e_envelope *env = NULL;
    EXPECT(wampe2e_seal_bytes(raw_ring, WAMPE2E_ROLE_ORIGINATOR, S(URI), (const uint8_t *)"hi", 2,
                              WAMPE2E_DIALECT_CRYPTOBOX, WAMPE2E_SERIALIZER_JSON, WAMPE2E_CIPHER_XSALSA20POLY1305, &env),
           WAMPE2E_OK);
    wampe2e_buf plain = {0};
    EXPECT(wampe2e_open_bytes(b64_ring, WAMPE2E_ROLE_RESPONDER, S(URI), env, &plain), WAMPE2E_OK);
    CHECK(plain.len == 2 && memcmp(plain.ptr, "hi", 2) == 0);
    wampe2e_buf_free(&plain);
    wampe2e_envelope_free(env);
    wampe2e_keyring_free(raw_ring);
    wampe2e_keyring_free(b64_ring);

    /* Every wrong shape of the key, to every key-taking function: INVALID_KEY,
     * and the message never shows the key. */
    unsigned char longer[64], high[44];
    memcpy(longer, secret, 32), memcpy(longer + 32, secret, 32);
    for (int i = 0; i < 44; i++) high[i] = (unsigned char)(0x80 | secret[i % 32]);
    char hex_more[70], hex_less[64], hex_bad[65], b64_more[50], b64_bad[45];
    snprintf(hex_more, sizeof hex_more, "%s0", hex);
    memcpy(hex_less, hex + 1, 63), hex_less[63] = 0;
    memcpy(hex_bad, hex, 64), hex_bad[63] = '\xff', hex_bad[64] = 0;
    snprintf(b64_more, sizeof b64_more, "%sA", b64);
    memcpy(b64_bad, b64, 44), b64_bad[41] = '!', b64_bad[42] = '!', b64_bad[44] = 0;
    struct { const char *k; size_t n; } shapes[] = {
        {(const char *)secret, 31}, {(const char *)longer, 33}, {(const char *)longer, 64},
        {(const char *)high, 44}, {S(hex_more)}, {S(hex_less)}, {hex_bad, 64}, {S(b64_more)}, {S(b64_bad)},
    };
    key_call calls[] = {call_op, call_opub, call_rp, call_rpub, call_shared, call_data, call_key_id, call_ed25519};
    int shown = 0, refused = 0;
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            refused += calls[c](ring, shapes[s].k, shapes[s].n) == WAMPE2E_ERR_INVALID_KEY;
            if (message_shows(secret, hex, b64)) {
                shown++;
                fprintf(stderr, "FAIL: call %zu shape %zu shows the key\n", c, s);
            }
        }
    }
    CHECK(refused == 8 * 9);
    CHECK(shown == 0);
    wampe2e_keyring_free(ring);
}

/* ---- the inbound decision ---- */

/* wampe2e_inbound_decide; on WAMPE2E_OK checks the delivery and the URI, and frees it.
 * On failure checks that the out-parameters were not touched. */
static void decide(const wampe2e_keyring *ring, uint32_t kind, const char *local, uint32_t policy,
                   const char *router, bool sealed, bool request_sealed, bool strict, wampe2e_result expected,
                   uint32_t want_delivery, const char *want_uri) {
    wampe2e_delivery delivery = (wampe2e_delivery)99;
    wampe2e_buf uri = {0};
    EXPECT(wampe2e_inbound_decide(ring, kind, S(local), policy, router, router ? strlen(router) : 0, sealed,
                                  request_sealed, strict, &delivery, &uri),
           expected);
    if (expected == WAMPE2E_OK) {
        CHECK(delivery == want_delivery);
        CHECK(uri.ptr != NULL && uri.len == strlen(want_uri) && memcmp(uri.ptr, want_uri, uri.len) == 0);
    } else {
        CHECK(delivery == 99 && uri.ptr == NULL && uri.len == 0);
    }
    wampe2e_buf_free(&uri);
}

static const uint32_t KINDS[] = {WAMPE2E_MESSAGE_KIND_EVENT, WAMPE2E_MESSAGE_KIND_INVOCATION,
                                 WAMPE2E_MESSAGE_KIND_RESULT, WAMPE2E_MESSAGE_KIND_ERROR};

static void test_inbound_decide(void) {
    char key[WAMPE2E_KEY_BASE64_SIZE];
    EXPECT(wampe2e_generate_data_key(key), WAMPE2E_OK);
    wampe2e_keyring *ring;
    EXPECT(wampe2e_keyring_new(&ring), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_shared_key(ring, S("com.secret."), S(key)), WAMPE2E_OK);
    const uint32_t OPEN = WAMPE2E_DELIVERY_OPEN, PLAIN = WAMPE2E_DELIVERY_PLAIN, EXACT = WAMPE2E_MATCH_EXACT;

    /* Strict: every kind must arrive sealed on a keyed URI; not strict delivers it; unkeyed URIs pass. */
    for (int i = 0; i < 4; i++) {
        decide(ring, KINDS[i], "com.secret.x", EXACT, NULL, true, false, true, WAMPE2E_OK, OPEN, "com.secret.x");
        decide(ring, KINDS[i], "com.secret.x", EXACT, NULL, false, false, true, WAMPE2E_ERR_UNEXPECTED_PLAINTEXT, 0, NULL);
        decide(ring, KINDS[i], "com.secret.x", EXACT, NULL, false, false, false, WAMPE2E_OK, PLAIN, "com.secret.x");
        decide(ring, KINDS[i], "org.public.x", EXACT, NULL, false, false, true, WAMPE2E_OK, PLAIN, "org.public.x");
    }

    /* Answers to an encrypted CALL must be encrypted, except the router's own wamp.error.* errors. */
    decide(ring, WAMPE2E_MESSAGE_KIND_RESULT, "org.public.proc", EXACT, NULL, false, true, true,
           WAMPE2E_ERR_UNEXPECTED_PLAINTEXT, 0, NULL);
    decide(ring, WAMPE2E_MESSAGE_KIND_RESULT, "org.public.proc", EXACT, NULL, false, true, false, WAMPE2E_OK, PLAIN,
           "org.public.proc");
    decide(ring, WAMPE2E_MESSAGE_KIND_ERROR, "com.app.error.forged", EXACT, NULL, false, true, true,
           WAMPE2E_ERR_UNEXPECTED_PLAINTEXT, 0, NULL);
    decide(ring, WAMPE2E_MESSAGE_KIND_ERROR, "wamp.error.no_such_procedure", EXACT, NULL, false, true, true,
           WAMPE2E_OK, PLAIN, "wamp.error.no_such_procedure");
    decide(ring, WAMPE2E_MESSAGE_KIND_ERROR, "com.app.error.plain", EXACT, NULL, false, false, true, WAMPE2E_OK,
           PLAIN, "com.app.error.plain");

    /* Exact: the local URI; the router's, if sent, must be the same. */
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "com.secret.b", EXACT, "com.secret.b", true, false, true, WAMPE2E_OK,
           OPEN, "com.secret.b");
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "com.secret.b", EXACT, "com.secret.a", true, false, true,
           WAMPE2E_ERR_PATTERN_MISMATCH, 0, NULL);
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "com.secret.b", EXACT, "com.secret.a", false, false, false,
           WAMPE2E_ERR_PATTERN_MISMATCH, 0, NULL);
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "com.secret.b", EXACT, "", true, false, true,
           WAMPE2E_ERR_PATTERN_MISMATCH, 0, NULL);

    /* Prefix and wildcard: the router's URI, only if the local pattern covers it. */
    decide(ring, WAMPE2E_MESSAGE_KIND_INVOCATION, "com.secret.", WAMPE2E_MATCH_PREFIX, "com.secret.deep.proc", true,
           false, true, WAMPE2E_OK, OPEN, "com.secret.deep.proc");
    decide(ring, WAMPE2E_MESSAGE_KIND_INVOCATION, "com.secret.", WAMPE2E_MATCH_PREFIX, "com.other.proc", true, false,
           true, WAMPE2E_ERR_PATTERN_MISMATCH, 0, NULL);
    decide(ring, WAMPE2E_MESSAGE_KIND_INVOCATION, "com.secret.", WAMPE2E_MATCH_PREFIX, NULL, true, false, true,
           WAMPE2E_ERR_PATTERN_MISMATCH, 0, NULL);
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "com.", WAMPE2E_MATCH_PREFIX, "com.secret.e", false, false, true,
           WAMPE2E_ERR_UNEXPECTED_PLAINTEXT, 0, NULL);
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "com.", WAMPE2E_MATCH_PREFIX, "com.public.e", false, false, true,
           WAMPE2E_OK, PLAIN, "com.public.e");
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "com..event", WAMPE2E_MATCH_WILDCARD, "com.secret.event", true, false,
           true, WAMPE2E_OK, OPEN, "com.secret.event");
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "com..event", WAMPE2E_MATCH_WILDCARD, "com.secret.x.event", true, false,
           true, WAMPE2E_ERR_PATTERN_MISMATCH, 0, NULL);
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "com..event", WAMPE2E_MATCH_WILDCARD, NULL, true, false, true,
           WAMPE2E_ERR_PATTERN_MISMATCH, 0, NULL);

    /* Bad arguments: out-of-range enums, NULLs, invalid UTF-8. */
    decide(ring, 4, "com.secret.x", EXACT, NULL, true, false, true, WAMPE2E_ERR_INVALID_ARGUMENT, 0, NULL);
    decide(ring, 0xffffffffu, "com.secret.x", EXACT, NULL, true, false, true, WAMPE2E_ERR_INVALID_ARGUMENT, 0, NULL);
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "com.secret.x", 3, NULL, true, false, true, WAMPE2E_ERR_INVALID_ARGUMENT,
           0, NULL);
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "com.secret.x", EXACT, "\xff", true, false, true,
           WAMPE2E_ERR_INVALID_UTF8, 0, NULL);
    decide(ring, WAMPE2E_MESSAGE_KIND_EVENT, "\xfe", EXACT, NULL, true, false, true, WAMPE2E_ERR_INVALID_UTF8, 0, NULL);
    wampe2e_delivery delivery;
    wampe2e_buf uri = {0};
    EXPECT(wampe2e_inbound_decide(NULL, 0, S("u"), 0, NULL, 0, true, false, true, &delivery, &uri),
           WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_inbound_decide(ring, 0, NULL, 0, 0, NULL, 0, true, false, true, &delivery, &uri),
           WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_inbound_decide(ring, 0, S("u"), 0, NULL, 0, true, false, true, NULL, &uri),
           WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_inbound_decide(ring, 0, S("u"), 0, NULL, 0, true, false, true, &delivery, NULL),
           WAMPE2E_ERR_NULL_ARGUMENT);
    CHECK(uri.ptr == NULL);
    char msg[256];
    size_t n = 0;
    EXPECT(wampe2e_inbound_decide(ring, 0, S("com.secret.b"), 0, S("com.secret.a"), true, false, true, &delivery,
                                  &uri),
           WAMPE2E_ERR_PATTERN_MISMATCH);
    EXPECT(wampe2e_last_error_message(msg, sizeof msg, &n), WAMPE2E_OK);
    CHECK(strstr(msg, "WAMPE2E_PATTERN_MISMATCH") != NULL);
    wampe2e_keyring_free(ring);
}

/* The whole client flow: decide, then open for the decided URI in the kind's role. */
static void test_inbound_then_open(void) {
    wampe2e_keyring *pub, *sub;
    make_rings(&pub, &sub);
    wampe2e_envelope *env = NULL;
    EXPECT(wampe2e_seal_payload(pub, WAMPE2E_ROLE_ORIGINATOR, S("com.example.x"), S("[7]"), NULL, 0,
                                WAMPE2E_DIALECT_CRYPTOBOX, 0, 0, &env),
           WAMPE2E_OK);

    /* A prefix subscription on com.example., Details.topic = com.example.x: opened. */
    wampe2e_delivery delivery = WAMPE2E_DELIVERY_PLAIN;
    wampe2e_buf uri = {0}, a = {0}, k = {0};
    EXPECT(wampe2e_inbound_decide(sub, WAMPE2E_MESSAGE_KIND_EVENT, S("com.example."), WAMPE2E_MATCH_PREFIX,
                                  S("com.example.x"), true, false, true, &delivery, &uri),
           WAMPE2E_OK);
    CHECK(delivery == WAMPE2E_DELIVERY_OPEN);
    EXPECT(wampe2e_open_payload(sub, WAMPE2E_ROLE_RESPONDER, (const char *)uri.ptr, uri.len, env, &a, &k),
           WAMPE2E_OK);
    CHECK(a.len == 3 && memcmp(a.ptr, "[7]", 3) == 0);
    wampe2e_buf_free(&uri);
    wampe2e_buf_free(&a);
    wampe2e_buf_free(&k);

    /* The router names another topic under the prefix: the decision takes it, opening refuses. */
    EXPECT(wampe2e_inbound_decide(sub, WAMPE2E_MESSAGE_KIND_EVENT, S("com.example."), WAMPE2E_MATCH_PREFIX,
                                  S("com.example.y"), true, false, true, &delivery, &uri),
           WAMPE2E_OK);
    EXPECT(wampe2e_open_payload(sub, WAMPE2E_ROLE_RESPONDER, (const char *)uri.ptr, uri.len, env, &a, &k),
           WAMPE2E_ERR_URI_MISMATCH);
    wampe2e_buf_free(&uri);

    /* Reflection: the router sends the CALL the publisher sealed back as its RESULT. */
    EXPECT(wampe2e_inbound_decide(pub, WAMPE2E_MESSAGE_KIND_RESULT, S("com.example.x"), WAMPE2E_MATCH_EXACT, NULL,
                                  0, true, true, true, &delivery, &uri),
           WAMPE2E_OK);
    CHECK(delivery == WAMPE2E_DELIVERY_OPEN);
    EXPECT(wampe2e_open_payload(pub, WAMPE2E_ROLE_ORIGINATOR, (const char *)uri.ptr, uri.len, env, &a, &k),
           WAMPE2E_ERR_REFLECTED);
    CHECK(a.ptr == NULL && k.ptr == NULL);
    wampe2e_buf raw = {0};
    EXPECT(wampe2e_open_bytes(pub, WAMPE2E_ROLE_ORIGINATOR, (const char *)uri.ptr, uri.len, env, &raw),
           WAMPE2E_ERR_REFLECTED);
    CHECK(raw.ptr == NULL);
    wampe2e_buf_free(&uri);

    /* The same with a shared key and ppt: sealed as the responder (a YIELD), sent back as an INVOCATION. */
    char key[WAMPE2E_KEY_BASE64_SIZE];
    EXPECT(wampe2e_generate_data_key(key), WAMPE2E_OK);
    wampe2e_keyring *both;
    EXPECT(wampe2e_keyring_new(&both), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_data_key(both, S("com."), S("k1"), S(key)), WAMPE2E_OK);
    wampe2e_envelope *yield = NULL;
    EXPECT(wampe2e_seal_payload(both, WAMPE2E_ROLE_RESPONDER, S("com.proc"), S("[1]"), NULL, 0, WAMPE2E_DIALECT_PPT,
                                WAMPE2E_SERIALIZER_CBOR, WAMPE2E_CIPHER_AES256GCM, &yield),
           WAMPE2E_OK);
    EXPECT(wampe2e_open_payload(both, WAMPE2E_ROLE_RESPONDER, S("com.proc"), yield, &a, &k), WAMPE2E_ERR_REFLECTED);
    EXPECT(wampe2e_open_payload(both, WAMPE2E_ROLE_ORIGINATOR, S("com.proc"), yield, &a, &k), WAMPE2E_OK);
    wampe2e_buf_free(&a);
    wampe2e_buf_free(&k);

    wampe2e_envelope_free(env);
    wampe2e_envelope_free(yield);
    wampe2e_keyring_free(pub);
    wampe2e_keyring_free(sub);
    wampe2e_keyring_free(both);
}

static void test_expects_sealed_and_remove_key_id(void) {
    char key[WAMPE2E_KEY_BASE64_SIZE];
    EXPECT(wampe2e_generate_data_key(key), WAMPE2E_OK);
    wampe2e_keyring *sender, *ring;
    EXPECT(wampe2e_keyring_new(&sender), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_new(&ring), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_data_key(sender, S("com."), S("team-1"), S(key)), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_data_key(ring, NULL, 0, S("team-1"), S(key)), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_data_key(ring, S("org.keyed."), S("team-2"), S(key)), WAMPE2E_OK);

    /* Key-id-only keys are not bound to URIs: they do not make a URI expect encryption. */
    bool expects = true;
    EXPECT(wampe2e_keyring_expects_sealed(ring, S("com.add"), &expects), WAMPE2E_OK);
    CHECK(!expects);
    EXPECT(wampe2e_keyring_expects_sealed(ring, S("org.keyed.x"), &expects), WAMPE2E_OK);
    CHECK(expects);
    EXPECT(wampe2e_keyring_expects_sealed(ring, S("org.keyed"), &expects), WAMPE2E_OK);
    CHECK(!expects);
    EXPECT(wampe2e_keyring_expects_sealed(NULL, S("x"), &expects), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_keyring_expects_sealed(ring, NULL, 0, &expects), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_keyring_expects_sealed(ring, S("x"), NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_keyring_expects_sealed(ring, "\xff", 1, &expects), WAMPE2E_ERR_INVALID_UTF8);

    /* Removing the prefix entry revokes it: nothing expected, nothing opened. */
    wampe2e_envelope *keyed = NULL;
    EXPECT(wampe2e_seal_payload(ring, WAMPE2E_ROLE_ORIGINATOR, S("org.keyed.x"), S("[1]"), NULL, 0,
                                WAMPE2E_DIALECT_PPT, 0, 0, &keyed),
           WAMPE2E_OK);
    bool removed = false;
    EXPECT(wampe2e_keyring_remove(ring, S("org.keyed."), &removed), WAMPE2E_OK);
    CHECK(removed);
    EXPECT(wampe2e_keyring_expects_sealed(ring, S("org.keyed.x"), &expects), WAMPE2E_OK);
    CHECK(!expects);
    wampe2e_buf a = {0}, k = {0};
    EXPECT(wampe2e_open_payload(ring, WAMPE2E_ROLE_RESPONDER, S("org.keyed.x"), keyed, &a, &k),
           WAMPE2E_ERR_KEY_NOT_FOUND);

    /* The key-id-only key opens until it is removed by its id. */
    wampe2e_envelope *env = NULL;
    EXPECT(wampe2e_seal_payload(sender, WAMPE2E_ROLE_ORIGINATOR, S("com.add"), S("[2,3]"), NULL, 0,
                                WAMPE2E_DIALECT_PPT, WAMPE2E_SERIALIZER_MSGPACK, WAMPE2E_CIPHER_XSALSA20POLY1305, &env),
           WAMPE2E_OK);
    EXPECT(wampe2e_open_payload(ring, WAMPE2E_ROLE_RESPONDER, S("com.add"), env, &a, &k), WAMPE2E_OK);
    CHECK(a.len == 5 && memcmp(a.ptr, "[2,3]", 5) == 0);
    wampe2e_buf_free(&a);
    wampe2e_buf_free(&k);
    EXPECT(wampe2e_keyring_remove_key_id(ring, S("team-2"), &removed), WAMPE2E_OK);
    CHECK(!removed); /* team-2 was a prefix entry, not a key-id-only key */
    EXPECT(wampe2e_keyring_remove_key_id(ring, S("team-1"), &removed), WAMPE2E_OK);
    CHECK(removed);
    EXPECT(wampe2e_open_payload(ring, WAMPE2E_ROLE_RESPONDER, S("com.add"), env, &a, &k), WAMPE2E_ERR_KEY_NOT_FOUND);
    CHECK(a.ptr == NULL);
    EXPECT(wampe2e_keyring_remove_key_id(ring, S("team-1"), &removed), WAMPE2E_OK);
    CHECK(!removed);
    EXPECT(wampe2e_keyring_remove_key_id(ring, S("team-1"), NULL), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_remove_key_id(NULL, S("team-1"), &removed), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_keyring_remove_key_id(ring, NULL, 0, &removed), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_keyring_remove_key_id(ring, "\xff", 1, &removed), WAMPE2E_ERR_INVALID_UTF8);

    wampe2e_envelope_free(keyed);
    wampe2e_envelope_free(env);
    wampe2e_keyring_free(sender);
    wampe2e_keyring_free(ring);
}

/* The Autobahn|Python vectors: open each ciphertext as the opposite role. */
static void test_autobahn_vectors(void) {
    char *doc = read_file("autobahn_cryptobox.json");
    CHECK(doc != NULL);
    if (!doc) return;
    const char *pos = doc;
    char o_sec[64], o_pub[64], r_sec[64], r_pub[64];
    const char *o = strstr(doc, "\"originator\"");
    CHECK(json_field(&o, "secret_base64", o_sec, sizeof o_sec) && json_field(&o, "public_base64", o_pub, sizeof o_pub));
    const char *r = strstr(doc, "\"responder\"");
    CHECK(json_field(&r, "secret_base64", r_sec, sizeof r_sec) && json_field(&r, "public_base64", r_pub, sizeof r_pub));

    wampe2e_keyring *as_originator, *as_responder;
    EXPECT(wampe2e_keyring_new(&as_originator), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_new(&as_responder), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_box_key(as_originator, S(""), S(o_sec), NULL, 0, NULL, 0, S(r_pub)), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_box_key(as_responder, S(""), NULL, 0, S(o_pub), S(r_sec), NULL, 0), WAMPE2E_OK);

    int vectors = 0;
    pos = strstr(doc, "\"vectors\"");
    static char role[32], uri[256], plain_b64[8192], sealed_b64[8192];
    static unsigned char plain[8192], sealed[8192];
    while (pos && json_field(&pos, "sealer_role", role, sizeof role)) {
        CHECK(json_field(&pos, "uri", uri, sizeof uri));
        CHECK(json_field(&pos, "plaintext_base64", plain_b64, sizeof plain_b64));
        CHECK(json_field(&pos, "sealed_base64", sealed_b64, sizeof sealed_b64));
        long plain_len = b64decode(plain_b64, strlen(plain_b64), plain);
        long sealed_len = b64decode(sealed_b64, strlen(sealed_b64), sealed);
        CHECK(plain_len > 0 && sealed_len > 40);
        int originator_sealed = strcmp(role, "originator") == 0;
        wampe2e_keyring *ring = originator_sealed ? as_responder : as_originator;
        uint32_t opener = originator_sealed ? WAMPE2E_ROLE_RESPONDER : WAMPE2E_ROLE_ORIGINATOR;
        wampe2e_envelope *env = envelope_of(ENC_NAMES, ENC_VALUES, 2, sealed, (size_t)sealed_len);
        wampe2e_buf raw = {0}, a = {0}, k = {0};
        EXPECT(wampe2e_open_bytes(ring, opener, S(uri), env, &raw), WAMPE2E_OK);
        CHECK((long)raw.len == plain_len && memcmp(raw.ptr, plain, raw.len) == 0);
        EXPECT(wampe2e_open_payload(ring, opener, S(uri), env, &a, &k), WAMPE2E_OK);
        wampe2e_buf_free(&raw);
        wampe2e_buf_free(&a);
        wampe2e_buf_free(&k);
        wampe2e_envelope_free(env);
        vectors++;
    }
    CHECK(vectors >= 14);
    wampe2e_keyring_free(as_originator);
    wampe2e_keyring_free(as_responder);
    free(doc);
}

/* ---- threads: sealing and opening on the very entries another thread replaces ---- */

#define HOT_DATA "com.hot.data."
#define HOT_PAIR "com.hot.pair."

/* What the rotating thread publishes and the workers count, behind one lock. */
struct churn {
    wampe2e_keyring *ring;
    pthread_mutex_t lock;
    unsigned generation; /* the newest data key id published is "g<generation>" */
    int stop;
    int opened, seal_refused, open_refused, wrong;
};

struct worker_ctx {
    struct churn *churn;
    int id;
};

static void count(struct churn *c, int *field, int ok) {
    pthread_mutex_lock(&c->lock);
    if (ok) (*field)++; else c->wrong++;
    pthread_mutex_unlock(&c->lock);
}

/* The key id of a ppt envelope sealed with a data key ("g<n>"), or -1. */
static long data_generation(const wampe2e_envelope *env) {
    const char *name, *value;
    size_t nl, vl;
    if (wampe2e_envelope_attribute(env, 3, &name, &nl, &value, &vl) != WAMPE2E_OK) return -1;
    if (nl != 9 || memcmp(name, "ppt_keyid", 9) != 0 || vl < 2 || vl > 12 || value[0] != 'g') return -1;
    char digits[16];
    memcpy(digits, value + 1, vl - 1);
    digits[vl - 1] = 0;
    return strtol(digits, NULL, 10);
}

/* Seals and opens on the hot prefixes until told to stop. A seal either works or,
 * for the data entry (which is removed at times), fails with KEY_NOT_FOUND. An open
 * either gives back exactly what was sealed, under a key that was the entry's
 * between the seal and the open, or fails with KEY_NOT_FOUND (entry removed, or its
 * key id replaced) or DECRYPTION_FAILED (same key id, new key; a replaced key
 * pair); anything else counts as wrong. */
static void *worker(void *arg) {
    struct worker_ctx *w = arg;
    struct churn *c = w->churn;
    for (int i = 0;; i++) {
        pthread_mutex_lock(&c->lock);
        int stop = c->stop;
        unsigned before = c->generation;
        pthread_mutex_unlock(&c->lock);
        if (stop) break;
        int data = (i + w->id) % 2 == 0;
        uint32_t dialect = data || i % 3 == 0 ? WAMPE2E_DIALECT_PPT : WAMPE2E_DIALECT_CRYPTOBOX;
        uint32_t serializer = dialect == WAMPE2E_DIALECT_PPT ? (uint32_t)(i % 3) : WAMPE2E_SERIALIZER_JSON;
        uint32_t cipher = data && i % 4 < 2 ? WAMPE2E_CIPHER_AES256GCM : WAMPE2E_CIPHER_XSALSA20POLY1305;
        char uri[64], args[64];
        snprintf(uri, sizeof uri, "%st%d", data ? HOT_DATA : HOT_PAIR, w->id);
        snprintf(args, sizeof args, "[%d,%d]", w->id, i);
        wampe2e_envelope *env = NULL;
        wampe2e_result r = wampe2e_seal_payload(c->ring, WAMPE2E_ROLE_ORIGINATOR, S(uri), S(args), NULL, 0, dialect,
                                                serializer, cipher, &env);
        if (r != WAMPE2E_OK) {
            count(c, &c->seal_refused, data && r == WAMPE2E_ERR_KEY_NOT_FOUND && env == NULL);
            if (!(data && r == WAMPE2E_ERR_KEY_NOT_FOUND))
                fprintf(stderr, "FAIL: seal on %s: %s\n", uri, wampe2e_result_message(r));
            continue;
        }
        /* The key that sealed was the entry's at or after the moment the seal began. */
        if (data && data_generation(env) < (long)before) {
            fprintf(stderr, "FAIL: sealed under g%ld, already replaced by g%u\n", data_generation(env), before);
            count(c, NULL, 0);
        }
        wampe2e_buf a = {0}, k = {0};
        r = wampe2e_open_payload(c->ring, WAMPE2E_ROLE_RESPONDER, S(uri), env, &a, &k);
        if (r == WAMPE2E_OK) {
            int same = a.len == strlen(args) && memcmp(a.ptr, args, a.len) == 0 && k.len == 4 &&
                       memcmp(k.ptr, "null", 4) == 0;
            if (!same) fprintf(stderr, "FAIL: opened %.*s, sealed %s\n", (int)a.len, (const char *)a.ptr, args);
            count(c, &c->opened, same);
        } else {
            int expected = r == WAMPE2E_ERR_DECRYPTION_FAILED || (data && r == WAMPE2E_ERR_KEY_NOT_FOUND);
            if (!expected || a.ptr != NULL || k.ptr != NULL)
                fprintf(stderr, "FAIL: open on %s: %s\n", uri, wampe2e_result_message(r));
            count(c, &c->open_refused, expected && a.ptr == NULL && k.ptr == NULL);
        }
        wampe2e_buf_free(&a);
        wampe2e_buf_free(&k);
        wampe2e_envelope_free(env);
    }
    return NULL;
}

static void pause_us(long us) {
    struct timespec t = {0, us * 1000};
    nanosleep(&t, NULL);
}

static void test_threads(void) {
    struct churn c;
    memset(&c, 0, sizeof c);
    CHECK(pthread_mutex_init(&c.lock, NULL) == 0);
    EXPECT(wampe2e_keyring_new(&c.ring), WAMPE2E_OK);
    char key[WAMPE2E_KEY_BASE64_SIZE], sec[WAMPE2E_KEY_BASE64_SIZE], pub[WAMPE2E_KEY_BASE64_SIZE];
    EXPECT(wampe2e_generate_data_key(key), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_data_key(c.ring, S(HOT_DATA), S("g0"), S(key)), WAMPE2E_OK);
    EXPECT(wampe2e_generate_keypair(sec, pub), WAMPE2E_OK);
    EXPECT(wampe2e_keyring_set_shared_key(c.ring, S(HOT_PAIR), S(sec)), WAMPE2E_OK);

    struct worker_ctx ctx[3];
    pthread_t threads[3];
    for (int t = 0; t < 3; t++) {
        ctx[t].churn = &c;
        ctx[t].id = t;
        CHECK(pthread_create(&threads[t], NULL, worker, &ctx[t]) == 0);
    }
    /* Replace the very entries in use until every outcome was seen (at most 60 s).
     * Each call's result is checked; only failures are counted, so the number of
     * checks passed does not depend on the timing. */
    int churn_failures = 0;
#define MUST(call)                                                                                    \
    do {                                                                                              \
        wampe2e_result r_ = (call);                                                                   \
        if (r_ != WAMPE2E_OK) {                                                                       \
            churn_failures++;                                                                         \
            fprintf(stderr, "FAIL %s:%d: %s = %s\n", __FILE__, __LINE__, #call, wampe2e_result_message(r_)); \
        }                                                                                             \
    } while (0)
    time_t start = time(NULL);
    unsigned n = 0;
    char id[16];
    bool removed = false;
    for (;;) {
        n++;
        MUST(wampe2e_generate_data_key(key));
        switch (n % 4) {
        case 0: /* a new key under a new key id */
            snprintf(id, sizeof id, "g%u", n);
            MUST(wampe2e_keyring_set_data_key(c.ring, S(HOT_DATA), S(id), S(key)));
            pthread_mutex_lock(&c.lock);
            c.generation = n;
            pthread_mutex_unlock(&c.lock);
            break;
        case 1: /* a new key under the same key id */
            pthread_mutex_lock(&c.lock);
            snprintf(id, sizeof id, "g%u", c.generation);
            pthread_mutex_unlock(&c.lock);
            MUST(wampe2e_keyring_set_data_key(c.ring, S(HOT_DATA), S(id), S(key)));
            break;
        case 2: /* revoked for a moment, then a new key id */
            MUST(wampe2e_keyring_remove(c.ring, S(HOT_DATA), &removed));
            if (!removed) churn_failures++;
            pause_us(200);
            snprintf(id, sizeof id, "g%u", n);
            MUST(wampe2e_keyring_set_data_key(c.ring, S(HOT_DATA), S(id), S(key)));
            pthread_mutex_lock(&c.lock);
            c.generation = n;
            pthread_mutex_unlock(&c.lock);
            break;
        default: /* a new key pair */
            MUST(wampe2e_generate_keypair(sec, pub));
            MUST(wampe2e_keyring_set_shared_key(c.ring, S(HOT_PAIR), S(sec)));
        }
        pause_us(300);
        pthread_mutex_lock(&c.lock);
        int enough = c.opened >= 300 && c.seal_refused >= 3 && c.open_refused >= 10;
        if (enough || time(NULL) - start > 60) c.stop = 1;
        int stop = c.stop;
        pthread_mutex_unlock(&c.lock);
        if (stop) break;
    }
    for (int t = 0; t < 3; t++) CHECK(pthread_join(threads[t], NULL) == 0);
    printf("key churn: %u changes in %lds: %d opened, %d seals refused, %d opens refused, %d wrong\n", n,
           (long)(time(NULL) - start), c.opened, c.seal_refused, c.open_refused, c.wrong);
#undef MUST
    CHECK(churn_failures == 0);
    CHECK(c.wrong == 0);
    CHECK(c.opened >= 300 && c.seal_refused >= 3 && c.open_refused >= 10);
    pthread_mutex_destroy(&c.lock);
    wampe2e_keyring_free(c.ring);
}

/* ---- GS1 group sessions ---- */

#define G_NOW 1700000000000ULL
#define G_PREFIX "com.example."
#define G_TOPIC "com.example.topic"
#define G_PROC "com.example.add"

/* A generated identity and its public key. */
static wampe2e_identity *g_identity(uint8_t pk[WAMPE2E_IDENTITY_KEY_SIZE]) {
    wampe2e_identity *id = NULL;
    EXPECT(wampe2e_identity_generate(&id), WAMPE2E_OK);
    EXPECT(wampe2e_identity_public_key(id, pk), WAMPE2E_OK);
    return id;
}

/* A group for `id` with the entry G_PREFIX: senders {sender}, receivers {receiver}. */
static wampe2e_group *g_group(const wampe2e_identity *id, const uint8_t *sender, const uint8_t *receiver) {
    wampe2e_group *g = NULL;
    EXPECT(wampe2e_group_new(id, NULL, &g), WAMPE2E_OK);
    EXPECT(wampe2e_group_set_entry(g, S(G_PREFIX), sender, 1, receiver, 1), WAMPE2E_OK);
    return g;
}

/* The §13.1 plaintext of args_json for uri. */
static wampe2e_buf g_plain(const char *uri, const char *args_json) {
    wampe2e_buf p = {NULL, 0};
    EXPECT(wampe2e_group_plaintext_from_json(S(uri), S(args_json), NULL, 0, &p), WAMPE2E_OK);
    return p;
}

/* Checks that plaintext was sealed for uri and carries args_json and no kwargs. */
static void g_expect_args(const char *uri, const wampe2e_buf *plain, const char *args_json) {
    wampe2e_buf a = {NULL, 0}, k = {NULL, 0};
    EXPECT(wampe2e_group_plaintext_to_json(S(uri), plain->ptr, plain->len, &a, &k), WAMPE2E_OK);
    CHECK(a.len == strlen(args_json) && memcmp(a.ptr, args_json, a.len) == 0);
    CHECK(k.len == 4 && memcmp(k.ptr, "null", 4) == 0);
    wampe2e_buf_free(&a);
    wampe2e_buf_free(&k);
}

/* Seals an event or call of args_json on uri. */
static wampe2e_group_sealed g_seal(const wampe2e_group *g, const char *uri, uint32_t kind, const char *args_json,
                                   uint64_t now) {
    wampe2e_buf p = g_plain(uri, args_json);
    wampe2e_group_sealed s;
    memset(&s, 0, sizeof s);
    EXPECT(wampe2e_group_seal(g, S(uri), kind, p.ptr, p.len, now, &s), WAMPE2E_OK);
    wampe2e_buf_free(&p);
    return s;
}

/* Opens an event that must fail with `code`; checks nothing was written. */
static void g_open_fails(const wampe2e_group *g, const char *uri, uint32_t kind, const char *key_id,
                         const uint8_t *env, size_t len, uint64_t now, wampe2e_result code) {
    wampe2e_group_opened o;
    memset(&o, 0xab, sizeof o);
    wampe2e_invocation *inv = (wampe2e_invocation *)&o; /* a sentinel: must stay untouched */
    EXPECT(wampe2e_group_open(g, S(uri), kind, key_id, key_id ? strlen(key_id) : 0, env, len, now, &o, &inv), code);
    CHECK(inv == (wampe2e_invocation *)&o);
    CHECK(o.index == 0xabababab);
}

/* Opens an event that must open, with args_json from `sender` at index `index`. */
static void g_open_event(const wampe2e_group *g, const char *uri, const wampe2e_group_sealed *s,
                         const uint8_t *sender, uint32_t index, const char *args_json) {
    wampe2e_group_opened o;
    wampe2e_invocation *inv = (wampe2e_invocation *)&o;
    EXPECT(wampe2e_group_open(g, S(uri), WAMPE2E_GROUP_KIND_EVENT, s->key_id, strlen(s->key_id), s->envelope.ptr,
                              s->envelope.len, G_NOW, &o, &inv),
           WAMPE2E_OK);
    if (o.plaintext.ptr == NULL) return;
    CHECK(inv == NULL); /* an event has no invocation */
    CHECK(memcmp(o.sender, sender, 32) == 0);
    CHECK(memcmp(o.session_id, s->session_id, 16) == 0);
    CHECK(o.index == index && s->index == index);
    CHECK(o.timestamp_ms == G_NOW);
    g_expect_args(uri, &o.plaintext, args_json);
    wampe2e_buf_free(&o.plaintext);
}

/* receiver asks sender (through its key procedure, as a WAMP client would) for the
 * session `sid` (NULL: the current one) from `from`; sender answers; receiver accepts. */
static void g_share_prefix(const wampe2e_group *receiver, const wampe2e_group *sender, const uint8_t *sender_pk,
                           const uint8_t *sid, uint32_t from, const char *prefix) {
    wampe2e_key_request req;
    EXPECT(wampe2e_group_key_request(receiver, sender_pk, 32, sid, sid ? 16 : 0, from, S(prefix), G_NOW, &req),
           WAMPE2E_OK);
    wampe2e_buf resp = {NULL, 0};
    EXPECT(wampe2e_group_answer_key_request(sender, req.request.ptr, req.request.len, G_NOW, &resp), WAMPE2E_OK);
    wampe2e_group_accepted acc;
    EXPECT(wampe2e_group_accept_key_response(receiver, req.request_hash, 32, resp.ptr, resp.len, G_NOW, &acc),
           WAMPE2E_OK);
    CHECK(memcmp(acc.sender, sender_pk, 32) == 0);
    if (sid) CHECK(memcmp(acc.session_id, sid, 16) == 0);
    wampe2e_buf_free(&req.request);
    wampe2e_buf_free(&resp);
}

static void g_share(const wampe2e_group *receiver, const wampe2e_group *sender, const uint8_t *sender_pk,
                    const uint8_t *sid, uint32_t from) {
    g_share_prefix(receiver, sender, sender_pk, sid, from, G_PREFIX);
}

static int hexdecode(const char *hex, unsigned char *out, size_t cap) {
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > cap) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (unsigned char)v;
    }
    return (int)(n / 2);
}

/* The shared GS1 vectors (tests/vectors/gs1.json, made by the independent Python
 * implementation): every identity from its seed, and every identity derived from
 * a cryptosign seed, with its public key, seed and key procedure. */
static void test_group_vectors(void) {
    char *doc = read_file("gs1.json");
    CHECK(doc != NULL);
    if (!doc) return;
    char seed_hex[80], pub_hex[80], proc[160], cs_hex[80];
    unsigned char seed[32], pub[32], got[32];
    int n = 0, m = 0;
    const char *pos = strstr(doc, "\"identities\"");
    const char *end = strstr(doc, "\"cryptosign_identities\"");
    while (pos && end && json_field(&pos, "seed", seed_hex, sizeof seed_hex) && pos < end) {
        CHECK(json_field(&pos, "public", pub_hex, sizeof pub_hex));
        CHECK(json_field(&pos, "key_procedure", proc, sizeof proc));
        CHECK(hexdecode(seed_hex, seed, 32) == 32 && hexdecode(pub_hex, pub, 32) == 32);
        wampe2e_identity *id = NULL;
        EXPECT(wampe2e_identity_from_seed((const char *)seed, 32, &id), WAMPE2E_OK);
        EXPECT(wampe2e_identity_public_key(id, got), WAMPE2E_OK);
        CHECK(memcmp(got, pub, 32) == 0);
        wampe2e_buf kp = {0};
        EXPECT(wampe2e_identity_key_procedure(got, 32, NULL, 0, &kp), WAMPE2E_OK);
        CHECK(kp.len == strlen(proc) && memcmp(kp.ptr, proc, kp.len) == 0);
        wampe2e_buf_free(&kp);
        wampe2e_identity_free(id);
        n++;
    }
    pos = end;
    while (pos && json_field(&pos, "cryptosign_seed", cs_hex, sizeof cs_hex)) {
        CHECK(json_field(&pos, "seed", seed_hex, sizeof seed_hex));
        CHECK(json_field(&pos, "public", pub_hex, sizeof pub_hex));
        CHECK(hexdecode(seed_hex, seed, 32) == 32 && hexdecode(pub_hex, pub, 32) == 32);
        wampe2e_identity *id = NULL;
        /* As a cryptosign key file holds it: hex text. */
        EXPECT(wampe2e_identity_from_cryptosign_seed(cs_hex, strlen(cs_hex), &id), WAMPE2E_OK);
        EXPECT(wampe2e_identity_public_key(id, got), WAMPE2E_OK);
        CHECK(memcmp(got, pub, 32) == 0);
        EXPECT(wampe2e_identity_seed(id, got), WAMPE2E_OK);
        CHECK(memcmp(got, seed, 32) == 0);
        wampe2e_identity_free(id);
        m++;
    }
    CHECK(n >= 3 && m >= 2);
    wampe2e_identity *id = NULL;
    EXPECT(wampe2e_identity_from_cryptosign_seed("short", 5, &id), WAMPE2E_ERR_INVALID_KEY);
    EXPECT(wampe2e_identity_from_cryptosign_seed(NULL, 32, &id), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_identity_from_cryptosign_seed(cs_hex, strlen(cs_hex), NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    free(doc);
}

static void test_group_identities(void) {
    uint8_t seed[32], pk1[32], pk2[32], back[32];
    for (int i = 0; i < 32; i++) seed[i] = (uint8_t)i;
    wampe2e_identity *a = NULL, *b = NULL;
    EXPECT(wampe2e_identity_from_seed((const char *)seed, 32, &a), WAMPE2E_OK);
    EXPECT(wampe2e_identity_from_seed((const char *)seed, 32, &b), WAMPE2E_OK);
    EXPECT(wampe2e_identity_public_key(a, pk1), WAMPE2E_OK);
    EXPECT(wampe2e_identity_public_key(b, pk2), WAMPE2E_OK);
    CHECK(memcmp(pk1, pk2, 32) == 0); /* the same seed gives the same identity */
    EXPECT(wampe2e_identity_seed(a, back), WAMPE2E_OK);
    CHECK(memcmp(back, seed, 32) == 0);
    /* The seed as hex text gives it too. */
    char hex[65];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", seed[i]);
    wampe2e_identity *c = NULL;
    EXPECT(wampe2e_identity_from_seed(hex, 64, &c), WAMPE2E_OK);
    EXPECT(wampe2e_identity_public_key(c, pk2), WAMPE2E_OK);
    CHECK(memcmp(pk1, pk2, 32) == 0);
    wampe2e_identity_free(c);
    wampe2e_identity *bad = NULL;
    EXPECT(wampe2e_identity_from_seed((const char *)seed, 31, &bad), WAMPE2E_ERR_INVALID_KEY);
    CHECK(bad == NULL);

    /* Fingerprint: hex of the public key; key procedure: <base>.<fingerprint>. */
    char fp[WAMPE2E_FINGERPRINT_SIZE], want[65];
    for (int i = 0; i < 32; i++) snprintf(want + 2 * i, 3, "%02x", pk1[i]);
    EXPECT(wampe2e_identity_fingerprint(pk1, 32, fp), WAMPE2E_OK);
    CHECK(strlen(fp) == 64 && strcmp(fp, want) == 0);
    wampe2e_buf proc = {NULL, 0};
    EXPECT(wampe2e_identity_key_procedure(pk1, 32, NULL, 0, &proc), WAMPE2E_OK);
    char uri[128];
    snprintf(uri, sizeof uri, "wampe2e.key.%s", want);
    CHECK(proc.len == strlen(uri) && memcmp(proc.ptr, uri, proc.len) == 0);
    wampe2e_buf_free(&proc);
    EXPECT(wampe2e_identity_key_procedure(pk1, 32, S("app.keys"), &proc), WAMPE2E_OK);
    snprintf(uri, sizeof uri, "app.keys.%s", want);
    CHECK(proc.len == strlen(uri) && memcmp(proc.ptr, uri, proc.len) == 0);
    wampe2e_buf_free(&proc);
    EXPECT(wampe2e_identity_fingerprint(pk1, 5, fp), WAMPE2E_ERR_INVALID_KEY);

    /* Two generated identities differ; a group reports its identity's key. */
    wampe2e_identity_free(b);
    b = g_identity(pk2);
    CHECK(memcmp(pk1, pk2, 32) != 0);
    wampe2e_group_params params;
    EXPECT(wampe2e_group_params_default(&params), WAMPE2E_OK);
    CHECK(params.max_messages == 10000 && params.max_age_ms == 3600000 && params.max_skew_ms == 300000 &&
          params.grace_ms == 600000 && params.share_backlog == 64);
    wampe2e_group *g = NULL;
    EXPECT(wampe2e_group_new(b, &params, &g), WAMPE2E_OK);
    wampe2e_identity_free(b); /* the group keeps its own copy */
    EXPECT(wampe2e_group_public_key(g, back), WAMPE2E_OK);
    CHECK(memcmp(back, pk2, 32) == 0);
    wampe2e_group_free(g);
    params.max_messages = 0;
    g = NULL;
    EXPECT(wampe2e_group_new(a, &params, &g), WAMPE2E_ERR_INVALID_ARGUMENT);
    CHECK(g == NULL);
    EXPECT(wampe2e_group_params_default(&params), WAMPE2E_OK);
    params.share_backlog = 65537;
    EXPECT(wampe2e_group_new(a, &params, &g), WAMPE2E_ERR_INVALID_ARGUMENT);
    wampe2e_identity_free(a);
}

/* The authorization callback: refuses while *ctx is 0; records what it was asked. */
static int auth_calls;
static uint8_t auth_requester[32];
static char auth_prefix[64];
static bool g_authorize(void *ctx, const uint8_t *requester, const char *prefix, size_t prefix_len) {
    auth_calls++;
    memcpy(auth_requester, requester, 32);
    snprintf(auth_prefix, sizeof auth_prefix, "%.*s", (int)prefix_len, prefix);
    return *(int *)ctx != 0;
}

/* alice publishes to bob: key exchange through the key procedure, three events,
 * replay, tampering, trust, and every key-distribution refusal. */
static void test_group_events_and_keys(void) {
    uint8_t a_pk[32], b_pk[32], c_pk[32];
    wampe2e_identity *alice_id = g_identity(a_pk), *bob_id = g_identity(b_pk), *carol_id = g_identity(c_pk);
    wampe2e_group *alice = g_group(alice_id, a_pk, b_pk);
    wampe2e_group *bob = g_group(bob_id, a_pk, b_pk);
    wampe2e_group *carol = g_group(carol_id, c_pk, b_pk); /* carol thinks she may send to bob */

    /* alice seals event 0; bob does not hold the session yet. */
    wampe2e_group_sealed e[3];
    e[0] = g_seal(alice, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, "[0]", G_NOW);
    CHECK(!e[0].is_call && e[0].index == 0 && strlen(e[0].key_id) == 32);
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, e[0].key_id, e[0].envelope.ptr, e[0].envelope.len, G_NOW,
                 WAMPE2E_ERR_UNKNOWN_SESSION);

    /* What a client does then: read the header, find the entry, call the sender's key procedure. */
    wampe2e_group_header h;
    EXPECT(wampe2e_group_envelope_header(e[0].envelope.ptr, e[0].envelope.len, WAMPE2E_GROUP_KIND_EVENT, &h),
           WAMPE2E_OK);
    CHECK(memcmp(h.sender, a_pk, 32) == 0 && memcmp(h.session_id, e[0].session_id, 16) == 0 && h.index == 0 &&
          h.timestamp_ms == G_NOW);
    wampe2e_buf prefix = {NULL, 0};
    EXPECT(wampe2e_group_select(bob, S(G_TOPIC), &prefix), WAMPE2E_OK);
    CHECK(prefix.len == strlen(G_PREFIX) && memcmp(prefix.ptr, G_PREFIX, prefix.len) == 0);
    wampe2e_key_request req;
    EXPECT(wampe2e_group_key_request(bob, h.sender, 32, h.session_id, 16, h.index, (const char *)prefix.ptr,
                                     prefix.len, G_NOW, &req),
           WAMPE2E_OK);
    wampe2e_buf_free(&prefix);
    wampe2e_group_stats st;
    EXPECT(wampe2e_group_get_stats(bob, &st), WAMPE2E_OK);
    CHECK(st.pending_key_requests == 1 && st.sessions_held == 0);
    /* alice's key procedure answers... */
    wampe2e_buf resp = {NULL, 0};
    EXPECT(wampe2e_group_answer_key_request(alice, req.request.ptr, req.request.len, G_NOW + 1000, &resp),
           WAMPE2E_OK);
    /* ...a response to no pending request is refused, and cancels nothing... */
    uint8_t zeros[32] = {0};
    EXPECT(wampe2e_group_accept_key_response(bob, zeros, 32, resp.ptr, resp.len, G_NOW, NULL),
           WAMPE2E_ERR_UNSOLICITED);
    /* ...a tampered one too... */
    resp.ptr[resp.len - 1] ^= 1;
    EXPECT(wampe2e_group_accept_key_response(bob, req.request_hash, 32, resp.ptr, resp.len, G_NOW, NULL),
           WAMPE2E_ERR_BAD_SIGNATURE);
    resp.ptr[resp.len - 1] ^= 1;
    /* ...and bob accepts the genuine one. */
    wampe2e_group_accepted acc;
    EXPECT(wampe2e_group_accept_key_response(bob, req.request_hash, 32, resp.ptr, resp.len, G_NOW, &acc),
           WAMPE2E_OK);
    CHECK(memcmp(acc.sender, a_pk, 32) == 0 && memcmp(acc.session_id, e[0].session_id, 16) == 0 && acc.index == 0);
    CHECK(acc.not_after_ms == G_NOW + 3600000);
    EXPECT(wampe2e_group_accept_key_response(bob, req.request_hash, 32, resp.ptr, resp.len, G_NOW, &acc),
           WAMPE2E_ERR_UNSOLICITED); /* no longer pending */
    EXPECT(wampe2e_group_get_stats(bob, &st), WAMPE2E_OK);
    CHECK(st.pending_key_requests == 0 && st.sessions_held == 1);
    wampe2e_buf_free(&resp);
    wampe2e_buf_free(&req.request);

    /* Three events, opened in order; a replay is refused. */
    e[1] = g_seal(alice, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, "[1]", G_NOW);
    e[2] = g_seal(alice, G_TOPIC ".sub", WAMPE2E_GROUP_KIND_EVENT, "[2,\"two\"]", G_NOW);
    CHECK(memcmp(e[1].session_id, e[0].session_id, 16) == 0 && e[1].index == 1 && e[2].index == 2);
    g_open_event(bob, G_TOPIC, &e[0], a_pk, 0, "[0]");
    g_open_event(bob, G_TOPIC, &e[1], a_pk, 1, "[1]");
    g_open_event(bob, G_TOPIC ".sub", &e[2], a_pk, 2, "[2,\"two\"]");
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, e[1].key_id, e[1].envelope.ptr, e[1].envelope.len, G_NOW,
                 WAMPE2E_ERR_REPLAYED);
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, NULL, e[0].envelope.ptr, e[0].envelope.len, G_NOW,
                 WAMPE2E_ERR_REPLAYED);

    /* Tampering: every flipped byte is refused and burns nothing. */
    wampe2e_group_sealed e3 = g_seal(alice, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, "[3]", G_NOW);
    uint8_t *env = e3.envelope.ptr;
    size_t len = e3.envelope.len;
    size_t flips[] = {10, 40, 60, 70, 90, len - 70, len - 1}; /* sender, session id, timestamp, nonce, ciphertext, signature */
    wampe2e_result want[] = {WAMPE2E_ERR_UNTRUSTED_SENDER, WAMPE2E_ERR_BAD_SIGNATURE, WAMPE2E_ERR_BAD_SIGNATURE,
                             WAMPE2E_ERR_BAD_SIGNATURE, WAMPE2E_ERR_BAD_SIGNATURE, WAMPE2E_ERR_BAD_SIGNATURE,
                             WAMPE2E_ERR_BAD_SIGNATURE};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        env[flips[i]] ^= 0x01;
        g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, NULL, env, len, G_NOW, want[i]);
        env[flips[i]] ^= 0x01;
    }
    env[0] = 2; /* version */
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, NULL, env, len, G_NOW, WAMPE2E_ERR_WRONG_VERSION);
    env[0] = 1;
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, NULL, env, 50, G_NOW, WAMPE2E_ERR_MALFORMED);
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_CALL, NULL, env, len, G_NOW, WAMPE2E_ERR_WRONG_KIND);
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_RESULT, NULL, env, len, G_NOW, WAMPE2E_ERR_INVALID_ARGUMENT);
    g_open_fails(bob, G_TOPIC, 9, NULL, env, len, G_NOW, WAMPE2E_ERR_INVALID_ARGUMENT);
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, "00000000000000000000000000000000", env, len, G_NOW,
                 WAMPE2E_ERR_KEY_ID_MISMATCH);
    g_open_fails(bob, "org.other.topic", WAMPE2E_GROUP_KIND_EVENT, NULL, env, len, G_NOW, WAMPE2E_ERR_KEY_NOT_FOUND);
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, NULL, env, len, G_NOW + 86400000ULL,
                 WAMPE2E_ERR_SESSION_EXPIRED);
    g_open_event(bob, G_TOPIC, &e3, a_pk, 3, "[3]"); /* still opens */
    /* The URI is bound twice: by the signature, and inside the plaintext. */
    wampe2e_group_sealed e4 = g_seal(alice, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, "[4]", G_NOW);
    g_open_fails(bob, G_TOPIC ".x", WAMPE2E_GROUP_KIND_EVENT, NULL, e4.envelope.ptr, e4.envelope.len, G_NOW,
                 WAMPE2E_ERR_BAD_SIGNATURE); /* the signature covers the URI */
    {
        wampe2e_group_opened o;
        EXPECT(wampe2e_group_open(bob, S(G_TOPIC), WAMPE2E_GROUP_KIND_EVENT, NULL, 0, e4.envelope.ptr,
                                  e4.envelope.len, G_NOW, &o, NULL),
               WAMPE2E_OK);
        wampe2e_buf a = {NULL, 0}, k = {NULL, 0};
        EXPECT(wampe2e_group_plaintext_to_json(S(G_TOPIC ".x"), o.plaintext.ptr, o.plaintext.len, &a, &k),
               WAMPE2E_ERR_URI_MISMATCH);
        CHECK(a.ptr == NULL && k.ptr == NULL);
        EXPECT(wampe2e_group_plaintext_to_json(S(G_TOPIC), o.plaintext.ptr, 3, &a, &k), WAMPE2E_ERR_INVALID_CBOR);
        wampe2e_buf_free(&o.plaintext);
    }

    /* An untrusted sender: carol seals under her own entry; bob pins only alice. */
    wampe2e_group_sealed ce = g_seal(carol, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, "[\"carol\"]", G_NOW);
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, ce.key_id, ce.envelope.ptr, ce.envelope.len, G_NOW,
                 WAMPE2E_ERR_UNTRUSTED_SENDER);
    /* bob will not ask carol for keys either, and alice refuses carol's requests. */
    EXPECT(wampe2e_group_key_request(bob, c_pk, 32, NULL, 0, 0, S(G_PREFIX), G_NOW, &req),
           WAMPE2E_ERR_UNTRUSTED_SENDER);
    EXPECT(wampe2e_group_key_request(bob, a_pk, 32, NULL, 0, 0, S("org.none."), G_NOW, &req),
           WAMPE2E_ERR_KEY_NOT_FOUND);
    EXPECT(wampe2e_group_set_entry(carol, S(G_PREFIX), a_pk, 1, c_pk, 1), WAMPE2E_OK);
    EXPECT(wampe2e_group_key_request(carol, a_pk, 32, NULL, 0, 0, S(G_PREFIX), G_NOW, &req), WAMPE2E_OK);
    EXPECT(wampe2e_group_answer_key_request(alice, req.request.ptr, req.request.len, G_NOW, &resp),
           WAMPE2E_ERR_KEY_REFUSED);
    CHECK(resp.ptr == NULL);
    /* A request to another identity is refused by the one it reaches. */
    EXPECT(wampe2e_group_answer_key_request(bob, req.request.ptr, req.request.len, G_NOW, &resp),
           WAMPE2E_ERR_KEY_REFUSED);
    req.request.ptr[req.request.len - 1] ^= 1;
    EXPECT(wampe2e_group_answer_key_request(alice, req.request.ptr, req.request.len, G_NOW, &resp),
           WAMPE2E_ERR_BAD_SIGNATURE);
    EXPECT(wampe2e_group_answer_key_request(alice, req.request.ptr, 20, G_NOW, &resp), WAMPE2E_ERR_MALFORMED);
    wampe2e_buf_free(&req.request);
    bool done = false;
    EXPECT(wampe2e_group_cancel_key_request(carol, req.request_hash, 32, &done), WAMPE2E_OK);
    CHECK(done);
    EXPECT(wampe2e_group_cancel_key_request(carol, req.request_hash, 32, &done), WAMPE2E_OK);
    CHECK(!done);
    EXPECT(wampe2e_group_cancel_key_request(carol, req.request_hash, 31, &done), WAMPE2E_ERR_INVALID_ARGUMENT);

    /* A stale request; a request for a session alice does not have. */
    EXPECT(wampe2e_group_key_request(bob, a_pk, 32, NULL, 0, 0, S(G_PREFIX), G_NOW, &req), WAMPE2E_OK);
    EXPECT(wampe2e_group_answer_key_request(alice, req.request.ptr, req.request.len, G_NOW + 600000, &resp),
           WAMPE2E_ERR_KEY_REQUEST_STALE);
    wampe2e_buf_free(&req.request);
    EXPECT(wampe2e_group_cancel_key_request(bob, req.request_hash, 32, NULL), WAMPE2E_OK);
    uint8_t unknown_sid[16];
    memset(unknown_sid, 0x42, sizeof unknown_sid);
    EXPECT(wampe2e_group_key_request(bob, a_pk, 32, unknown_sid, 16, 0, S(G_PREFIX), G_NOW, &req), WAMPE2E_OK);
    EXPECT(wampe2e_group_answer_key_request(alice, req.request.ptr, req.request.len, G_NOW, &resp),
           WAMPE2E_ERR_UNKNOWN_SESSION);
    wampe2e_buf_free(&req.request);
    EXPECT(wampe2e_group_cancel_key_request(bob, req.request_hash, 32, NULL), WAMPE2E_OK);
    EXPECT(wampe2e_group_key_request(bob, a_pk, 32, unknown_sid, 15, 0, S(G_PREFIX), G_NOW, &req),
           WAMPE2E_ERR_INVALID_ARGUMENT);

    /* The authorization callback: asked with the requester and prefix; refusing is KEY_REFUSED. */
    int allow = 0;
    EXPECT(wampe2e_group_set_authorize(alice, g_authorize, &allow), WAMPE2E_OK);
    EXPECT(wampe2e_group_key_request(bob, a_pk, 32, NULL, 0, 0, S(G_PREFIX), G_NOW, &req), WAMPE2E_OK);
    EXPECT(wampe2e_group_answer_key_request(alice, req.request.ptr, req.request.len, G_NOW, &resp),
           WAMPE2E_ERR_KEY_REFUSED);
    CHECK(auth_calls == 1 && memcmp(auth_requester, b_pk, 32) == 0 && strcmp(auth_prefix, G_PREFIX) == 0);
    allow = 1;
    EXPECT(wampe2e_group_answer_key_request(alice, req.request.ptr, req.request.len, G_NOW, &resp), WAMPE2E_OK);
    CHECK(auth_calls == 2);
    wampe2e_buf_free(&resp);
    wampe2e_buf_free(&req.request);
    EXPECT(wampe2e_group_cancel_key_request(bob, req.request_hash, 32, NULL), WAMPE2E_OK);
    EXPECT(wampe2e_group_set_authorize(alice, NULL, NULL), WAMPE2E_OK);

    /* Rotation: a new session; bob asks for it from index 1, so index 0 is too old for him. */
    wampe2e_group_session cur;
    bool found = false;
    EXPECT(wampe2e_group_current_session(alice, S(G_PREFIX), &found, &cur), WAMPE2E_OK);
    CHECK(found && memcmp(cur.session_id, e[0].session_id, 16) == 0 && cur.next == 5 && cur.base == 0 &&
          cur.created_ms == G_NOW && cur.not_after_ms == G_NOW + 3600000);
    EXPECT(wampe2e_group_rotate(alice, S(G_PREFIX), &found), WAMPE2E_OK);
    CHECK(found);
    EXPECT(wampe2e_group_current_session(alice, S(G_PREFIX), &found, &cur), WAMPE2E_OK);
    CHECK(!found);
    wampe2e_group_sealed f0 = g_seal(alice, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, "[\"f0\"]", G_NOW);
    wampe2e_group_sealed f1 = g_seal(alice, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, "[\"f1\"]", G_NOW);
    CHECK(memcmp(f0.session_id, e[0].session_id, 16) != 0 && f0.index == 0 && f1.index == 1);
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, f1.key_id, f1.envelope.ptr, f1.envelope.len, G_NOW,
                 WAMPE2E_ERR_UNKNOWN_SESSION);
    g_share(bob, alice, a_pk, f1.session_id, 1);
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, f0.key_id, f0.envelope.ptr, f0.envelope.len, G_NOW,
                 WAMPE2E_ERR_TOO_OLD);
    g_open_event(bob, G_TOPIC, &f1, a_pk, 1, "[\"f1\"]");
    EXPECT(wampe2e_group_rotate(alice, S("org.none."), &found), WAMPE2E_OK);
    CHECK(!found);

    /* Seal errors; removing the entry. */
    wampe2e_group_sealed s;
    memset(&s, 0, sizeof s);
    EXPECT(wampe2e_group_seal(alice, S("org.other.topic"), WAMPE2E_GROUP_KIND_EVENT, (const uint8_t *)"x", 1, G_NOW,
                              &s),
           WAMPE2E_ERR_KEY_NOT_FOUND);
    EXPECT(wampe2e_group_seal(alice, S(G_TOPIC), WAMPE2E_GROUP_KIND_RESULT, (const uint8_t *)"x", 1, G_NOW, &s),
           WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_group_seal(alice, S(G_TOPIC), 0, (const uint8_t *)"x", 1, G_NOW, &s),
           WAMPE2E_ERR_INVALID_ARGUMENT);
    CHECK(s.envelope.ptr == NULL);
    EXPECT(wampe2e_group_remove_entry(alice, S(G_PREFIX), &found), WAMPE2E_OK);
    CHECK(found);
    EXPECT(wampe2e_group_remove_entry(alice, S(G_PREFIX), &found), WAMPE2E_OK);
    CHECK(!found);
    EXPECT(wampe2e_group_select(alice, S(G_TOPIC), &prefix), WAMPE2E_ERR_KEY_NOT_FOUND);
    EXPECT(wampe2e_group_seal(alice, S(G_TOPIC), WAMPE2E_GROUP_KIND_EVENT, (const uint8_t *)"x", 1, G_NOW, &s),
           WAMPE2E_ERR_KEY_NOT_FOUND);

    for (int i = 0; i < 3; i++) wampe2e_buf_free(&e[i].envelope);
    wampe2e_buf_free(&e3.envelope);
    wampe2e_buf_free(&e4.envelope);
    wampe2e_buf_free(&ce.envelope);
    wampe2e_buf_free(&f0.envelope);
    wampe2e_buf_free(&f1.envelope);
    wampe2e_group_free(alice);
    wampe2e_group_free(bob);
    wampe2e_group_free(carol);
    wampe2e_identity_free(alice_id);
    wampe2e_identity_free(bob_id);
    wampe2e_identity_free(carol_id);
}

/* Opens a CALL as the callee; returns its invocation. */
static wampe2e_invocation *g_invoke(const wampe2e_group *callee, const wampe2e_group_sealed *call,
                                    const uint8_t *caller_pk, const char *args_json) {
    wampe2e_group_opened o;
    wampe2e_invocation *inv = NULL;
    EXPECT(wampe2e_group_open(callee, S(G_PROC), WAMPE2E_GROUP_KIND_CALL, call->key_id, strlen(call->key_id),
                              call->envelope.ptr, call->envelope.len, G_NOW, &o, &inv),
           WAMPE2E_OK);
    if (inv == NULL) return NULL;
    CHECK(memcmp(o.sender, caller_pk, 32) == 0);
    g_expect_args(G_PROC, &o.plaintext, args_json);
    wampe2e_buf_free(&o.plaintext);
    wampe2e_invocation_info info;
    EXPECT(wampe2e_invocation_get_info(inv, &info), WAMPE2E_OK);
    CHECK(memcmp(info.caller, caller_pk, 32) == 0 && memcmp(info.call_hash, call->call_hash, 32) == 0 &&
          info.next_seq == 0 && !info.finished);
    return inv;
}

/* Seals a reply of args_json (for uri) to inv. */
static wampe2e_buf g_reply(const wampe2e_group *callee, const wampe2e_invocation *inv, uint32_t kind,
                           const char *error_uri, const char *uri, const char *args_json) {
    wampe2e_buf p = g_plain(uri, args_json), r = {NULL, 0};
    EXPECT(wampe2e_group_seal_reply(callee, inv, kind, error_uri, error_uri ? strlen(error_uri) : 0, p.ptr, p.len,
                                    &r),
           WAMPE2E_OK);
    wampe2e_buf_free(&p);
    return r;
}

/* Opens a reply that must open with kind/seq/args from callee_pk. */
static void g_open_reply_ok(const wampe2e_group *caller, const uint8_t *call_hash, uint32_t kind,
                            const char *error_uri, const wampe2e_buf *reply, const uint8_t *callee_pk, uint32_t seq,
                            const char *uri, const char *args_json) {
    wampe2e_group_reply o;
    memset(&o, 0, sizeof o);
    EXPECT(wampe2e_group_open_reply(caller, call_hash, 32, kind, error_uri, error_uri ? strlen(error_uri) : 0, NULL, 0,
                                    reply->ptr, reply->len, &o),
           WAMPE2E_OK);
    if (o.plaintext.ptr == NULL) return;
    CHECK(memcmp(o.callee, callee_pk, 32) == 0 && o.kind == kind && o.seq == seq);
    g_expect_args(uri, &o.plaintext, args_json);
    wampe2e_buf_free(&o.plaintext);
}

static void g_open_reply_fails(const wampe2e_group *caller, const uint8_t *call_hash, uint32_t kind,
                               const char *error_uri, const char *key_id, const uint8_t *env, size_t len,
                               wampe2e_result code) {
    wampe2e_group_reply o;
    memset(&o, 0, sizeof o);
    EXPECT(wampe2e_group_open_reply(caller, call_hash, 32, kind, error_uri, error_uri ? strlen(error_uri) : 0, key_id,
                                    key_id ? strlen(key_id) : 0, env, len, &o),
           code);
    CHECK(o.plaintext.ptr == NULL && o.seq == 0);
}

/* alice calls bob: progress + result, an error, a forgotten call. */
static void test_group_calls(void) {
    uint8_t a_pk[32], b_pk[32];
    wampe2e_identity *alice_id = g_identity(a_pk), *bob_id = g_identity(b_pk);
    wampe2e_group *alice = g_group(alice_id, a_pk, b_pk); /* caller */
    wampe2e_group *bob = g_group(bob_id, a_pk, b_pk);     /* callee */
    g_share(bob, alice, a_pk, NULL, 0); /* bob fetches alice's current session before any call */

    /* Call 1: two progressive results, then the final result. */
    wampe2e_group_sealed c1 = g_seal(alice, G_PROC, WAMPE2E_GROUP_KIND_CALL, "[2,3]", G_NOW);
    CHECK(c1.is_call);
    wampe2e_group_stats st;
    EXPECT(wampe2e_group_get_stats(alice, &st), WAMPE2E_OK);
    CHECK(st.pending_calls == 1);
    /* A call is not an event, and a call needs its invocation. */
    g_open_fails(bob, G_PROC, WAMPE2E_GROUP_KIND_EVENT, NULL, c1.envelope.ptr, c1.envelope.len, G_NOW,
                 WAMPE2E_ERR_WRONG_KIND);
    wampe2e_invocation *inv = g_invoke(bob, &c1, a_pk, "[2,3]");
    wampe2e_buf p0 = g_reply(bob, inv, WAMPE2E_GROUP_KIND_PROGRESS, NULL, G_PROC, "[\"half\"]");
    wampe2e_buf p1 = g_reply(bob, inv, WAMPE2E_GROUP_KIND_PROGRESS, NULL, G_PROC, "[\"almost\"]");
    wampe2e_buf r2 = g_reply(bob, inv, WAMPE2E_GROUP_KIND_RESULT, NULL, G_PROC, "[5]");
    wampe2e_invocation_info info;
    EXPECT(wampe2e_invocation_get_info(inv, &info), WAMPE2E_OK);
    CHECK(info.next_seq == 3 && info.finished);
    wampe2e_buf late = {NULL, 0};
    wampe2e_buf pl = g_plain(G_PROC, "[6]");
    EXPECT(wampe2e_group_seal_reply(bob, inv, WAMPE2E_GROUP_KIND_RESULT, NULL, 0, pl.ptr, pl.len, &late),
           WAMPE2E_ERR_INVALID_ARGUMENT); /* finished */
    CHECK(late.ptr == NULL);
    wampe2e_invocation_free(inv);

    g_open_reply_fails(alice, c1.call_hash, WAMPE2E_GROUP_KIND_PROGRESS, NULL, NULL, p1.ptr, p1.len,
                       WAMPE2E_ERR_OUT_OF_ORDER);
    g_open_reply_ok(alice, c1.call_hash, WAMPE2E_GROUP_KIND_PROGRESS, NULL, &p0, b_pk, 0, G_PROC, "[\"half\"]");
    g_open_reply_fails(alice, c1.call_hash, WAMPE2E_GROUP_KIND_PROGRESS, NULL, NULL, p0.ptr, p0.len,
                       WAMPE2E_ERR_REPLAYED);
    g_open_reply_ok(alice, c1.call_hash, WAMPE2E_GROUP_KIND_PROGRESS, NULL, &p1, b_pk, 1, G_PROC, "[\"almost\"]");
    g_open_reply_fails(alice, c1.call_hash, WAMPE2E_GROUP_KIND_PROGRESS, NULL, NULL, r2.ptr, r2.len,
                       WAMPE2E_ERR_WRONG_KIND); /* progress flag disagrees with the type */
    g_open_reply_fails(alice, c1.call_hash, WAMPE2E_GROUP_KIND_RESULT, NULL, c1.key_id, r2.ptr, r2.len,
                       WAMPE2E_ERR_KEY_ID_MISMATCH); /* a reply carries no key id */
    r2.ptr[r2.len - 1] ^= 0x80;
    g_open_reply_fails(alice, c1.call_hash, WAMPE2E_GROUP_KIND_RESULT, NULL, NULL, r2.ptr, r2.len,
                       WAMPE2E_ERR_BAD_SIGNATURE);
    r2.ptr[r2.len - 1] ^= 0x80;
    g_open_reply_fails(alice, c1.call_hash, WAMPE2E_GROUP_KIND_RESULT, NULL, NULL, r2.ptr, 30,
                       WAMPE2E_ERR_MALFORMED);
    g_open_reply_ok(alice, c1.call_hash, WAMPE2E_GROUP_KIND_RESULT, NULL, &r2, b_pk, 2, G_PROC, "[5]");
    EXPECT(wampe2e_group_get_stats(alice, &st), WAMPE2E_OK);
    CHECK(st.pending_calls == 0);
    g_open_reply_fails(alice, c1.call_hash, WAMPE2E_GROUP_KIND_RESULT, NULL, NULL, r2.ptr, r2.len,
                       WAMPE2E_ERR_UNSOLICITED); /* after the final one */
    wampe2e_buf_free(&p0);
    wampe2e_buf_free(&p1);
    wampe2e_buf_free(&r2);

    /* Call 2: answered with an error. */
    const char *err_uri = "com.example.error.too_big";
    wampe2e_group_sealed c2 = g_seal(alice, G_PROC, WAMPE2E_GROUP_KIND_CALL, "[1000]", G_NOW);
    inv = g_invoke(bob, &c2, a_pk, "[1000]");
    EXPECT(wampe2e_group_seal_reply(bob, inv, WAMPE2E_GROUP_KIND_ERROR, NULL, 0, pl.ptr, pl.len, &late),
           WAMPE2E_ERR_INVALID_ARGUMENT); /* an error needs its URI */
    EXPECT(wampe2e_group_seal_reply(bob, inv, WAMPE2E_GROUP_KIND_EVENT, NULL, 0, pl.ptr, pl.len, &late),
           WAMPE2E_ERR_INVALID_ARGUMENT); /* not a reply kind */
    wampe2e_buf er = g_reply(bob, inv, WAMPE2E_GROUP_KIND_ERROR, err_uri, err_uri, "[\"limit is 100\"]");
    wampe2e_invocation_free(inv);
    g_open_reply_fails(alice, c2.call_hash, WAMPE2E_GROUP_KIND_ERROR, NULL, NULL, er.ptr, er.len,
                       WAMPE2E_ERR_INVALID_ARGUMENT); /* the caller passes the ERROR's URI */
    g_open_reply_ok(alice, c2.call_hash, WAMPE2E_GROUP_KIND_ERROR, err_uri, &er, b_pk, 0, err_uri,
                    "[\"limit is 100\"]");
    wampe2e_buf_free(&er);

    /* Call 3: forgotten by the caller (timeout); its reply is then unsolicited. */
    wampe2e_group_sealed c3 = g_seal(alice, G_PROC, WAMPE2E_GROUP_KIND_CALL, "[7]", G_NOW);
    inv = g_invoke(bob, &c3, a_pk, "[7]");
    wampe2e_buf r3 = g_reply(bob, inv, WAMPE2E_GROUP_KIND_RESULT, NULL, G_PROC, "[8]");
    wampe2e_invocation_free(inv);
    bool forgotten = false;
    EXPECT(wampe2e_group_forget_call(alice, c3.call_hash, 32, &forgotten), WAMPE2E_OK);
    CHECK(forgotten);
    EXPECT(wampe2e_group_forget_call(alice, c3.call_hash, 32, &forgotten), WAMPE2E_OK);
    CHECK(!forgotten);
    EXPECT(wampe2e_group_forget_call(alice, c3.call_hash, 3, NULL), WAMPE2E_ERR_INVALID_ARGUMENT);
    g_open_reply_fails(alice, c3.call_hash, WAMPE2E_GROUP_KIND_RESULT, NULL, NULL, r3.ptr, r3.len,
                       WAMPE2E_ERR_UNSOLICITED);
    wampe2e_buf_free(&r3);

    /* A call opened without asking for its invocation; the envelope header of a call. */
    wampe2e_group_sealed c4 = g_seal(alice, G_PROC, WAMPE2E_GROUP_KIND_CALL, "[9]", G_NOW);
    wampe2e_group_opened o;
    EXPECT(wampe2e_group_open(bob, S(G_PROC), WAMPE2E_GROUP_KIND_CALL, NULL, 0, c4.envelope.ptr, c4.envelope.len,
                              G_NOW, &o, NULL),
           WAMPE2E_OK);
    wampe2e_buf_free(&o.plaintext);
    wampe2e_group_header h;
    EXPECT(wampe2e_group_envelope_header(c4.envelope.ptr, c4.envelope.len, WAMPE2E_GROUP_KIND_CALL, &h), WAMPE2E_OK);
    CHECK(h.index == c4.index && memcmp(h.sender, a_pk, 32) == 0);
    EXPECT(wampe2e_group_envelope_header(c4.envelope.ptr, c4.envelope.len, WAMPE2E_GROUP_KIND_EVENT, &h),
           WAMPE2E_ERR_WRONG_KIND);
    EXPECT(wampe2e_group_forget_call(alice, c4.call_hash, 32, NULL), WAMPE2E_OK);

    wampe2e_buf_free(&pl);
    wampe2e_buf_free(&c1.envelope);
    wampe2e_buf_free(&c2.envelope);
    wampe2e_buf_free(&c3.envelope);
    wampe2e_buf_free(&c4.envelope);
    wampe2e_group_free(alice);
    wampe2e_group_free(bob);
    wampe2e_identity_free(alice_id);
    wampe2e_identity_free(bob_id);
}

/* Every required pointer of the group API, NULL: NULL_ARGUMENT, nothing written. */
static void test_group_null_arguments(void) {
    uint8_t pk[32], h32[32] = {0};
    char fp[WAMPE2E_FINGERPRINT_SIZE];
    wampe2e_identity *id = g_identity(pk), *out_id = NULL;
    wampe2e_group *g = g_group(id, pk, pk), *out_g = NULL;
    wampe2e_buf b = {NULL, 0}, b2 = {NULL, 0};
    const uint8_t x[1] = {1};
    bool flag;
    const wampe2e_result N = WAMPE2E_ERR_NULL_ARGUMENT;

    EXPECT(wampe2e_identity_generate(NULL), N);
    EXPECT(wampe2e_identity_from_seed(NULL, 32, &out_id), N);
    EXPECT(wampe2e_identity_from_seed((const char *)h32, 32, NULL), N);
    EXPECT(wampe2e_identity_public_key(NULL, pk), N);
    EXPECT(wampe2e_identity_public_key(id, NULL), N);
    EXPECT(wampe2e_identity_seed(NULL, pk), N);
    EXPECT(wampe2e_identity_seed(id, NULL), N);
    EXPECT(wampe2e_identity_fingerprint(NULL, 32, fp), N);
    EXPECT(wampe2e_identity_fingerprint(pk, 32, NULL), N);
    EXPECT(wampe2e_identity_key_procedure(NULL, 32, NULL, 0, &b), N);
    EXPECT(wampe2e_identity_key_procedure(pk, 32, NULL, 0, NULL), N);
    CHECK(out_id == NULL && b.ptr == NULL);

    EXPECT(wampe2e_group_params_default(NULL), N);
    EXPECT(wampe2e_group_new(NULL, NULL, &out_g), N);
    EXPECT(wampe2e_group_new(id, NULL, NULL), N);
    CHECK(out_g == NULL);
    EXPECT(wampe2e_group_public_key(NULL, pk), N);
    EXPECT(wampe2e_group_public_key(g, NULL), N);
    EXPECT(wampe2e_group_set_entry(NULL, S(G_PREFIX), pk, 1, pk, 1), N);
    EXPECT(wampe2e_group_set_entry(g, NULL, 0, pk, 1, pk, 1), N);
    EXPECT(wampe2e_group_set_entry(g, S(G_PREFIX), NULL, 1, pk, 1), N);
    EXPECT(wampe2e_group_set_entry(g, S(G_PREFIX), pk, 1, NULL, 1), N);
    EXPECT(wampe2e_group_set_entry(g, S("org.empty."), NULL, 0, NULL, 0), WAMPE2E_OK); /* empty sets */
    EXPECT(wampe2e_group_set_entry(g, "\xff", 1, NULL, 0, NULL, 0), WAMPE2E_ERR_INVALID_UTF8);
    EXPECT(wampe2e_group_remove_entry(NULL, S(G_PREFIX), &flag), N);
    EXPECT(wampe2e_group_remove_entry(g, NULL, 0, &flag), N);
    EXPECT(wampe2e_group_remove_entry(g, S("org.empty."), NULL), WAMPE2E_OK); /* removed may be NULL */
    EXPECT(wampe2e_group_select(NULL, S(G_TOPIC), &b), N);
    EXPECT(wampe2e_group_select(g, NULL, 0, &b), N);
    EXPECT(wampe2e_group_select(g, S(G_TOPIC), NULL), N);
    EXPECT(wampe2e_group_set_authorize(NULL, NULL, NULL), N);
    EXPECT(wampe2e_group_rotate(NULL, S(G_PREFIX), &flag), N);
    EXPECT(wampe2e_group_rotate(g, NULL, 0, &flag), N);
    wampe2e_group_session cur;
    EXPECT(wampe2e_group_current_session(NULL, S(G_PREFIX), &flag, &cur), N);
    EXPECT(wampe2e_group_current_session(g, NULL, 0, &flag, &cur), N);
    EXPECT(wampe2e_group_current_session(g, S(G_PREFIX), NULL, &cur), N);
    EXPECT(wampe2e_group_current_session(g, S(G_PREFIX), &flag, NULL), N);
    wampe2e_group_stats st;
    EXPECT(wampe2e_group_get_stats(NULL, &st), N);
    EXPECT(wampe2e_group_get_stats(g, NULL), N);

    EXPECT(wampe2e_group_plaintext_from_json(NULL, 0, NULL, 0, NULL, 0, &b), N);
    EXPECT(wampe2e_group_plaintext_from_json(S(G_TOPIC), NULL, 0, NULL, 0, NULL), N);
    EXPECT(wampe2e_group_plaintext_from_json(S(G_TOPIC), S("[1,"), NULL, 0, &b), WAMPE2E_ERR_INVALID_JSON);
    EXPECT(wampe2e_group_plaintext_to_json(NULL, 0, x, 1, &b, &b2), N);
    EXPECT(wampe2e_group_plaintext_to_json(S(G_TOPIC), NULL, 0, &b, &b2), N);
    EXPECT(wampe2e_group_plaintext_to_json(S(G_TOPIC), x, 1, NULL, &b2), N);
    EXPECT(wampe2e_group_plaintext_to_json(S(G_TOPIC), x, 1, &b, NULL), N);
    CHECK(b.ptr == NULL && b2.ptr == NULL);

    wampe2e_group_sealed s;
    EXPECT(wampe2e_group_seal(NULL, S(G_TOPIC), WAMPE2E_GROUP_KIND_EVENT, x, 1, G_NOW, &s), N);
    EXPECT(wampe2e_group_seal(g, NULL, 0, WAMPE2E_GROUP_KIND_EVENT, x, 1, G_NOW, &s), N);
    EXPECT(wampe2e_group_seal(g, S(G_TOPIC), WAMPE2E_GROUP_KIND_EVENT, NULL, 0, G_NOW, &s), N);
    EXPECT(wampe2e_group_seal(g, S(G_TOPIC), WAMPE2E_GROUP_KIND_EVENT, x, 1, G_NOW, NULL), N);
    wampe2e_group_opened o;
    wampe2e_invocation *inv = NULL;
    EXPECT(wampe2e_group_open(NULL, S(G_TOPIC), WAMPE2E_GROUP_KIND_EVENT, NULL, 0, x, 1, G_NOW, &o, &inv), N);
    EXPECT(wampe2e_group_open(g, NULL, 0, WAMPE2E_GROUP_KIND_EVENT, NULL, 0, x, 1, G_NOW, &o, &inv), N);
    EXPECT(wampe2e_group_open(g, S(G_TOPIC), WAMPE2E_GROUP_KIND_EVENT, NULL, 0, NULL, 0, G_NOW, &o, &inv), N);
    EXPECT(wampe2e_group_open(g, S(G_TOPIC), WAMPE2E_GROUP_KIND_EVENT, NULL, 0, x, 1, G_NOW, NULL, &inv), N);
    CHECK(inv == NULL);
    wampe2e_group_header h;
    EXPECT(wampe2e_group_envelope_header(NULL, 0, WAMPE2E_GROUP_KIND_EVENT, &h), N);
    EXPECT(wampe2e_group_envelope_header(x, 1, WAMPE2E_GROUP_KIND_EVENT, NULL), N);
    EXPECT(wampe2e_group_envelope_header(x, 1, WAMPE2E_GROUP_KIND_EVENT, &h), WAMPE2E_ERR_MALFORMED);

    wampe2e_invocation_info info;
    EXPECT(wampe2e_invocation_get_info(NULL, &info), N);
    EXPECT(wampe2e_group_seal_reply(g, NULL, WAMPE2E_GROUP_KIND_RESULT, NULL, 0, x, 1, &b), N);
    EXPECT(wampe2e_group_seal_reply(NULL, NULL, WAMPE2E_GROUP_KIND_RESULT, NULL, 0, x, 1, &b), N);
    EXPECT(wampe2e_group_seal_reply(g, NULL, WAMPE2E_GROUP_KIND_RESULT, NULL, 0, x, 1, NULL), N);
    wampe2e_group_reply r;
    EXPECT(wampe2e_group_open_reply(NULL, h32, 32, WAMPE2E_GROUP_KIND_RESULT, NULL, 0, NULL, 0, x, 1, &r), N);
    EXPECT(wampe2e_group_open_reply(g, NULL, 32, WAMPE2E_GROUP_KIND_RESULT, NULL, 0, NULL, 0, x, 1, &r), N);
    EXPECT(wampe2e_group_open_reply(g, h32, 32, WAMPE2E_GROUP_KIND_RESULT, NULL, 0, NULL, 0, NULL, 0, &r), N);
    EXPECT(wampe2e_group_open_reply(g, h32, 32, WAMPE2E_GROUP_KIND_RESULT, NULL, 0, NULL, 0, x, 1, NULL), N);
    EXPECT(wampe2e_group_open_reply(g, h32, 31, WAMPE2E_GROUP_KIND_RESULT, NULL, 0, NULL, 0, x, 1, &r),
           WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_group_forget_call(NULL, h32, 32, &flag), N);
    EXPECT(wampe2e_group_forget_call(g, NULL, 32, &flag), N);

    wampe2e_key_request req;
    EXPECT(wampe2e_group_key_request(NULL, pk, 32, NULL, 0, 0, S(G_PREFIX), G_NOW, &req), N);
    EXPECT(wampe2e_group_key_request(g, NULL, 32, NULL, 0, 0, S(G_PREFIX), G_NOW, &req), N);
    EXPECT(wampe2e_group_key_request(g, pk, 32, NULL, 0, 0, NULL, 0, G_NOW, &req), N);
    EXPECT(wampe2e_group_key_request(g, pk, 32, NULL, 0, 0, S(G_PREFIX), G_NOW, NULL), N);
    EXPECT(wampe2e_group_cancel_key_request(NULL, h32, 32, &flag), N);
    EXPECT(wampe2e_group_cancel_key_request(g, NULL, 32, &flag), N);
    EXPECT(wampe2e_group_answer_key_request(NULL, x, 1, G_NOW, &b), N);
    EXPECT(wampe2e_group_answer_key_request(g, NULL, 0, G_NOW, &b), N);
    EXPECT(wampe2e_group_answer_key_request(g, x, 1, G_NOW, NULL), N);
    EXPECT(wampe2e_group_accept_key_response(NULL, h32, 32, x, 1, G_NOW, NULL), N);
    EXPECT(wampe2e_group_accept_key_response(g, NULL, 32, x, 1, G_NOW, NULL), N);
    EXPECT(wampe2e_group_accept_key_response(g, h32, 32, NULL, 0, G_NOW, NULL), N);
    CHECK(b.ptr == NULL);

    /* _free(NULL) is a no-op. */
    wampe2e_identity_free(NULL);
    wampe2e_group_free(NULL);
    wampe2e_invocation_free(NULL);

    wampe2e_group_free(g);
    wampe2e_identity_free(id);
}

/* Four threads seal and open on the same two groups at once. */
struct g_thread_ctx {
    const wampe2e_group *alice, *bob;
    char topic[32];
    int opened, wrong;
};

static void *g_thread(void *arg) {
    struct g_thread_ctx *c = arg;
    for (int i = 0; i < 50; i++) {
        wampe2e_buf p = {NULL, 0};
        if (wampe2e_group_plaintext_from_json(S(c->topic), S("[1]"), NULL, 0, &p) != WAMPE2E_OK) { c->wrong++; continue; }
        wampe2e_group_sealed s;
        if (wampe2e_group_seal(c->alice, S(c->topic), WAMPE2E_GROUP_KIND_EVENT, p.ptr, p.len, G_NOW, &s) != WAMPE2E_OK) {
            c->wrong++;
            wampe2e_buf_free(&p);
            continue;
        }
        wampe2e_group_opened o;
        if (wampe2e_group_open(c->bob, S(c->topic), WAMPE2E_GROUP_KIND_EVENT, s.key_id, strlen(s.key_id), s.envelope.ptr,
                               s.envelope.len, G_NOW, &o, NULL) == WAMPE2E_OK) {
            if (o.plaintext.len == p.len && memcmp(o.plaintext.ptr, p.ptr, p.len) == 0) c->opened++; else c->wrong++;
            wampe2e_buf_free(&o.plaintext);
        } else {
            c->wrong++;
        }
        wampe2e_buf_free(&s.envelope);
        wampe2e_buf_free(&p);
    }
    return NULL;
}

/* The wire of §12.1 from the core: reading attributes, the inbound route, key
 * procedure URIs and refusal URIs. */
static void test_group_wire(void) {
    uint8_t apk[WAMPE2E_IDENTITY_KEY_SIZE], bpk[WAMPE2E_IDENTITY_KEY_SIZE];
    wampe2e_identity *a = g_identity(apk), *b = g_identity(bpk);
    wampe2e_group *bob = g_group(b, apk, bpk);
    const char *sid = "00112233445566778899aabbccddeeff";

    /* Reading attributes. */
    wampe2e_group_arrival arr;
    wampe2e_attribute enc[] = {{S("enc_algo"), S("x_wampe2e_gs1")}, {S("enc_serializer"), S("cbor")}, {S("enc_key"), S(sid)}};
    EXPECT(wampe2e_group_read_attributes(enc, 3, &arr), WAMPE2E_OK);
    CHECK(arr.scheme == WAMPE2E_GROUP_SCHEME_GS1 && arr.wire == WAMPE2E_GROUP_WIRE_ENC);
    CHECK(arr.key_id.len == 32 && memcmp(arr.key_id.ptr, sid, 32) == 0);
    wampe2e_buf_free(&arr.key_id);
    wampe2e_attribute ppt[] = {{S("ppt_scheme"), S("x_wampe2e")}, {S("ppt_serializer"), S("cbor")}, {S("ppt_cipher"), S("x_gs1")}};
    EXPECT(wampe2e_group_read_attributes(ppt, 3, &arr), WAMPE2E_OK);
    CHECK(arr.scheme == WAMPE2E_GROUP_SCHEME_GS1 && arr.wire == WAMPE2E_GROUP_WIRE_PPT);
    CHECK(arr.key_id.ptr == NULL && arr.key_id.len == 0); /* a reply: no key id */
    wampe2e_buf_free(&arr.key_id);
    EXPECT(wampe2e_group_read_attributes(NULL, 0, &arr), WAMPE2E_OK);
    CHECK(arr.scheme == WAMPE2E_GROUP_SCHEME_PLAIN && arr.key_id.ptr == NULL);
    wampe2e_attribute other[] = {{S("enc_algo"), S("cryptobox")}, {S("enc_serializer"), S("json")}};
    EXPECT(wampe2e_group_read_attributes(other, 2, &arr), WAMPE2E_OK);
    CHECK(arr.scheme == WAMPE2E_GROUP_SCHEME_OTHER);
    wampe2e_attribute both[] = {{S("enc_algo"), S("x_wampe2e_gs1")}, {S("enc_serializer"), S("cbor")}, {S("ppt_scheme"), S("x_wampe2e")}};
    EXPECT(wampe2e_group_read_attributes(both, 3, &arr), WAMPE2E_ERR_INVALID_ENVELOPE);
    EXPECT(wampe2e_group_read_attributes(enc, 1, &arr), WAMPE2E_ERR_INVALID_ENVELOPE); /* no serializer */
    wampe2e_attribute json[] = {{S("enc_algo"), S("x_wampe2e_gs1")}, {S("enc_serializer"), S("json")}};
    EXPECT(wampe2e_group_read_attributes(json, 2, &arr), WAMPE2E_ERR_UNKNOWN_SERIALIZER);
    wampe2e_attribute cipher[] = {{S("ppt_scheme"), S("x_wampe2e")}, {S("ppt_serializer"), S("cbor")}, {S("ppt_cipher"), S("x_other")}};
    EXPECT(wampe2e_group_read_attributes(cipher, 3, &arr), WAMPE2E_ERR_UNKNOWN_CIPHER);
    /* A value that is not a string: NULL. */
    wampe2e_attribute not_string[] = {{S("enc_algo"), S("x_wampe2e_gs1")}, {S("enc_serializer"), S("cbor")}, {S("enc_key"), NULL, 0}};
    EXPECT(wampe2e_group_read_attributes(not_string, 3, &arr), WAMPE2E_ERR_INVALID_ENVELOPE);
    wampe2e_attribute no_name[] = {{NULL, 0, S("x")}};
    EXPECT(wampe2e_group_read_attributes(no_name, 1, &arr), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_group_read_attributes(NULL, 1, &arr), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_group_read_attributes(enc, 3, NULL), WAMPE2E_ERR_NULL_ARGUMENT);
    wampe2e_attribute bad_utf8[] = {{S("enc_algo"), "\xff", 1}};
    EXPECT(wampe2e_group_read_attributes(bad_utf8, 1, &arr), WAMPE2E_ERR_INVALID_UTF8);

    /* The route. */
    wampe2e_group_routing route = WAMPE2E_GROUP_ROUTE_KEYRING;
    EXPECT(wampe2e_group_route(bob, WAMPE2E_MESSAGE_KIND_EVENT, S(G_TOPIC), WAMPE2E_GROUP_SCHEME_GS1, false, true, NULL, 0, &route), WAMPE2E_OK);
    CHECK(route == WAMPE2E_GROUP_ROUTE_OPEN);
    route = WAMPE2E_GROUP_ROUTE_OPEN;
    EXPECT(wampe2e_group_route(bob, WAMPE2E_MESSAGE_KIND_EVENT, S(G_TOPIC), WAMPE2E_GROUP_SCHEME_PLAIN, false, true, NULL, 0, &route), WAMPE2E_ERR_UNEXPECTED_PLAINTEXT);
    CHECK(route == WAMPE2E_GROUP_ROUTE_OPEN); /* untouched on failure */
    EXPECT(wampe2e_group_route(bob, WAMPE2E_MESSAGE_KIND_EVENT, S(G_TOPIC), WAMPE2E_GROUP_SCHEME_PLAIN, false, false, NULL, 0, &route), WAMPE2E_OK);
    CHECK(route == WAMPE2E_GROUP_ROUTE_PLAIN);
    EXPECT(wampe2e_group_route(bob, WAMPE2E_MESSAGE_KIND_EVENT, S(G_TOPIC), WAMPE2E_GROUP_SCHEME_OTHER, false, true, NULL, 0, &route), WAMPE2E_ERR_INVALID_ENVELOPE);
    EXPECT(wampe2e_group_route(bob, WAMPE2E_MESSAGE_KIND_EVENT, S("org.public"), WAMPE2E_GROUP_SCHEME_PLAIN, false, true, NULL, 0, &route), WAMPE2E_OK);
    CHECK(route == WAMPE2E_GROUP_ROUTE_KEYRING);
    EXPECT(wampe2e_group_route(bob, WAMPE2E_MESSAGE_KIND_INVOCATION, S("app.keys.ab"), WAMPE2E_GROUP_SCHEME_PLAIN, false, true, S("app.keys"), &route), WAMPE2E_OK);
    CHECK(route == WAMPE2E_GROUP_ROUTE_EXEMPT);
    EXPECT(wampe2e_group_route(bob, WAMPE2E_MESSAGE_KIND_ERROR, S("wamp.error.no_such_procedure"), WAMPE2E_GROUP_SCHEME_PLAIN, true, true, NULL, 0, &route), WAMPE2E_OK);
    CHECK(route == WAMPE2E_GROUP_ROUTE_PLAIN);
    EXPECT(wampe2e_group_route(bob, WAMPE2E_MESSAGE_KIND_RESULT, S("org.public"), WAMPE2E_GROUP_SCHEME_PLAIN, true, true, NULL, 0, &route), WAMPE2E_ERR_UNEXPECTED_PLAINTEXT);
    EXPECT(wampe2e_group_route(bob, 4, S(G_TOPIC), WAMPE2E_GROUP_SCHEME_GS1, false, true, NULL, 0, &route), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_group_route(bob, WAMPE2E_MESSAGE_KIND_EVENT, S(G_TOPIC), 3, false, true, NULL, 0, &route), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_group_route(NULL, WAMPE2E_MESSAGE_KIND_EVENT, S(G_TOPIC), WAMPE2E_GROUP_SCHEME_GS1, false, true, NULL, 0, &route), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_group_route(bob, WAMPE2E_MESSAGE_KIND_EVENT, NULL, 0, WAMPE2E_GROUP_SCHEME_GS1, false, true, NULL, 0, &route), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_group_route(bob, WAMPE2E_MESSAGE_KIND_EVENT, S(G_TOPIC), WAMPE2E_GROUP_SCHEME_GS1, false, true, NULL, 0, NULL), WAMPE2E_ERR_NULL_ARGUMENT);

    /* Key procedures. */
    bool is_key = false;
    EXPECT(wampe2e_group_is_key_procedure(S("wampe2e.key.ab"), NULL, 0, &is_key), WAMPE2E_OK);
    CHECK(is_key);
    EXPECT(wampe2e_group_is_key_procedure(S("wampe2e.key."), NULL, 0, &is_key), WAMPE2E_OK);
    CHECK(!is_key);
    EXPECT(wampe2e_group_is_key_procedure(S("app.keys.ab"), S("app.keys"), &is_key), WAMPE2E_OK);
    CHECK(is_key);
    EXPECT(wampe2e_group_is_key_procedure(S("wampe2e.key.ab"), S("app.keys"), &is_key), WAMPE2E_OK);
    CHECK(!is_key);
    EXPECT(wampe2e_group_is_key_procedure(NULL, 0, NULL, 0, &is_key), WAMPE2E_ERR_NULL_ARGUMENT);
    EXPECT(wampe2e_group_is_key_procedure(S("wampe2e.key.ab"), NULL, 0, NULL), WAMPE2E_ERR_NULL_ARGUMENT);

    /* Refusal URIs. */
    wampe2e_buf u = {NULL, 0};
    EXPECT(wampe2e_refusal_uri(WAMPE2E_ERR_KEY_REFUSED, &u), WAMPE2E_OK);
    CHECK(u.len == strlen("wampe2e.error.key_refused") && memcmp(u.ptr, "wampe2e.error.key_refused", u.len) == 0);
    wampe2e_buf_free(&u);
    EXPECT(wampe2e_refusal_uri(WAMPE2E_ERR_UNKNOWN_SESSION, &u), WAMPE2E_OK);
    CHECK(u.len == strlen("wampe2e.error.unknown_session") && memcmp(u.ptr, "wampe2e.error.unknown_session", u.len) == 0);
    wampe2e_buf_free(&u);
    EXPECT(wampe2e_refusal_uri(WAMPE2E_OK, &u), WAMPE2E_ERR_INVALID_ARGUMENT);
    CHECK(u.ptr == NULL);
    EXPECT(wampe2e_refusal_uri(9999, &u), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_refusal_uri(WAMPE2E_ERR_KEY_REFUSED, NULL), WAMPE2E_ERR_NULL_ARGUMENT);

    wampe2e_group_free(bob);
    wampe2e_identity_free(a);
    wampe2e_identity_free(b);
}

static void test_group_threads(void) {
    uint8_t a_pk[32], b_pk[32];
    wampe2e_identity *alice_id = g_identity(a_pk), *bob_id = g_identity(b_pk);
    wampe2e_group *alice = g_group(alice_id, a_pk, b_pk);
    wampe2e_group *bob = g_group(bob_id, a_pk, b_pk);
    /* One prefix per thread, so each thread's indices arrive in order; the groups are shared. */
    pthread_t t[4];
    struct g_thread_ctx c[4];
    for (int i = 0; i < 4; i++) {
        char prefix[16];
        snprintf(prefix, sizeof prefix, "com.t%d.", i);
        EXPECT(wampe2e_group_set_entry(alice, S(prefix), a_pk, 1, b_pk, 1), WAMPE2E_OK);
        EXPECT(wampe2e_group_set_entry(bob, S(prefix), a_pk, 1, b_pk, 1), WAMPE2E_OK);
        g_share_prefix(bob, alice, a_pk, NULL, 0, prefix);
        memset(&c[i], 0, sizeof c[i]);
        c[i].alice = alice;
        c[i].bob = bob;
        snprintf(c[i].topic, sizeof c[i].topic, "%stopic", prefix);
    }
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, g_thread, &c[i]) == 0);
    int opened = 0, wrong = 0;
    for (int i = 0; i < 4; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        opened += c[i].opened;
        wrong += c[i].wrong;
    }
    CHECK(opened == 200 && wrong == 0);
    wampe2e_group_session cur;
    bool found = false;
    EXPECT(wampe2e_group_current_session(alice, S("com.t3."), &found, &cur), WAMPE2E_OK);
    CHECK(found && cur.next == 50);
    wampe2e_group_stats st;
    EXPECT(wampe2e_group_get_stats(bob, &st), WAMPE2E_OK);
    CHECK(st.sessions_held == 4);
    wampe2e_group_free(alice);
    wampe2e_group_free(bob);
    wampe2e_identity_free(alice_id);
    wampe2e_identity_free(bob_id);
}

/* ---- the held queue (docs/gs1.md §11.6) ---- */

/* Holds the message `s` as `ticket`; checks the result and whether a fetch started. */
static void h_hold(const wampe2e_held *held, const wampe2e_group *g, const wampe2e_group_sealed *s, uint64_t ticket,
                   uint64_t now, wampe2e_result code, wampe2e_held_fetch *fetch, bool want_fetch) {
    wampe2e_held_fetch f;
    memset(&f, 0xab, sizeof f);
    bool needed = !want_fetch;
    EXPECT(wampe2e_held_hold(held, g, S(G_TOPIC), WAMPE2E_GROUP_KIND_EVENT, s->envelope.ptr, s->envelope.len, ticket,
                             now, &f, &needed),
           code);
    if (code != WAMPE2E_OK) {
        wampe2e_held_fetch sentinel;
        memset(&sentinel, 0xab, sizeof sentinel);
        CHECK(needed == !want_fetch && memcmp(&f, &sentinel, sizeof f) == 0); /* untouched */
        return;
    }
    CHECK(needed == want_fetch);
    if (!want_fetch) {
        CHECK(f.procedure.ptr == NULL && f.request.ptr == NULL && f.request_hash[0] == 0);
        wampe2e_held_fetch_free(&f); /* a no-op, and allowed */
        return;
    }
    CHECK(f.procedure.ptr != NULL && f.request.ptr != NULL);
    CHECK(memcmp(f.session_id, s->session_id, 16) == 0);
    if (fetch) *fetch = f;
    else wampe2e_held_fetch_free(&f);
}

/* Checks tickets against want[n] (in order unless `any_order`) and frees them. */
static void h_tickets(wampe2e_held_tickets *t, const uint64_t *want, size_t n, int any_order) {
    CHECK(t->len == n);
    if (n == 0) CHECK(t->ptr == NULL);
    for (size_t i = 0; i < n && i < t->len; i++) {
        if (!any_order) {
            CHECK(t->ptr[i] == want[i]);
            continue;
        }
        int found = 0;
        for (size_t j = 0; j < n; j++) found |= t->ptr[i] == want[j];
        CHECK(found);
    }
    wampe2e_held_tickets_free(t);
    CHECK(t->ptr == NULL && t->len == 0);
    wampe2e_held_tickets_free(t); /* twice: a no-op */
}

static void test_group_held(void) {
    uint8_t a_pk[32], b_pk[32];
    wampe2e_identity *alice_id = g_identity(a_pk), *bob_id = g_identity(b_pk);
    wampe2e_group *alice = g_group(alice_id, a_pk, b_pk);
    wampe2e_group *bob = g_group(bob_id, a_pk, b_pk);
    wampe2e_held_limits lim;
    EXPECT(wampe2e_held_limits_default(&lim), WAMPE2E_OK);
    CHECK(lim.max_per_session == 256 && lim.max_total == 4096 && lim.max_wait_ms == 10000);
    wampe2e_held *held = NULL;
    EXPECT(wampe2e_held_new(NULL, NULL, 0, &held), WAMPE2E_OK);
    wampe2e_held_tickets t = {NULL, 0};
    wampe2e_group_stats st;
    size_t n = 99, fetches = 99;

    /* One fetch for four events (the router delivers 3 before 1 and 2, and 1 twice);
     * the client keeps ticket -> message: here, ticket -> index into e[] (+ 100, 200 for the duplicate). */
    wampe2e_group_sealed e[4];
    for (int i = 0; i < 4; i++) {
        char args[8];
        snprintf(args, sizeof args, "[%d]", i);
        e[i] = g_seal(alice, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, args, G_NOW);
    }
    g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, e[0].key_id, e[0].envelope.ptr, e[0].envelope.len, G_NOW,
                 WAMPE2E_ERR_UNKNOWN_SESSION);
    wampe2e_held_fetch f;
    h_hold(held, bob, &e[0], 100, G_NOW, WAMPE2E_OK, &f, true);
    wampe2e_buf proc = {NULL, 0};
    EXPECT(wampe2e_identity_key_procedure(a_pk, 32, NULL, 0, &proc), WAMPE2E_OK);
    CHECK(f.procedure.len == proc.len && memcmp(f.procedure.ptr, proc.ptr, proc.len) == 0);
    wampe2e_buf_free(&proc);
    CHECK(memcmp(f.sender, a_pk, 32) == 0);
    h_hold(held, bob, &e[3], 103, G_NOW, WAMPE2E_OK, NULL, false);
    h_hold(held, bob, &e[1], 101, G_NOW, WAMPE2E_OK, NULL, false);
    h_hold(held, bob, &e[2], 102, G_NOW, WAMPE2E_OK, NULL, false);
    h_hold(held, bob, &e[1], 201, G_NOW, WAMPE2E_OK, NULL, false);
    EXPECT(wampe2e_held_len(held, &n, &fetches), WAMPE2E_OK);
    CHECK(n == 5 && fetches == 1);
    EXPECT(wampe2e_group_get_stats(bob, &st), WAMPE2E_OK);
    CHECK(st.pending_key_requests == 1);
    /* The CALL to f.procedure with f.request; alice's key procedure answers; bob accepts. */
    wampe2e_buf resp = {NULL, 0};
    EXPECT(wampe2e_group_answer_key_request(alice, f.request.ptr, f.request.len, G_NOW, &resp), WAMPE2E_OK);
    EXPECT(wampe2e_group_accept_key_response(bob, f.request_hash, 32, resp.ptr, resp.len, G_NOW, NULL), WAMPE2E_OK);
    wampe2e_buf_free(&resp);
    /* Released in index order (the duplicate after the original), each opened on its own. */
    EXPECT(wampe2e_held_release(held, f.request_hash, 32, &t), WAMPE2E_OK);
    const uint64_t order[] = {100, 101, 201, 102, 103};
    CHECK(t.len == 5);
    for (size_t i = 0; i < t.len && i < 5; i++) {
        CHECK(t.ptr[i] == order[i]);
        const wampe2e_group_sealed *m = &e[t.ptr[i] % 100];
        char args[8];
        snprintf(args, sizeof args, "[%u]", (unsigned)(t.ptr[i] % 100));
        if (t.ptr[i] >= 200)
            g_open_fails(bob, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, m->key_id, m->envelope.ptr, m->envelope.len, G_NOW,
                         WAMPE2E_ERR_REPLAYED);
        else
            g_open_event(bob, G_TOPIC, m, a_pk, (uint32_t)(t.ptr[i] % 100), args);
    }
    h_tickets(&t, order, 5, 0);
    EXPECT(wampe2e_held_release(held, f.request_hash, 32, &t), WAMPE2E_OK); /* nothing twice */
    h_tickets(&t, NULL, 0, 0);
    EXPECT(wampe2e_held_len(held, &n, NULL), WAMPE2E_OK);
    CHECK(n == 0);
    wampe2e_held_fetch_free(&f);
    CHECK(f.procedure.ptr == NULL && f.request.ptr == NULL);
    wampe2e_held_fetch_free(&f);
    wampe2e_held_fetch_free(NULL);
    for (int i = 0; i < 4; i++) wampe2e_buf_free(&e[i].envelope);
    wampe2e_held_free(held);

    /* Overflow: 2 per session, 3 in all; then the fetches expire (KEY_FETCH_FAILED),
     * the session is refused with that code for max_wait_ms, and a late answer is unsolicited. */
    wampe2e_held_limits small = {2, 3, 1000};
    EXPECT(wampe2e_held_new(&small, NULL, 0, &held), WAMPE2E_OK);
    bool rotated = false;
    wampe2e_group_sealed s1[3], s2[2];
    for (int i = 0; i < 3; i++) s1[i] = g_seal(alice, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, "[1]", G_NOW);
    EXPECT(wampe2e_group_rotate(alice, S(G_PREFIX), &rotated), WAMPE2E_OK);
    CHECK(rotated);
    for (int i = 0; i < 2; i++) s2[i] = g_seal(alice, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, "[2]", G_NOW);
    CHECK(memcmp(s1[0].session_id, s2[0].session_id, 16) != 0);
    h_hold(held, bob, &s1[0], 10, G_NOW, WAMPE2E_OK, NULL, true);
    h_hold(held, bob, &s1[1], 11, G_NOW, WAMPE2E_OK, NULL, false);
    h_hold(held, bob, &s1[2], 12, G_NOW, WAMPE2E_ERR_HOLD_OVERFLOW, NULL, false); /* per session */
    h_hold(held, bob, &s2[0], 20, G_NOW, WAMPE2E_OK, &f, true); /* alice's current session */
    h_hold(held, bob, &s2[1], 21, G_NOW, WAMPE2E_ERR_HOLD_OVERFLOW, NULL, false); /* in all */
    EXPECT(wampe2e_held_len(held, &n, &fetches), WAMPE2E_OK);
    CHECK(n == 3 && fetches == 2);
    EXPECT(wampe2e_held_expire(held, bob, G_NOW + 999, &t), WAMPE2E_OK);
    h_tickets(&t, NULL, 0, 0);
    EXPECT(wampe2e_held_expire(held, bob, G_NOW + 1000, &t), WAMPE2E_OK);
    const uint64_t expired[] = {10, 11, 20};
    h_tickets(&t, expired, 3, 1); /* report each with WAMPE2E_ERR_KEY_FETCH_FAILED */
    EXPECT(wampe2e_group_get_stats(bob, &st), WAMPE2E_OK);
    CHECK(st.pending_key_requests == 0);
    h_hold(held, bob, &s1[2], 12, G_NOW + 1500, WAMPE2E_ERR_KEY_FETCH_FAILED, NULL, false);
    EXPECT(wampe2e_group_answer_key_request(alice, f.request.ptr, f.request.len, G_NOW, &resp), WAMPE2E_OK);
    EXPECT(wampe2e_group_accept_key_response(bob, f.request_hash, 32, resp.ptr, resp.len, G_NOW, NULL),
           WAMPE2E_ERR_UNSOLICITED);
    wampe2e_buf_free(&resp);
    wampe2e_held_fetch_free(&f);
    for (int i = 0; i < 3; i++) wampe2e_buf_free(&s1[i].envelope);
    for (int i = 0; i < 2; i++) wampe2e_buf_free(&s2[i].envelope);
    wampe2e_held_free(held);

    /* A refused fetch: the key procedure answers the ERROR wampe2e.error.key_refused. */
    EXPECT(wampe2e_held_new(&small, S("app.keys"), &held), WAMPE2E_OK);
    EXPECT(wampe2e_group_rotate(alice, S(G_PREFIX), &rotated), WAMPE2E_OK);
    wampe2e_group_sealed r[3];
    for (int i = 0; i < 3; i++) r[i] = g_seal(alice, G_TOPIC, WAMPE2E_GROUP_KIND_EVENT, "[3]", G_NOW);
    h_hold(held, bob, &r[0], 30, G_NOW, WAMPE2E_OK, &f, true);
    CHECK(f.procedure.len > 9 && memcmp(f.procedure.ptr, "app.keys.", 9) == 0);
    h_hold(held, bob, &r[1], 31, G_NOW, WAMPE2E_OK, NULL, false);
    wampe2e_buf refusal = {NULL, 0};
    EXPECT(wampe2e_refusal_uri(WAMPE2E_ERR_KEY_REFUSED, &refusal), WAMPE2E_OK);
    wampe2e_result code = wampe2e_held_fetch_error((const char *)refusal.ptr, refusal.len);
    CHECK(code == WAMPE2E_ERR_KEY_REFUSED);
    wampe2e_buf_free(&refusal);
    EXPECT(wampe2e_held_fail(held, bob, f.request_hash, 32, 0, G_NOW + 5, &t), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_held_fail(held, bob, f.request_hash, 32, 9999, G_NOW + 5, &t), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_held_fail(held, bob, f.request_hash, 31, code, G_NOW + 5, &t), WAMPE2E_ERR_INVALID_ARGUMENT);
    CHECK(t.ptr == NULL && t.len == 0);
    EXPECT(wampe2e_held_len(held, &n, NULL), WAMPE2E_OK);
    CHECK(n == 2); /* nothing lost by the refused calls */
    EXPECT(wampe2e_held_fail(held, bob, f.request_hash, 32, code, G_NOW + 5, &t), WAMPE2E_OK);
    const uint64_t refused[] = {30, 31};
    h_tickets(&t, refused, 2, 0); /* report each with WAMPE2E_ERR_KEY_REFUSED */
    EXPECT(wampe2e_group_get_stats(bob, &st), WAMPE2E_OK);
    CHECK(st.pending_key_requests == 0);
    h_hold(held, bob, &r[2], 32, G_NOW + 500, WAMPE2E_ERR_KEY_REFUSED, NULL, false); /* no new fetch... */
    h_hold(held, bob, &r[2], 32, G_NOW + 1006, WAMPE2E_OK, NULL, true);              /* ...until max_wait_ms */
    wampe2e_held_fetch_free(&f);

    /* Error URIs: refusals give their codes, anything else KEY_FETCH_FAILED. */
    EXPECT(wampe2e_held_fetch_error(S("wampe2e.error.unknown_session")), WAMPE2E_ERR_UNKNOWN_SESSION);
    EXPECT(wampe2e_held_fetch_error(S("wampe2e.error.key_request_stale")), WAMPE2E_ERR_KEY_REQUEST_STALE);
    EXPECT(wampe2e_held_fetch_error(S("wamp.error.no_such_procedure")), WAMPE2E_ERR_KEY_FETCH_FAILED);
    EXPECT(wampe2e_held_fetch_error(S("wampe2e.error.decryption_failed")), WAMPE2E_ERR_KEY_FETCH_FAILED);
    EXPECT(wampe2e_held_fetch_error("\xff", 1), WAMPE2E_ERR_KEY_FETCH_FAILED);
    EXPECT(wampe2e_held_fetch_error("", 0), WAMPE2E_ERR_KEY_FETCH_FAILED);

    /* What cannot be held, and bad arguments. */
    h_hold(held, bob, &r[1], 33, G_NOW + 1006, WAMPE2E_OK, NULL, false);
    wampe2e_held_fetch hf;
    bool needed = false;
    const uint8_t junk[2] = {1, 1};
    wampe2e_held *h2 = NULL;
    EXPECT(wampe2e_held_new(NULL, NULL, 0, &h2), WAMPE2E_OK);
    EXPECT(wampe2e_held_hold(h2, bob, S("org.other.t"), WAMPE2E_GROUP_KIND_EVENT, r[0].envelope.ptr,
                             r[0].envelope.len, 1, G_NOW, &hf, &needed),
           WAMPE2E_ERR_KEY_NOT_FOUND);
    EXPECT(wampe2e_held_hold(h2, bob, S(G_TOPIC), WAMPE2E_GROUP_KIND_CALL, r[0].envelope.ptr, r[0].envelope.len, 1,
                             G_NOW, &hf, &needed),
           WAMPE2E_ERR_WRONG_KIND);
    EXPECT(wampe2e_held_hold(h2, bob, S(G_TOPIC), WAMPE2E_GROUP_KIND_RESULT, r[0].envelope.ptr, r[0].envelope.len,
                             1, G_NOW, &hf, &needed),
           WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_held_hold(h2, bob, S(G_TOPIC), 9, r[0].envelope.ptr, r[0].envelope.len, 1, G_NOW, &hf, &needed),
           WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_held_hold(h2, bob, S(G_TOPIC), WAMPE2E_GROUP_KIND_EVENT, junk, 2, 1, G_NOW, &hf, &needed),
           WAMPE2E_ERR_MALFORMED);
    EXPECT(wampe2e_held_hold(h2, bob, "\xff", 1, WAMPE2E_GROUP_KIND_EVENT, junk, 2, 1, G_NOW, &hf, &needed),
           WAMPE2E_ERR_INVALID_UTF8);
    EXPECT(wampe2e_held_len(h2, &n, NULL), WAMPE2E_OK);
    CHECK(n == 0);
    wampe2e_held *out = NULL;
    wampe2e_held_limits zero = {1, 1, 0};
    EXPECT(wampe2e_held_new(&zero, NULL, 0, &out), WAMPE2E_ERR_INVALID_ARGUMENT);
    zero.max_wait_ms = 1;
    zero.max_total = 0;
    EXPECT(wampe2e_held_new(&zero, NULL, 0, &out), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_held_new(NULL, "", 0, &out), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_held_new(NULL, "\xff", 1, &out), WAMPE2E_ERR_INVALID_UTF8);
    CHECK(out == NULL);

    const wampe2e_result N = WAMPE2E_ERR_NULL_ARGUMENT;
    uint8_t h32[32] = {0};
    EXPECT(wampe2e_held_limits_default(NULL), N);
    EXPECT(wampe2e_held_new(NULL, NULL, 0, NULL), N);
    EXPECT(wampe2e_held_hold(NULL, bob, S(G_TOPIC), 1, junk, 2, 1, G_NOW, &hf, &needed), N);
    EXPECT(wampe2e_held_hold(h2, NULL, S(G_TOPIC), 1, junk, 2, 1, G_NOW, &hf, &needed), N);
    EXPECT(wampe2e_held_hold(h2, bob, NULL, 0, 1, junk, 2, 1, G_NOW, &hf, &needed), N);
    EXPECT(wampe2e_held_hold(h2, bob, S(G_TOPIC), 1, NULL, 2, 1, G_NOW, &hf, &needed), N);
    EXPECT(wampe2e_held_hold(h2, bob, S(G_TOPIC), 1, junk, 2, 1, G_NOW, NULL, &needed), N);
    EXPECT(wampe2e_held_hold(h2, bob, S(G_TOPIC), 1, junk, 2, 1, G_NOW, &hf, NULL), N);
    EXPECT(wampe2e_held_release(NULL, h32, 32, &t), N);
    EXPECT(wampe2e_held_release(h2, NULL, 32, &t), N);
    EXPECT(wampe2e_held_release(h2, h32, 32, NULL), N);
    EXPECT(wampe2e_held_release(h2, h32, 33, &t), WAMPE2E_ERR_INVALID_ARGUMENT);
    EXPECT(wampe2e_held_fail(NULL, bob, h32, 32, WAMPE2E_ERR_KEY_REFUSED, G_NOW, &t), N);
    EXPECT(wampe2e_held_fail(h2, NULL, h32, 32, WAMPE2E_ERR_KEY_REFUSED, G_NOW, &t), N);
    EXPECT(wampe2e_held_fail(h2, bob, NULL, 32, WAMPE2E_ERR_KEY_REFUSED, G_NOW, &t), N);
    EXPECT(wampe2e_held_fail(h2, bob, h32, 32, WAMPE2E_ERR_KEY_REFUSED, G_NOW, NULL), N);
    EXPECT(wampe2e_held_expire(NULL, bob, G_NOW, &t), N);
    EXPECT(wampe2e_held_expire(h2, NULL, G_NOW, &t), N);
    EXPECT(wampe2e_held_expire(h2, bob, G_NOW, NULL), N);
    EXPECT(wampe2e_held_len(NULL, &n, NULL), N);
    EXPECT(wampe2e_held_len(h2, NULL, NULL), N);
    EXPECT(wampe2e_held_fetch_error(NULL, 3), N);
    CHECK(t.ptr == NULL && t.len == 0);
    /* A fetch no one holds: nothing to release or fail. */
    EXPECT(wampe2e_held_fail(h2, bob, h32, 32, WAMPE2E_ERR_KEY_REFUSED, G_NOW, &t), WAMPE2E_OK);
    h_tickets(&t, NULL, 0, 0);
    wampe2e_held_tickets_free(NULL);
    wampe2e_held_free(NULL);

    wampe2e_held_free(h2);
    wampe2e_held_free(held); /* still holding tickets 32 and 33: dropped */
    for (int i = 0; i < 3; i++) wampe2e_buf_free(&r[i].envelope);
    wampe2e_group_free(alice);
    wampe2e_group_free(bob);
    wampe2e_identity_free(alice_id);
    wampe2e_identity_free(bob_id);
}

int main(void) {
    test_version_and_messages();
    test_round_trip_cryptobox();
    test_ppt_data_keys();
    test_raw_bytes_and_plaintext_errors();
    test_envelope_attribute_errors();
    test_null_arguments();
    test_keys();
    test_key_shapes_and_messages();
    test_inbound_decide();
    test_inbound_then_open();
    test_expects_sealed_and_remove_key_id();
    test_autobahn_vectors();
    test_threads();
    test_group_identities();
    test_group_vectors();
    test_group_events_and_keys();
    test_group_calls();
    test_group_null_arguments();
    test_group_wire();
    test_group_threads();
    test_group_held();

    /* Every code the library has (up to the last one it knows, derived above, not
     * the header's) is reachable from C, except these, which C cannot cause:
     * PANIC (the library does not panic), RANDOM_FAILED (the OS RNG would have to
     * fail), INVALID_MESSAGE (WAMP message parsing is not part of the C API),
     * KEY_EXHAUSTED (2^32 AES-256-GCM seals with one key), INDEX_JUMP (2^16 seals
     * skipped by one receiver: covered by the core's tests), SHARE_MISMATCH (needs
     * a response its honest sender cannot make: covered by the core's tests). */
    unsigned last = last_code();
    for (unsigned c = 0; c <= last; c++) {
        int unreachable = c == WAMPE2E_ERR_PANIC || c == WAMPE2E_ERR_RANDOM_FAILED ||
                          c == WAMPE2E_ERR_INVALID_MESSAGE || c == WAMPE2E_ERR_KEY_EXHAUSTED ||
                          c == WAMPE2E_ERR_INDEX_JUMP || c == WAMPE2E_ERR_SHARE_MISMATCH;
        if (!unreachable && !reached[c]) {
            failed++;
            fprintf(stderr, "FAIL: result code %u (%s) never reached\n", c, wampe2e_result_message(c));
        }
    }
    for (unsigned c = last + 1; c < MAX_CODES; c++) {
        if (reached[c]) {
            failed++;
            fprintf(stderr, "FAIL: result code %u returned, but the library calls it unknown\n", c);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
