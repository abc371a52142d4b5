/*
 * Inbound ESP (RFC 4303 §3.4), in place, no allocation. The order is the RFC's, and every
 * check that can fail comes before the first change to the SA:
 *
 *   outer headers (FULL) -> length -> SPI -> hard lifetime -> replay check (read only)
 *   -> ICV, constant time (ESN: inferred high half authenticated) -> decrypt
 *   -> padding 1,2,3,... (RFC 4303 §2.4) -> inner packet and selectors
 *   -> commit: replay window, lifetimes, counters -> dummy (next header 59) dropped
 *
 * A forged, replayed or mis-addressed packet therefore only bumps its drop counter.
 */
#include <string.h>

#include "esp/esp_internal.h"

typedef struct in_layout {
    size_t ip;       /* FULL form: start of the outer IP header (0) */
    size_t ip_len;   /* FULL form: its length, 0 without FULL */
    size_t esp;      /* start of the ESP header */
    size_t esp_len;  /* ESP header .. ICV */
} in_layout;

static int drop(ipsecvpn_esp_sa *sa, int rc)
{
    switch (rc) {
    case IPSECVPN_ERR_ESP_SHORT: sa->stats.drop_short++; break;
    case IPSECVPN_ERR_ESP_SPI: sa->stats.drop_spi++; break;
    case IPSECVPN_ERR_ESP_REPLAY: sa->stats.drop_replay++; break;
    case IPSECVPN_ERR_ESP_ICV: sa->stats.drop_icv++; break;
    case IPSECVPN_ERR_ESP_PADDING: sa->stats.drop_padding++; break;
    case IPSECVPN_ERR_ESP_SELECTOR: sa->stats.drop_selector++; break;
    case IPSECVPN_ERR_ESP_MALFORMED: sa->stats.drop_malformed++; break;
    case IPSECVPN_ERR_ESP_EXPIRED: sa->stats.drop_expired++; break;
    default: break;
    }
    IVPN_LOG_DEBUG(sa->ctx, "esp: SA 0x%08x dropped a packet: %s", (unsigned)sa->spi,
                   ipsecvpn_strerror(rc));
    return rc;
}

/* FULL form: skip the outer IPv4/IPv6 header and, for UDP encapsulation, the UDP header. */
static int strip_outer(const ipsecvpn_esp_sa *sa, const uint8_t *buf, size_t len, in_layout *l)
{
    size_t hl, total;
    uint8_t proto;

    if (len < 1)
        return IPSECVPN_ERR_ESP_SHORT;
    if (buf[0] >> 4 == 4) {
        if (len < IVPN_IPV4_HDR_LEN)
            return IPSECVPN_ERR_ESP_SHORT;
        hl = (size_t)(buf[0] & 0x0F) * 4;
        total = ivpn_get16(buf + 2);
        proto = buf[9];
        if (hl < IVPN_IPV4_HDR_LEN || total < hl)
            return IPSECVPN_ERR_ESP_MALFORMED;
        if (ivpn_get16(buf + 6) & 0x3FFF)
            return IPSECVPN_ERR_ESP_MALFORMED; /* fragments are reassembled by the host */
    } else if (buf[0] >> 4 == 6) {
        if (len < IVPN_IPV6_HDR_LEN)
            return IPSECVPN_ERR_ESP_SHORT;
        hl = IVPN_IPV6_HDR_LEN;
        total = hl + ivpn_get16(buf + 4);
        proto = buf[6];
    } else {
        return IPSECVPN_ERR_ESP_MALFORMED;
    }
    if (total > len)
        return IPSECVPN_ERR_ESP_SHORT;
    l->ip_len = hl;
    l->esp = hl;
    if (proto == IVPN_PROTO_UDP && sa->encap) {
        if (total - hl < IVPN_UDP_HDR_LEN)
            return IPSECVPN_ERR_ESP_SHORT;
        l->esp += IVPN_UDP_HDR_LEN;
    } else if (proto != IVPN_PROTO_ESP) {
        return IPSECVPN_ERR_ESP_MALFORMED;
    }
    l->esp_len = total - l->esp; /* bytes after the declared length are link padding */
    return IPSECVPN_OK;
}

/* Transport mode, FULL form: put the IP header back in front of the payload. */
static size_t rebuild_ip(uint8_t *buf, const in_layout *l, size_t payload, size_t payload_len,
                         uint8_t nh)
{
    size_t start = payload - l->ip_len;
    uint8_t *ip = buf + start;

    memmove(ip, buf + l->ip, l->ip_len);
    if (ip[0] >> 4 == 4) {
        ip[9] = nh;
        ivpn_put16(ip + 2, (uint16_t)(l->ip_len + payload_len));
        ivpn_put16(ip + 10, ivpn_ipv4_checksum(ip, l->ip_len));
    } else {
        ip[6] = nh;
        ivpn_put16(ip + 4, (uint16_t)payload_len);
    }
    return start;
}

