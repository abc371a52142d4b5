/* PSK alphabet, validation and generation (SPEC §1.3: 1..100 characters; empty = generate). */
#include "config/psk.h"

#include "crypto/crypto.h"

#include <stdio.h>
#include <string.h>

/* Order matters only for generation; the specials are the products' list verbatim. */
const char ivpn_psk_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "abcdefghijklmnopqrstuvwxyz"
    "0123456789"
    "~`!@#$%^&*()_-+={}[]\\|;:',.<>/?";

_Static_assert(sizeof(ivpn_psk_alphabet) - 1 == IVPN_PSK_ALPHABET_LEN, "PSK alphabet size");

bool ivpn_psk_char_allowed(unsigned char c)
{
    return c != '\0' && memchr(ivpn_psk_alphabet, c, IVPN_PSK_ALPHABET_LEN) != NULL;
}

int ivpn_psk_check(const char *psk, const char *field, ivpn_findings *f)
{
    char value[48];
    size_t len = strlen(psk);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)psk[i];
        if (!ivpn_psk_char_allowed(c)) {
            if (c >= 0x21 && c < 0x7f)
                snprintf(value, sizeof(value), "'%c' at position %zu", c, i + 1);
            else
                snprintf(value, sizeof(value), "byte 0x%02x at position %zu", c, i + 1);
            return ivpn_find(f, IPSECVPN_ERR_CONFIG_CHARSET, false, field,
                             "must use only letters, digits and ~`!@#$%^&*()_-+={}[]\\|;:',.<>/?",
                             value);
        }
    }
    if (len < 1 || len > IVPN_PSK_MAX) {
        snprintf(value, sizeof(value), "%zu characters", len);
        return ivpn_find(f, IPSECVPN_ERR_CONFIG_LENGTH, false, field, "must be 1..100 characters",
                         value);
    }
    return IPSECVPN_OK;
}

int ivpn_psk_generate(const ipsecvpn_ctx *ctx, char *out)
{
    enum { LIMIT = 2 * IVPN_PSK_ALPHABET_LEN, ROUNDS = 16 };
    uint8_t rnd[32];
    size_t have = 0;
    for (int round = 0; round < ROUNDS && have < IVPN_PSK_GENERATED_LEN; round++) {
        int rc = ivpn_random(ctx, rnd, sizeof(rnd));
        if (rc != IPSECVPN_OK) {
            ivpn_wipe(rnd, sizeof(rnd));
            ivpn_wipe(out, have);
            return rc;
        }
        for (size_t i = 0; i < sizeof(rnd) && have < IVPN_PSK_GENERATED_LEN; i++)
            if (rnd[i] < LIMIT)
                out[have++] = ivpn_psk_alphabet[rnd[i] % IVPN_PSK_ALPHABET_LEN];
    }
    ivpn_wipe(rnd, sizeof(rnd));
    if (have < IVPN_PSK_GENERATED_LEN) {
        ivpn_wipe(out, have);
        IVPN_LOG_ERROR(ctx, "psk: random source returned only rejected bytes");
        return IPSECVPN_ERR_RANDOM;
    }
    out[have] = '\0';
    return IPSECVPN_OK;
}
