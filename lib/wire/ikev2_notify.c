/*
 * Notify payload, RFC 7296 §3.10 (body after the generic header):
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The table below lists the types this library uses, with the data each must carry where
 * the RFC fixes it; a type outside the table is passed on undecoded (unknown status types
 * are ignored by the engine, unknown error types in a response fail the exchange, §3.10.1).
 */
#include "wire/ikev2_payloads.h"

#define ANY 0xffff

static const struct notify_rule {
    uint16_t type;
    const char *name;
    uint16_t data_min, data_max; /* Notification Data length bounds */
    uint8_t spi_size;            /* required SPI size; 0xff: any of 0/4/8 (peers differ) */
} notify_table[] = {
    {IVPN_IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD", 1, 1, 0xff},
    {IVPN_IKEV2_N_INVALID_IKE_SPI, "INVALID_IKE_SPI", 0, ANY, 0xff},
    {IVPN_IKEV2_N_INVALID_MAJOR_VERSION, "INVALID_MAJOR_VERSION", 1, 1, 0xff},
    {IVPN_IKEV2_N_INVALID_SYNTAX, "INVALID_SYNTAX", 0, ANY, 0xff},
    {IVPN_IKEV2_N_INVALID_MESSAGE_ID, "INVALID_MESSAGE_ID", 4, 4, 0xff},
    {IVPN_IKEV2_N_INVALID_SPI, "INVALID_SPI", 0, ANY, 0xff},
    {IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN", 0, ANY, 0xff},
    /* §3.10.1: the data is the 2-byte DH group the responder wants */
    {IVPN_IKEV2_N_INVALID_KE_PAYLOAD, "INVALID_KE_PAYLOAD", 2, 2, 0xff},
    {IVPN_IKEV2_N_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED", 0, ANY, 0xff},
    {IVPN_IKEV2_N_SINGLE_PAIR_REQUIRED, "SINGLE_PAIR_REQUIRED", 0, ANY, 0xff},
    {IVPN_IKEV2_N_NO_ADDITIONAL_SAS, "NO_ADDITIONAL_SAS", 0, ANY, 0xff},
    {IVPN_IKEV2_N_INTERNAL_ADDRESS_FAILURE, "INTERNAL_ADDRESS_FAILURE", 0, ANY, 0xff},
    {IVPN_IKEV2_N_FAILED_CP_REQUIRED, "FAILED_CP_REQUIRED", 0, ANY, 0xff},
    {IVPN_IKEV2_N_TS_UNACCEPTABLE, "TS_UNACCEPTABLE", 0, ANY, 0xff},
    {IVPN_IKEV2_N_INVALID_SELECTORS, "INVALID_SELECTORS", 0, ANY, 0xff},
    {IVPN_IKEV2_N_TEMPORARY_FAILURE, "TEMPORARY_FAILURE", 0, ANY, 0xff},
    {IVPN_IKEV2_N_CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND", 0, ANY, 0xff},
    {IVPN_IKEV2_N_INITIAL_CONTACT, "INITIAL_CONTACT", 0, 0, 0xff},
    {IVPN_IKEV2_N_SET_WINDOW_SIZE, "SET_WINDOW_SIZE", 4, 4, 0xff},
    {IVPN_IKEV2_N_ADDITIONAL_TS_POSSIBLE, "ADDITIONAL_TS_POSSIBLE", 0, ANY, 0xff},
    {IVPN_IKEV2_N_IPCOMP_SUPPORTED, "IPCOMP_SUPPORTED", 3, ANY, 0xff},
    /* §2.23: SHA-1 of SPIs, address and port */
    {IVPN_IKEV2_N_NAT_DETECTION_SOURCE_IP, "NAT_DETECTION_SOURCE_IP", 20, 20, 0xff},
    {IVPN_IKEV2_N_NAT_DETECTION_DESTINATION_IP, "NAT_DETECTION_DESTINATION_IP", 20, 20, 0xff},
    /* §2.6: "between 1 and 64 octets" */
    {IVPN_IKEV2_N_COOKIE, "COOKIE", 1, 64, 0xff},
    {IVPN_IKEV2_N_USE_TRANSPORT_MODE, "USE_TRANSPORT_MODE", 0, 0, 0xff},
    {IVPN_IKEV2_N_HTTP_CERT_LOOKUP_SUPPORTED, "HTTP_CERT_LOOKUP_SUPPORTED", 0, 0, 0xff},
    /* §1.3.3: carries the SPI of the Child SA being rekeyed */
    {IVPN_IKEV2_N_REKEY_SA, "REKEY_SA", 0, 0, 4},
    {IVPN_IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED, "ESP_TFC_PADDING_NOT_SUPPORTED", 0, 0, 0xff},
    {IVPN_IKEV2_N_NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAGMENTS_ALSO", 0, 0, 0xff},
    {IVPN_IKEV2_N_MOBIKE_SUPPORTED, "MOBIKE_SUPPORTED", 0, 0, 0xff},
    {IVPN_IKEV2_N_AUTH_LIFETIME, "AUTH_LIFETIME", 4, 4, 0xff},
    {IVPN_IKEV2_N_MULTIPLE_AUTH_SUPPORTED, "MULTIPLE_AUTH_SUPPORTED", 0, 0, 0xff},
    {IVPN_IKEV2_N_REDIRECT_SUPPORTED, "REDIRECT_SUPPORTED", 0, 0, 0xff},
    {IVPN_IKEV2_N_EAP_ONLY_AUTHENTICATION, "EAP_ONLY_AUTHENTICATION", 0, 0, 0xff},
    {IVPN_IKEV2_N_CHILDLESS_IKEV2_SUPPORTED, "CHILDLESS_IKEV2_SUPPORTED", 0, 0, 0xff},
    {IVPN_IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, "IKEV2_FRAGMENTATION_SUPPORTED", 0, 0, 0xff},
    /* RFC 7427 §4: a list of 2-byte hash algorithm numbers */
    {IVPN_IKEV2_N_SIGNATURE_HASH_ALGORITHMS, "SIGNATURE_HASH_ALGORITHMS", 2, ANY, 0xff},
};

static const struct notify_rule *lookup(uint16_t type)
{
    for (size_t i = 0; i < sizeof(notify_table) / sizeof(notify_table[0]); i++)
        if (notify_table[i].type == type)
            return &notify_table[i];
    return NULL;
}

const char *ivpn_ikev2_notify_name(uint16_t type)
{
    const struct notify_rule *n = lookup(type);
    return n ? n->name : "UNKNOWN";
}

#define BAD(...) do { IVPN_LOG_WARN(ctx, "IKEv2 Notify: " __VA_ARGS__); return IPSECVPN_ERR_IKE_MALFORMED; } while (0)

int ivpn_ikev2_notify_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_notify *out)
{
    const struct notify_rule *rule;
    ivpn_reader r;

    ivpn_reader_init_span(&r, body);
    out->protocol = ivpn_rd_u8(&r);
    out->spi_size = ivpn_rd_u8(&r);
    out->type = ivpn_rd_u16(&r);
    if (ivpn_rd_failed(&r))
        BAD("body of %zu bytes is shorter than 4", body.len);
    if (out->spi_size != 0 && out->spi_size != 4 && out->spi_size != 8)
        BAD("%s with SPI size %u", ivpn_ikev2_notify_name(out->type), out->spi_size);
    ivpn_rd_copy(&r, out->spi, out->spi_size);
    out->data = ivpn_rd_rest(&r);
    if (ivpn_rd_failed(&r))
        BAD("%s SPI passes the payload", ivpn_ikev2_notify_name(out->type));
    rule = lookup(out->type);
    if (!rule)
        return IPSECVPN_OK;
    if (rule->spi_size != 0xff && out->spi_size != rule->spi_size)
        BAD("%s with SPI size %u, needs %u", rule->name, out->spi_size, rule->spi_size);
    if (out->data.len < rule->data_min || (rule->data_max != ANY && out->data.len > rule->data_max))
        BAD("%s with %zu data bytes", rule->name, out->data.len);
    if (out->type == IVPN_IKEV2_N_SIGNATURE_HASH_ALGORITHMS && (out->data.len & 1))
        BAD("%s with an odd data length", rule->name);
    return IPSECVPN_OK;
}

void ivpn_ikev2_notify_encode(ivpn_writer *w, const ivpn_ikev2_notify *n)
{
    if (n->spi_size > 8) {
        ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
        return;
    }
    ivpn_wr_u8(w, n->protocol);
    ivpn_wr_u8(w, n->spi_size);
    ivpn_wr_u16(w, n->type);
    ivpn_wr_bytes(w, n->spi, n->spi_size);
    ivpn_wr_bytes(w, n->data.p, n->data.len);
}
