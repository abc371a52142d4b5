/*
 * Outbound ESP (RFC 4303 §3.3): in place, no allocation.
 *
 *   headroom                         data                               tailroom
 *   [outer IP][UDP][SPI|seq][IV] [ payload | TFC | pad 1,2,3.. | padlen | nh ] [ICV]
 *                                 '------------- encrypted ------------------'
 *   '--- FULL form only ---'      ICV (CBC+HMAC) covers SPI .. nh (+ ESN high bits, not sent)
 *
 * Nothing in the SA changes until the packet is complete: a refused packet keeps the
 * sequence number and lifetimes as they were.
 */
#include <string.h>

#include "esp/esp_internal.h"

/* Where the pieces of one packet go. All offsets index buf. */
typedef struct out_layout {
    size_t payload;     /* start of the protected payload */
    size_t payload_len; /* bytes of payload (counted against lifetimes) */
    size_t tfc;         /* TFC padding bytes after it */
    size_t pad;         /* RFC 4303 §2.4 padding bytes */
    size_t padded;      /* payload + tfc + pad + 2: what is encrypted */
    size_t esp;         /* start of the ESP header */
    size_t esp_len;     /* ESP header .. ICV */
    size_t start;       /* start of what the caller sends */
    size_t ip_hdr_len;  /* transport mode: the packet's own IP header */
    uint8_t nh;
    uint8_t tos;
} out_layout;

static int drop(ipsecvpn_esp_sa *sa, int rc)
{
    if (rc == IPSECVPN_ERR_ESP_EXPIRED)
        sa->stats.drop_expired++;
    else if (rc == IPSECVPN_ERR_ESP_SEQ_EXHAUSTED)
        sa->stats.drop_seq_exhausted++;
    else if (rc == IPSECVPN_ERR_ESP_MALFORMED)
        sa->stats.drop_malformed++;
    return rc;
}

/* The sequence number the next packet takes, or SEQ_EXHAUSTED: never a wrap (RFC 4303 §3.3.3). */
static int next_seq(ipsecvpn_esp_sa *sa, uint64_t *seq)
{
    uint64_t limit = sa->esn ? UINT64_MAX : UINT32_MAX;

    if (sa->seq >= limit) {
        if (!(sa->stats.drop_seq_exhausted))
            IVPN_LOG_WARN(sa->ctx, "esp: SA 0x%08x used up its sequence numbers", (unsigned)sa->spi);
        sa->events |= IPSECVPN_ESP_EVENT_SEQ_EXHAUSTED;
        return IPSECVPN_ERR_ESP_SEQ_EXHAUSTED;
    }
    *seq = sa->seq + 1;
    return IPSECVPN_OK;
}

/* Tunnel mode: the next header is the inner packet's IP version. */
static int inspect_tunnel(const uint8_t *pkt, size_t len, out_layout *l)
{
    if (len >= IVPN_IPV4_HDR_LEN && pkt[0] >> 4 == 4) {
        l->nh = IVPN_NH_IPV4;
        l->tos = pkt[1];
    } else if (len >= IVPN_IPV6_HDR_LEN && pkt[0] >> 4 == 6) {
        l->nh = IVPN_NH_IPV6;
        l->tos = (uint8_t)((pkt[0] << 4) | (pkt[1] >> 4));
    } else {
        return IPSECVPN_ERR_ESP_MALFORMED;
    }
    return IPSECVPN_OK;
}