/* ICV check and decryption in place of the ct_len bytes after the IV. */
static int open_payload(ipsecvpn_esp_sa *sa, uint8_t *esp, size_t ct_len, uint64_t seq)
{
    uint8_t *iv = esp + IVPN_ESP_HDR_LEN, *ct = iv + sa->iv_len, seq_hi[4], aad[12];
    int rc;

    ivpn_put32(seq_hi, (uint32_t)(seq >> 32));
    if (sa->aead) {
        if (sa->esn) {
            memcpy(aad, esp, 4);
            memcpy(aad + 4, seq_hi, 4);
            memcpy(aad + 8, esp + 4, 4);
        }
        return ivpn_aead_decrypt(sa->aead_ctx, iv, sa->esn ? aad : esp, sa->esn ? 12 : 8, ct,
                                 ct_len, ct + ct_len);
    }
    rc = ivpn_integ_verify(sa->integ, esp, IVPN_ESP_HDR_LEN + sa->iv_len + ct_len, seq_hi,
                           sa->esn ? 4 : 0, ct + ct_len);
    if (rc != IPSECVPN_OK)
        return rc;
    return ivpn_cipher_cbc_decrypt(sa->cipher, iv, ct, ct, ct_len);
}

/* RFC 4303 §2.4: padding bytes are 1, 2, 3, ...; returns the payload length. */
static int check_trailer(const uint8_t *pt, size_t ct_len, size_t *payload_len)
{
    size_t pad = pt[ct_len - 2];
    uint8_t bad = 0;

    if (pad + IVPN_ESP_TRAILER_LEN > ct_len)
        return IPSECVPN_ERR_ESP_PADDING;
    *payload_len = ct_len - IVPN_ESP_TRAILER_LEN - pad;
    for (size_t i = 0; i < pad; i++)
        bad |= (uint8_t)(pt[*payload_len + i] ^ (uint8_t)(i + 1));
    return bad ? IPSECVPN_ERR_ESP_PADDING : IPSECVPN_OK;
}

static void commit(ipsecvpn_esp_sa *sa, uint64_t seq, size_t bytes)
{
    ivpn_replay_update(&sa->replay, seq);
    ivpn_esp_lifetime_charge(sa, bytes);
}

IPSECVPN_EXPORT int ipsecvpn_esp_decrypt(ipsecvpn_esp_sa *sa, uint8_t *buf, size_t len,
                                         uint64_t now, uint32_t flags, size_t *inner_offset,
                                         size_t *inner_len, uint8_t *next_header)
{
    in_layout l = {0, 0, 0, len};
    size_t min_len, ct_len, payload, payload_len, ip_len;
    uint64_t seq;
    uint8_t nh;
    int rc;

    if (!sa || !buf || !inner_offset || !inner_len || (flags & ~IPSECVPN_ESP_FLAG_FULL))
        return IPSECVPN_ERR_INVALID_ARG;
    if (sa->dir != IPSECVPN_ESP_DIR_IN)
        return IPSECVPN_ERR_STATE;
    if (flags & IPSECVPN_ESP_FLAG_FULL) {
        rc = strip_outer(sa, buf, len, &l);
        if (rc != IPSECVPN_OK)
            return drop(sa, rc);
    }
    /* The smallest ciphertext is the trailer (AEAD) or one whole block holding it (CBC). */
    min_len = IVPN_ESP_HDR_LEN + sa->iv_len + sa->icv_len +
              (sa->aead ? IVPN_ESP_TRAILER_LEN : sa->block);
    if (l.esp_len < min_len)
        return drop(sa, IPSECVPN_ERR_ESP_SHORT);
    ct_len = l.esp_len - IVPN_ESP_HDR_LEN - sa->iv_len - sa->icv_len;
    if (!sa->aead && ct_len % sa->block)
        return drop(sa, IPSECVPN_ERR_ESP_MALFORMED); /* CBC needs whole blocks */
    if (!ivpn_ct_equal(buf + l.esp, sa->spi_be, 4))
        return drop(sa, IPSECVPN_ERR_ESP_SPI);
    rc = ivpn_esp_lifetime_check(sa, now);
    if (rc != IPSECVPN_OK)
        return drop(sa, rc);
    seq = ivpn_replay_infer(&sa->replay, sa->esn, ivpn_get32(buf + l.esp + 4));
    rc = ivpn_replay_check(&sa->replay, seq);
    if (rc != IPSECVPN_OK)
        return drop(sa, rc);
    rc = open_payload(sa, buf + l.esp, ct_len, seq);
    if (rc != IPSECVPN_OK)
        return drop(sa, rc);
    payload = l.esp + IVPN_ESP_HDR_LEN + sa->iv_len;
    rc = check_trailer(buf + payload, ct_len, &payload_len);
    if (rc != IPSECVPN_OK)
        return drop(sa, rc);
    nh = buf[payload + ct_len - 1];
    if (nh == IVPN_NH_NONE) { /* RFC 4303 §2.6: dummy packet, valid but dropped */
        commit(sa, seq, 0);
        sa->stats.dummy++;
        return IPSECVPN_ERR_ESP_DUMMY;
    }
    rc = ivpn_esp_check_inner(sa, buf + payload, payload_len, nh, &ip_len);
    if (rc != IPSECVPN_OK)
        return drop(sa, rc);
    commit(sa, seq, ip_len);
    if (sa->mode == IPSECVPN_ESP_MODE_TRANSPORT && (flags & IPSECVPN_ESP_FLAG_FULL)) {
        *inner_offset = rebuild_ip(buf, &l, payload, payload_len, nh);
        *inner_len = l.ip_len + payload_len;
    } else {
        *inner_offset = payload;
        *inner_len = ip_len;
    }
    if (next_header)
        *next_header = nh;
    return IPSECVPN_OK;
}
