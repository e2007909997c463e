// The header compiles as C++ (extern "C" guards, typed enums) and works with RAII.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "wampe2e.h"

struct KeyringDeleter {
    void operator()(wampe2e_keyring *k) const { wampe2e_keyring_free(k); }
};
struct EnvelopeDeleter {
    void operator()(wampe2e_envelope *e) const { wampe2e_envelope_free(e); }
};

int main() {
    int passed = 0, failed = 0;
    auto check = [&](bool ok, const char *what) {
        if (ok) {
            passed++;
        } else {
            failed++;
            std::fprintf(stderr, "FAIL: %s\n", what);
        }
    };

    char key[WAMPE2E_KEY_BASE64_SIZE];
    check(wampe2e_generate_data_key(key) == WAMPE2E_OK, "generate");
    wampe2e_keyring *raw = nullptr;
    check(wampe2e_keyring_new(&raw) == WAMPE2E_OK, "new");
    std::unique_ptr<wampe2e_keyring, KeyringDeleter> ring(raw);
    check(wampe2e_keyring_set_shared_key(ring.get(), "", 0, key, std::strlen(key)) == WAMPE2E_OK, "shared key");

    std::string uri = "com.example.cpp", args = "[\"c++\"]";
    wampe2e_envelope *env_raw = nullptr;
    check(wampe2e_seal_payload(ring.get(), WAMPE2E_ROLE_ORIGINATOR, uri.data(), uri.size(), args.data(),
                               args.size(), nullptr, 0, WAMPE2E_DIALECT_CRYPTOBOX, WAMPE2E_SERIALIZER_JSON,
                               WAMPE2E_CIPHER_XSALSA20POLY1305, &env_raw) == WAMPE2E_OK,
          "seal");
    std::unique_ptr<wampe2e_envelope, EnvelopeDeleter> env(env_raw);
    wampe2e_buf a{}, k{};
    check(wampe2e_open_payload(ring.get(), WAMPE2E_ROLE_RESPONDER, uri.data(), uri.size(), env.get(), &a, &k) ==
              WAMPE2E_OK,
          "open");
    check(std::string(reinterpret_cast<char *>(a.ptr), a.len) == args, "args");
    wampe2e_buf_free(&a);
    wampe2e_buf_free(&k);
    wampe2e_result r = wampe2e_open_payload(ring.get(), WAMPE2E_ROLE_RESPONDER, "x", 1, env.get(), &a, &k);
    check(r == WAMPE2E_ERR_URI_MISMATCH, "typed enum result");

    // The inbound decision: a typed delivery out-parameter, the URI in a wampe2e_buf.
    wampe2e_delivery delivery = WAMPE2E_DELIVERY_PLAIN;
    wampe2e_buf decided{};
    check(wampe2e_inbound_decide(ring.get(), WAMPE2E_MESSAGE_KIND_EVENT, "com.example.", 12, WAMPE2E_MATCH_PREFIX,
                                 uri.data(), uri.size(), true, false, true, &delivery, &decided) == WAMPE2E_OK,
          "decide");
    check(delivery == WAMPE2E_DELIVERY_OPEN, "delivery");
    check(std::string(reinterpret_cast<char *>(decided.ptr), decided.len) == uri, "decided uri");
    wampe2e_buf_free(&decided);
    check(wampe2e_inbound_decide(ring.get(), WAMPE2E_MESSAGE_KIND_EVENT, uri.data(), uri.size(), WAMPE2E_MATCH_EXACT,
                                 nullptr, 0, false, false, true, &delivery, &decided) ==
              WAMPE2E_ERR_UNEXPECTED_PLAINTEXT,
          "strict plaintext");
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
