/* Error descriptions and the fatal/non-fatal split. A table, since the spec is a table. */
#include <stddef.h>

#include "ipsecvpn/common.h"

static const struct {
    int code;
    const char *text;
} error_texts[] = {
    {IPSECVPN_OK, "success"},
    {IPSECVPN_ERR_INVALID_ARG, "invalid argument"},
    {IPSECVPN_ERR_NOMEM, "out of memory"},
    {IPSECVPN_ERR_BUFFER_TOO_SMALL, "buffer too small"},
    {IPSECVPN_ERR_NOT_FOUND, "not found"},
    {IPSECVPN_ERR_EXISTS, "already exists"},
    {IPSECVPN_ERR_STATE, "not allowed in the current state"},
    {IPSECVPN_ERR_UNSUPPORTED, "not supported by this build"},
    {IPSECVPN_ERR_RANDOM, "random source failed"},
    {IPSECVPN_ERR_INTERNAL, "internal error"},
    {IPSECVPN_ERR_CALLBACK, "host callback failed"},
    {IPSECVPN_ERR_VERSION, "unknown struct version"},
    {IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD, "unknown configuration field"},
    {IPSECVPN_ERR_CONFIG_SYNTAX, "value does not parse"},
    {IPSECVPN_ERR_CONFIG_RANGE, "value out of range"},
    {IPSECVPN_ERR_CONFIG_LENGTH, "value too short or too long"},
    {IPSECVPN_ERR_CONFIG_CHARSET, "character not allowed"},
    {IPSECVPN_ERR_CONFIG_CONFLICT, "fields conflict"},
    {IPSECVPN_ERR_CONFIG_IMMUTABLE, "field cannot be edited"},
    {IPSECVPN_ERR_CONFIG_IN_USE, "object is in use"},
    {IPSECVPN_ERR_CONFIG_FAMILY, "address families do not agree"},
    {IPSECVPN_ERR_CONFIG_REQUIRED, "required field missing"},
    {IPSECVPN_ERR_CONFIG_IMPORT, "imported document is malformed"},
    {IPSECVPN_ERR_CRYPTO, "crypto backend failed"},
    {IPSECVPN_ERR_CRYPTO_ALG, "unsupported algorithm"},
    {IPSECVPN_ERR_CRYPTO_KEY_LEN, "wrong key length"},
    {IPSECVPN_ERR_DH_PUBLIC, "invalid Diffie-Hellman public value"},
    {IPSECVPN_ERR_ESP_SHORT, "ESP packet too short"},
    {IPSECVPN_ERR_ESP_SPI, "unknown ESP SPI"},
    {IPSECVPN_ERR_ESP_REPLAY, "ESP replay"},
    {IPSECVPN_ERR_ESP_ICV, "ESP integrity check failed"},
    {IPSECVPN_ERR_ESP_PADDING, "ESP padding invalid"},
    {IPSECVPN_ERR_ESP_SELECTOR, "packet does not match the SA's selectors"},
    {IPSECVPN_ERR_ESP_SEQ_EXHAUSTED, "ESP sequence numbers exhausted"},
    {IPSECVPN_ERR_ESP_EXPIRED, "ESP SA expired"},
    {IPSECVPN_ERR_ESP_DUMMY, "ESP dummy packet"},
    {IPSECVPN_ERR_ESP_NO_POLICY, "no security policy matches"},
    {IPSECVPN_ERR_ESP_DISCARD, "security policy discards the packet"},
    {IPSECVPN_ERR_ESP_ROOM, "not enough headroom or tailroom"},
    {IPSECVPN_ERR_ESP_MALFORMED, "malformed IP packet"},
    {IPSECVPN_ERR_ESP_NOT_ESP, "datagram is not ESP"},
    {IPSECVPN_ERR_IKE_MALFORMED, "malformed IKE message"},
    {IPSECVPN_ERR_IKE_NO_PROPOSAL, "no proposal chosen"},
    {IPSECVPN_ERR_IKE_AUTH, "authentication failed"},
    {IPSECVPN_ERR_IKE_TS, "traffic selectors unacceptable"},
    {IPSECVPN_ERR_IKE_INVALID_KE, "invalid KE payload"},
    {IPSECVPN_ERR_IKE_UNEXPECTED, "unexpected IKE message"},
    {IPSECVPN_ERR_IKE_TIMEOUT, "IKE peer timed out"},
    {IPSECVPN_ERR_IKE_INTEGRITY, "IKE integrity check failed"},
    {IPSECVPN_ERR_IKE_COOKIE, "IKE cookie missing or wrong"},
    {IPSECVPN_ERR_IKE_PEER_DEAD, "peer is dead"},
};

IPSECVPN_EXPORT const char *ipsecvpn_strerror(int code)
{
    for (size_t i = 0; i < sizeof(error_texts) / sizeof(error_texts[0]); i++)
        if (error_texts[i].code == code)
            return error_texts[i].text;
    return "unknown error";
}

IPSECVPN_EXPORT int ipsecvpn_err_is_fatal(int code)
{
    return code == IPSECVPN_ERR_NOMEM || code == IPSECVPN_ERR_RANDOM ||
           code == IPSECVPN_ERR_INTERNAL || code == IPSECVPN_ERR_CALLBACK;
}