/* Transport mode: the IP header stays outside, its protocol becomes the next header. */
static int inspect_transport(const uint8_t *pkt, size_t len, out_layout *l)
{
    if (len >= IVPN_IPV4_HDR_LEN && pkt[0] >> 4 == 4) {
        l->ip_hdr_len = (size_t)(pkt[0] & 0x0F) * 4;
        if (l->ip_hdr_len < IVPN_IPV4_HDR_LEN || l->ip_hdr_len > len)
            return IPSECVPN_ERR_ESP_MALFORMED;
        if (ivpn_get16(pkt + 6) & 0x3FFF)
            return IPSECVPN_ERR_UNSUPPORTED; /* fragments: reassemble first (RFC 4303 §3.3.1) */
        l->nh = pkt[9];
    } else if (len >= IVPN_IPV6_HDR_LEN && pkt[0] >> 4 == 6) {
        l->ip_hdr_len = IVPN_IPV6_HDR_LEN;
        l->nh = pkt[6];
        /* Hop-by-hop, routing and fragment headers must precede ESP; not supported here. */
        if (l->nh == 0 || l->nh == 43 || l->nh == 44)
            return IPSECVPN_ERR_UNSUPPORTED;
    } else {
        return IPSECVPN_ERR_ESP_MALFORMED;
    }
    return IPSECVPN_OK;
}

/* Computes the layout and checks the room; writes nothing. */
static int plan(const ipsecvpn_esp_sa *sa, size_t buf_size, size_t off, size_t len,
                uint32_t flags, out_layout *l)
{
    size_t front, udp = sa->encap ? IVPN_UDP_HDR_LEN : 0;

    l->payload = off + l->ip_hdr_len;
    l->payload_len = len - l->ip_hdr_len;
    if (l->payload_len > 65535)
        return IPSECVPN_ERR_INVALID_ARG; /* no IP datagram is larger; keeps the sums below from
                                            wrapping whatever buf_size the caller claims */
    l->padded = l->payload_len + l->tfc + IVPN_ESP_TRAILER_LEN;
    l->pad = (sa->block - l->padded % sa->block) % sa->block;
    l->padded += l->pad;
    l->esp_len = IVPN_ESP_HDR_LEN + sa->iv_len + l->padded + sa->icv_len;
    front = IVPN_ESP_HDR_LEN + sa->iv_len;
    if (flags & IPSECVPN_ESP_FLAG_FULL)
        front += sa->mode == IPSECVPN_ESP_MODE_TUNNEL ? ivpn_esp_outer_len(sa) : udp + l->ip_hdr_len;
    if (l->payload < front || buf_size - l->payload < l->padded + sa->icv_len)
        return IPSECVPN_ERR_ESP_ROOM;
    if (l->esp_len + front > 65535)
        return IPSECVPN_ERR_INVALID_ARG; /* larger than an IP datagram can be */
    l->esp = l->payload - IVPN_ESP_HDR_LEN - sa->iv_len;
    l->start = l->payload - front;
    return IPSECVPN_OK;
}

/* AEAD IV: the 64-bit sequence number (RFC 4106 §3.1: unique per key is all it needs).
 * Returns false for CBC, whose IV seal() makes itself. */
static bool aead_or_fixed_iv(const ipsecvpn_esp_sa *sa, uint64_t seq, uint8_t *iv)
{
    if (sa->iv_fixed) {
        memcpy(iv, sa->fixed_iv, sa->iv_len);
        return true;
    }
    if (!sa->aead)
        return false;
    ivpn_put32(iv, (uint32_t)(seq >> 32));
    ivpn_put32(iv + 4, (uint32_t)seq);
    return true;
}

/* CBC with an unpredictable IV = E_K(nonce), nonce = per-SA random XOR sequence number
 * (NIST SP 800-38A App. C). CBC with a zero IV over [nonce | plaintext] yields exactly
 * [E_K(nonce) | CBC_{IV=E_K(nonce)}(plaintext)], so one cipher call makes both. */
static int cbc_encrypt(ipsecvpn_esp_sa *sa, uint64_t seq, uint8_t *iv, size_t len, bool have_iv)
{
    static const uint8_t zero[16];

    if (have_iv)
        return ivpn_cipher_cbc_encrypt(sa->cipher, iv, iv + sa->iv_len, iv + sa->iv_len, len);
    memcpy(iv, sa->iv_nonce, sa->iv_len);
    for (unsigned i = 0; i < 8; i++)
        iv[sa->iv_len - 1 - i] ^= (uint8_t)(seq >> (8 * i));
    return ivpn_cipher_cbc_encrypt(sa->cipher, zero, iv, iv, sa->iv_len + len);
}

