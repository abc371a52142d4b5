/* Names of IKEv2 payload and exchange types, for log lines only. */
#include "wire/ikev2_payloads.h"

static const char *const payload_names[] = {
    [IVPN_IKEV2_PL_SA] = "SA",       [IVPN_IKEV2_PL_KE] = "KE",
    [IVPN_IKEV2_PL_IDI] = "IDi",     [IVPN_IKEV2_PL_IDR] = "IDr",
    [IVPN_IKEV2_PL_CERT] = "CERT",   [IVPN_IKEV2_PL_CERTREQ] = "CERTREQ",
    [IVPN_IKEV2_PL_AUTH] = "AUTH",   [IVPN_IKEV2_PL_NONCE] = "Nonce",
    [IVPN_IKEV2_PL_NOTIFY] = "N",    [IVPN_IKEV2_PL_DELETE] = "D",
    [IVPN_IKEV2_PL_VENDOR] = "V",    [IVPN_IKEV2_PL_TSI] = "TSi",
    [IVPN_IKEV2_PL_TSR] = "TSr",     [IVPN_IKEV2_PL_SK] = "SK",
    [IVPN_IKEV2_PL_CP] = "CP",       [IVPN_IKEV2_PL_EAP] = "EAP",
    [IVPN_IKEV2_PL_SKF] = "SKF",
};

const char *ivpn_ikev2_payload_name(uint8_t type)
{
    if (type == IVPN_IKEV2_PL_NONE)
        return "NONE";
    if (type < sizeof(payload_names) / sizeof(payload_names[0]) && payload_names[type])
        return payload_names[type];
    return "UNKNOWN";
}

const char *ivpn_ikev2_exchange_name(uint8_t exchange)
{
    switch (exchange) {
    case IVPN_IKEV2_EXCH_IKE_SA_INIT: return "IKE_SA_INIT";
    case IVPN_IKEV2_EXCH_IKE_AUTH: return "IKE_AUTH";
    case IVPN_IKEV2_EXCH_CREATE_CHILD_SA: return "CREATE_CHILD_SA";
    case IVPN_IKEV2_EXCH_INFORMATIONAL: return "INFORMATIONAL";
    default: return "UNKNOWN";
    }
}
