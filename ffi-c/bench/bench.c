/*
 * make bench-c: libwampe2e through the C ABI next to libsodium 1.0.18's
 * crypto_box_easy_afternm, in one run. Both precompute the shared key, draw a
 * random nonce per message and allocate the output. Medians of 15 batches.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wampe2e.h"

/* libsodium, from the system's libsodium.so.23 */
int sodium_init(void);
void randombytes_buf(void *buf, size_t size);
int crypto_box_beforenm(unsigned char *k, const unsigned char *pk, const unsigned char *sk);
int crypto_box_easy_afternm(unsigned char *c, const unsigned char *m, unsigned long long mlen,
                            const unsigned char *n, const unsigned char *k);
int crypto_box_open_easy_afternm(unsigned char *m, const unsigned char *c, unsigned long long clen,
                                 const unsigned char *n, const unsigned char *k);
int crypto_box_keypair(unsigned char *pk, unsigned char *sk);

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef void (*op_fn)(void *ctx);

/* Median ns per call over 15 batches of `iters` calls. */
static double measure(op_fn op, void *ctx, int iters) {
    double samples[15];
    for (int i = 0; i < iters; i++) op(ctx); /* warm up */
    for (int b = 0; b < 15; b++) {
        double t0 = now_ns();
        for (int i = 0; i < iters; i++) op(ctx);
        samples[b] = (now_ns() - t0) / iters;
    }
    qsort(samples, 15, sizeof samples[0], cmp_double);
    return samples[7];
}

struct ctx {
    wampe2e_keyring *ring;
    unsigned char k[32];
    unsigned char *msg;
    size_t len;
    wampe2e_envelope *env;
    unsigned char *sealed;
};

static void sodium_seal(void *p) {
    struct ctx *c = p;
    unsigned char *out = malloc(c->len + 40);
    randombytes_buf(out, 24);
    crypto_box_easy_afternm(out + 24, c->msg, c->len, out, c->k);
    free(out);
}

static void sodium_open(void *p) {
    struct ctx *c = p;
    unsigned char *out = malloc(c->len + 1);
    if (crypto_box_open_easy_afternm(out, c->sealed + 24, c->len + 16, c->sealed, c->k) != 0) abort();
    free(out);
}

static void ffi_seal_bytes(void *p) {
    struct ctx *c = p;
    wampe2e_envelope *env = NULL;
    if (wampe2e_seal_bytes(c->ring, WAMPE2E_ROLE_ORIGINATOR, "com.t", 5, c->msg, c->len, 0, 0, 0, &env)) abort();
    wampe2e_envelope_free(env);
}

static void ffi_open_bytes(void *p) {
    struct ctx *c = p;
    wampe2e_buf out = {0};
    if (wampe2e_open_bytes(c->ring, WAMPE2E_ROLE_RESPONDER, "com.t", 5, c->env, &out)) abort();
    wampe2e_buf_free(&out);
}

static const char *ARGS = "[42,\"hello world\",{\"temp\":21.5,\"ok\":true}]";
static const char *KWARGS = "{\"sensor\":\"s-17\",\"ts\":1732700000123}";

static void ffi_seal_payload(void *p) {
    struct ctx *c = p;
    wampe2e_envelope *env = NULL;
    if (wampe2e_seal_payload(c->ring, 0, "com.example.topic1", 18, ARGS, strlen(ARGS), KWARGS, strlen(KWARGS), 0, 0,
                             0, &env))
        abort();
    wampe2e_envelope_free(env);
}

int main(void) {
    if (sodium_init() < 0) return 1;
    unsigned char pk[32], sk[32];
    crypto_box_keypair(pk, sk);
    struct ctx c = {0};
    crypto_box_beforenm(c.k, pk, sk);

    /* The same key pair in a wampe2e keyring: seal as originator to ourselves. */
    char sk_hex[65], pk_hex[65];
    for (int i = 0; i < 32; i++) {
        sprintf(sk_hex + 2 * i, "%02x", sk[i]);
        sprintf(pk_hex + 2 * i, "%02x", pk[i]);
    }
    wampe2e_keyring_new(&c.ring);
    wampe2e_keyring_set_box_key(c.ring, "", 0, sk_hex, 64, NULL, 0, sk_hex, 64, NULL, 0);

    printf("| size | op | libsodium | libwampe2e (C ABI) | ratio (libsodium time / wampe2e time) |\n");
    printf("|---|---|--:|--:|--:|\n");
    const size_t sizes[] = {64, 1024, 64 * 1024, 1024 * 1024};
    for (int s = 0; s < 4; s++) {
        c.len = sizes[s];
        c.msg = malloc(c.len);
        memset(c.msg, 0x5a, c.len);
        wampe2e_seal_bytes(c.ring, 0, "com.t", 5, c.msg, c.len, 0, 0, 0, &c.env);
        const uint8_t *sealed;
        size_t sealed_len;
        wampe2e_envelope_payload(c.env, &sealed, &sealed_len, NULL);
        c.sealed = (unsigned char *)sealed;
        int iters = c.len >= 1024 * 1024 ? 20 : c.len >= 65536 ? 200 : 20000;
        double ss = measure(sodium_seal, &c, iters), ws = measure(ffi_seal_bytes, &c, iters);
        double so = measure(sodium_open, &c, iters), wo = measure(ffi_open_bytes, &c, iters);
        const char *unit = c.len >= 65536 ? "MB/s" : "ns";
        if (c.len >= 65536) {
            printf("| %zu KiB | seal | %.0f MB/s | %.0f MB/s | %.2f× |\n", c.len / 1024, c.len / ss * 1e3,
                   c.len / ws * 1e3, ss / ws);
            printf("| %zu KiB | open | %.0f MB/s | %.0f MB/s | %.2f× |\n", c.len / 1024, c.len / so * 1e3,
                   c.len / wo * 1e3, so / wo);
        } else {
            printf("| %zu B | seal | %.0f %s | %.0f %s | %.2f× |\n", c.len, ss, unit, ws, unit, ss / ws);
            printf("| %zu B | open | %.0f %s | %.0f %s | %.2f× |\n", c.len, so, unit, wo, unit, so / wo);
        }
        wampe2e_envelope_free(c.env);
        free(c.msg);
    }
    printf("\nwampe2e_seal_payload, small event (args/kwargs JSON in, envelope out): %.0f ns\n",
           measure(ffi_seal_payload, &c, 20000));
    wampe2e_keyring_free(c.ring);
    return 0;
}
