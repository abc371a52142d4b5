/* Constant-time comparison and secret wiping, used for every ICV/AUTH/PSK check. */
#include <mbedtls/platform_util.h>

#include "crypto/crypto.h"

int ivpn_ct_equal(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *x = a;
    const volatile uint8_t *y = b;
    uint8_t diff = 0;

    /* Touch every byte whatever the data: no early exit, no data-dependent branch. */
    for (size_t i = 0; i < len; i++) {
        diff |= (uint8_t)(x[i] ^ y[i]);
    }
    /* (diff - 1) >> 8 is all-ones only for diff == 0, without a branch on diff. */
    return (int)((((unsigned)diff - 1u) >> 8) & 1u);
}

void ivpn_wipe(void *p, size_t len)
{
    if (p == NULL || len == 0) {
        return;
    }
    /* mbedTLS's zeroize goes through a volatile function pointer the compiler cannot elide. */
    mbedtls_platform_zeroize(p, len);
}