static int seal(ipsecvpn_esp_sa *sa, uint8_t *buf, const out_layout *l, uint64_t seq)
{
    uint8_t *esp = buf + l->esp, *iv = esp + IVPN_ESP_HDR_LEN, *p = buf + l->payload;
    uint8_t *trailer = p + l->payload_len, seq_hi[4], aad[12];
    bool have_iv;
    int rc;

    memset(trailer, 0, l->tfc);
    trailer += l->tfc;
    for (size_t i = 0; i < l->pad; i++)
        trailer[i] = (uint8_t)(i + 1);
    trailer[l->pad] = (uint8_t)l->pad;
    trailer[l->pad + 1] = l->nh;
    memcpy(esp, sa->spi_be, 4);
    ivpn_put32(esp + 4, (uint32_t)seq);
    ivpn_put32(seq_hi, (uint32_t)(seq >> 32));
    have_iv = aead_or_fixed_iv(sa, seq, iv);
    if (sa->aead) {
        /* AAD: SPI | seq (RFC 4106 §5), SPI | seq-high | seq-low with ESN. */
        if (sa->esn) {
            memcpy(aad, esp, 4);
            memcpy(aad + 4, seq_hi, 4);
            memcpy(aad + 8, esp + 4, 4);
        }
        return ivpn_aead_encrypt(sa->aead_ctx, iv, sa->esn ? aad : esp, sa->esn ? 12 : 8, p,
                                 l->padded, p + l->padded);
    }
    rc = cbc_encrypt(sa, seq, iv, l->padded, have_iv);
    if (rc != IPSECVPN_OK)
        return rc;
    /* ICV over SPI .. next header, then the ESN high half (RFC 4304 §2.2.1, not sent). */
    return ivpn_integ_compute(sa->integ, esp, IVPN_ESP_HDR_LEN + sa->iv_len + l->padded,
                              seq_hi, sa->esn ? 4 : 0, p + l->padded);
}

/* FULL form: the outer headers in front of the ESP packet. */
static void add_outer(ipsecvpn_esp_sa *sa, uint8_t *buf, const out_layout *l, uint64_t seq)
{
    size_t udp = sa->encap ? IVPN_UDP_HDR_LEN : 0;
    uint8_t *ip = buf + l->start;

    if (sa->mode == IPSECVPN_ESP_MODE_TUNNEL) {
        /* IPv4 identification from the sequence number: distinct across recent packets. */
        ivpn_esp_outer_build(sa, ip, l->esp_len, l->tos, (uint16_t)seq);
        return;
    }
    if (ip[0] >> 4 == 4) {
        ip[9] = udp ? IVPN_PROTO_UDP : IVPN_PROTO_ESP;
        ivpn_put16(ip + 2, (uint16_t)(l->ip_hdr_len + udp + l->esp_len));
        ivpn_put16(ip + 10, ivpn_ipv4_checksum(ip, l->ip_hdr_len));
        if (udp)
            ivpn_udp_write_header(ip + l->ip_hdr_len, udp + l->esp_len, sa->local_port,
                                  sa->remote_port, ip + 12, ip + 16, 4);
    } else {
        ip[6] = udp ? IVPN_PROTO_UDP : IVPN_PROTO_ESP;
        ivpn_put16(ip + 4, (uint16_t)(udp + l->esp_len));
        if (udp)
            ivpn_udp_write_header(ip + l->ip_hdr_len, udp + l->esp_len, sa->local_port,
                                  sa->remote_port, ip + 8, ip + 24, 16);
    }
}

