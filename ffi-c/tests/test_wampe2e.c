/*
 * C tests of libwampe2e: every function, every error code reachable from C,
 * the inbound decision, concurrent use of one keyring, and the Autobahn vectors
 * in tests/vectors/.
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

    /* Every code the library has (up to the last one it knows, derived above, not
     * the header's) is reachable from C, except these, which C cannot cause:
     * PANIC (the library does not panic), RANDOM_FAILED (the OS RNG would have to
     * fail), INVALID_MESSAGE (WAMP message parsing is not part of the C API),
     * KEY_EXHAUSTED (2^32 AES-256-GCM seals with one key), and the GS1 codes
     * (BAD_SIGNATURE .. WRONG_KIND: GS1 has no C API yet). */
    unsigned last = last_code();
    for (unsigned c = 0; c <= last; c++) {
        int unreachable = c == WAMPE2E_ERR_PANIC || c == WAMPE2E_ERR_RANDOM_FAILED ||
                          c == WAMPE2E_ERR_INVALID_MESSAGE || c == WAMPE2E_ERR_KEY_EXHAUSTED ||
                          (c >= WAMPE2E_ERR_BAD_SIGNATURE && c <= WAMPE2E_ERR_WRONG_KIND);
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
