/* Pre-shared keys: the allowed alphabet, checking, and generation from the host's CSPRNG. */
#ifndef IVPN_CONFIG_PSK_H
#define IVPN_CONFIG_PSK_H

#include <stdbool.h>
#include <stddef.h>

#include "config/model.h"
#include "config/report.h"

/* The 93 characters a PSK may use: letters, digits and ~`!@#$%^&*()_-+={}[]\|;:',.<>/? */
extern const char ivpn_psk_alphabet[];
#define IVPN_PSK_ALPHABET_LEN 93

bool ivpn_psk_char_allowed(unsigned char c);

/*
 * Check a PSK: 1..IVPN_PSK_MAX characters from the alphabet. The key itself never appears in
 * a report: the value named is its length or the first bad character's position.
 * Returns IPSECVPN_OK, IPSECVPN_ERR_CONFIG_LENGTH or IPSECVPN_ERR_CONFIG_CHARSET.
 */
int ivpn_psk_check(const char *psk, const char *field, ivpn_findings *f);

/*
 * Write IVPN_PSK_GENERATED_LEN random characters from the alphabet and a NUL into out
 * (at least IVPN_PSK_GENERATED_LEN + 1 bytes). Unbiased: random bytes >= 186 (2 x 93) are
 * rejected, the rest taken modulo 93. Returns IPSECVPN_OK or IPSECVPN_ERR_RANDOM (the host
 * callback failed, or kept returning only rejected bytes).
 */
int ivpn_psk_generate(const ipsecvpn_ctx *ctx, char *out);

#endif