static int encrypt_common(ipsecvpn_esp_sa *sa, uint8_t *buf, size_t buf_size, size_t off,
                          size_t len, uint64_t now, uint32_t flags, out_layout *l,
                          size_t *out_offset, size_t *out_len)
{
    uint64_t seq;
    int rc;

    rc = ivpn_esp_lifetime_check(sa, now);
    if (rc == IPSECVPN_OK)
        rc = next_seq(sa, &seq);
    if (rc == IPSECVPN_OK)
        rc = plan(sa, buf_size, off, len, flags, l);
    if (rc != IPSECVPN_OK)
        return drop(sa, rc);
    /* Transport mode: move the IP header to its new place before ESP overwrites it. */
    if (l->ip_hdr_len && (flags & IPSECVPN_ESP_FLAG_FULL))
        memmove(buf + l->start, buf + off, l->ip_hdr_len);
    rc = seal(sa, buf, l, seq);
    if (rc != IPSECVPN_OK)
        return rc;
    if (flags & IPSECVPN_ESP_FLAG_FULL)
        add_outer(sa, buf, l, seq);
    sa->seq = seq;
    ivpn_esp_lifetime_charge(sa, l->payload_len);
    *out_offset = l->start;
    *out_len = l->esp_len + (l->esp - l->start);
    return IPSECVPN_OK;
}

static int check_args(const ipsecvpn_esp_sa *sa, const uint8_t *buf, size_t buf_size,
                      size_t off, size_t len, uint32_t flags, const size_t *out_offset,
                      const size_t *out_len)
{
    if (!sa || !buf || !out_offset || !out_len || off > buf_size || len > buf_size - off ||
        (flags & ~IPSECVPN_ESP_FLAG_FULL))
        return IPSECVPN_ERR_INVALID_ARG;
    return sa->dir == IPSECVPN_ESP_DIR_OUT ? IPSECVPN_OK : IPSECVPN_ERR_STATE;
}

IPSECVPN_EXPORT int ipsecvpn_esp_encrypt(ipsecvpn_esp_sa *sa, uint8_t *buf, size_t buf_size,
                                         size_t data_offset, size_t data_len, uint64_t now,
                                         uint32_t flags, size_t *out_offset, size_t *out_len)
{
    out_layout l = {0};
    int rc = check_args(sa, buf, buf_size, data_offset, data_len, flags, out_offset, out_len);

    if (rc != IPSECVPN_OK)
        return rc;
    if (sa->mode == IPSECVPN_ESP_MODE_TUNNEL) {
        rc = inspect_tunnel(buf + data_offset, data_len, &l);
        if (data_len < sa->tfc_pad)
            l.tfc = sa->tfc_pad - data_len;
    } else {
        rc = inspect_transport(buf + data_offset, data_len, &l);
    }
    if (rc != IPSECVPN_OK)
        return drop(sa, rc);
    return encrypt_common(sa, buf, buf_size, data_offset, data_len, now, flags, &l, out_offset,
                          out_len);
}

IPSECVPN_EXPORT int ipsecvpn_esp_encrypt_payload(ipsecvpn_esp_sa *sa, uint8_t *buf,
                                                 size_t buf_size, size_t data_offset,
                                                 size_t data_len, uint8_t next_header,
                                                 uint64_t now, uint32_t flags,
                                                 size_t *out_offset, size_t *out_len)
{
    out_layout l = {0};
    int rc = check_args(sa, buf, buf_size, data_offset, data_len, flags, out_offset, out_len);

    if (rc != IPSECVPN_OK)
        return rc;
    if ((flags & IPSECVPN_ESP_FLAG_FULL) && sa->mode != IPSECVPN_ESP_MODE_TUNNEL)
        return IPSECVPN_ERR_INVALID_ARG;
    l.nh = next_header;
    return encrypt_common(sa, buf, buf_size, data_offset, data_len, now, flags, &l, out_offset,
                          out_len);
}
