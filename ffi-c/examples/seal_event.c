/*
 * What a C WAMP library does with libwampe2e: a publisher seals an event payload
 * given as JSON, puts the envelope into its PUBLISH message, and the subscriber
 * (here: the same process) rebuilds the envelope from the EVENT and opens it.
 *
 *   cc seal_event.c $(pkg-config --cflags --libs wampe2e) -o seal_event
 */
#include <stdio.h>
#include <string.h>

#include <wampe2e.h>

static int fail(const char *what, wampe2e_result r) {
    char detail[256];
    size_t n = 0;
    wampe2e_last_error_message(detail, sizeof detail, &n);
    fprintf(stderr, "%s: %s (%s)\n", what, wampe2e_result_message(r), detail);
    return 1;
}

int main(void) {
    /* Keys are base64 (or hex) strings, as Autobahn|Python and `crossbar keygen` give them. */
    char pub_secret[WAMPE2E_KEY_BASE64_SIZE], pub_public[WAMPE2E_KEY_BASE64_SIZE];
    char sub_secret[WAMPE2E_KEY_BASE64_SIZE], sub_public[WAMPE2E_KEY_BASE64_SIZE];
    wampe2e_generate_keypair(pub_secret, pub_public);
    wampe2e_generate_keypair(sub_secret, sub_public);

    wampe2e_keyring *publisher = NULL, *subscriber = NULL;
    wampe2e_keyring_new(&publisher);
    wampe2e_keyring_new(&subscriber);
    /* Publisher: its own secret + the subscriber's public key, for URIs under com.example. */
    wampe2e_result r = wampe2e_keyring_set_box_key(publisher, "com.example.", 12, pub_secret, strlen(pub_secret),
                                                   NULL, 0, NULL, 0, sub_public, strlen(sub_public));
    if (r != WAMPE2E_OK) return fail("publisher key", r);
    r = wampe2e_keyring_set_box_key(subscriber, "com.example.", 12, NULL, 0, pub_public, strlen(pub_public),
                                    sub_secret, strlen(sub_secret), NULL, 0);
    if (r != WAMPE2E_OK) return fail("subscriber key", r);

    const char *topic = "com.example.sensor";
    const char *args = "[21.5,\"celsius\"]";
    const char *kwargs = "{\"sensor\":\"s-17\"}";
    wampe2e_envelope *env = NULL;
    r = wampe2e_seal_payload(publisher, WAMPE2E_ROLE_ORIGINATOR, topic, strlen(topic), args, strlen(args), kwargs,
                             strlen(kwargs), WAMPE2E_DIALECT_CRYPTOBOX, WAMPE2E_SERIALIZER_JSON,
                             WAMPE2E_CIPHER_XSALSA20POLY1305, &env);
    if (r != WAMPE2E_OK) return fail("seal", r);

    /* Put these into PUBLISH.Options, and the payload at the Arguments position. */
    size_t count = 0;
    wampe2e_envelope_attribute_count(env, &count);
    wampe2e_attribute received[8];
    printf("PUBLISH options:");
    for (size_t i = 0; i < count && i < 8; i++) {
        const char *name, *value;
        size_t name_len, value_len;
        wampe2e_envelope_attribute(env, i, &name, &name_len, &value, &value_len);
        printf(" %.*s=%.*s", (int)name_len, name, (int)value_len, value);
        received[i].name = name;
        received[i].name_len = name_len;
        received[i].value = value;
        received[i].value_len = value_len;
    }
    const uint8_t *payload;
    size_t payload_len;
    bool in_list;
    wampe2e_envelope_payload(env, &payload, &payload_len, &in_list);
    printf("\npayload: %zu bytes of ciphertext, sent %s\n", payload_len,
           in_list ? "as Arguments = [payload]" : "as the bare Arguments value");

    /* Subscriber: EVENT.Details attributes + payload -> envelope -> args/kwargs. */
    wampe2e_envelope *event = NULL;
    r = wampe2e_envelope_new(received, count, payload, payload_len, &event);
    if (r != WAMPE2E_OK) return fail("envelope", r);
    wampe2e_buf got_args = {0}, got_kwargs = {0};
    r = wampe2e_open_payload(subscriber, WAMPE2E_ROLE_RESPONDER, topic, strlen(topic), event, &got_args,
                             &got_kwargs);
    if (r != WAMPE2E_OK) return fail("open", r);
    printf("subscriber got args=%.*s kwargs=%.*s\n", (int)got_args.len, (const char *)got_args.ptr,
           (int)got_kwargs.len, (const char *)got_kwargs.ptr);
    int ok = got_args.len == strlen(args) && memcmp(got_args.ptr, args, got_args.len) == 0;

    wampe2e_buf_free(&got_args);
    wampe2e_buf_free(&got_kwargs);
    wampe2e_envelope_free(event);
    wampe2e_envelope_free(env);
    wampe2e_keyring_free(publisher);
    wampe2e_keyring_free(subscriber);
    return ok ? 0 : 1;
}
