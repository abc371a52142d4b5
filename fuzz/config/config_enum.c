/*
 * libFuzzer harness for ipsecvpn_enum_parse(): input "kind\0text". A spelling that parses
 * gives a canonical name that parses to itself with the same value and is in the kind's list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecvpn/ipsecvpn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 512)
        return 0;
    char *buf = malloc(size + 2);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    buf[size + 1] = '\0';
    const char *kind = buf;
    const char *text = buf + strlen(buf) + 1;
    if (text > buf + size)
        text = buf + size + 1;
    const char *canonical = NULL;
    int value = -1;
    if (ipsecvpn_enum_parse(kind, text, &canonical, &value) == IPSECVPN_OK) {
        const char *again = NULL;
        int value2 = -2;
        if (!canonical || ipsecvpn_enum_parse(kind, canonical, &again, &value2) != IPSECVPN_OK ||
            again != canonical || value2 != value)
            __builtin_trap();
        int listed = 0;
        for (size_t i = 0; ipsecvpn_enum_name(kind, i); i++)
            if (strcmp(ipsecvpn_enum_name(kind, i), canonical) == 0)
                listed = 1;
        if (!listed)
            __builtin_trap();
    }
    free(buf);
    return 0;
}
