/*
 * The ESP SA as lib/esp sees it, and the small internal pieces the encrypt/decrypt paths share:
 * replay window, lifetimes, selectors, outer header helpers. Nothing here allocates.
 */
#ifndef IVPN_ESP_INTERNAL_H
#define IVPN_ESP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "crypto/crypto.h"
#include "ipsecvpn/esp.h"
#include "esp/udp_encap.h"

#define IVPN_ESP_HDR_LEN 8    /* SPI + sequence number */
#define IVPN_ESP_TRAILER_LEN 2 /* pad length + next header */
#define IVPN_IPV4_HDR_LEN 20
#define IVPN_IPV6_HDR_LEN 40
#define IVPN_PROTO_ESP 50
#define IVPN_PROTO_UDP 17
#define IVPN_NH_IPV4 4
#define IVPN_NH_IPV6 41
#define IVPN_NH_NONE 59

/* Anti-replay window as a ring of 64-bit words (RFC 6479): bit (seq & 63) of word
 * ((seq >> 6) & mask). One spare word beyond the window lets it slide a word at a time. */
typedef struct ivpn_replay {
    uint64_t top;      /* highest sequence number accepted (64-bit with ESN); 0 = none yet */
    uint32_t window;   /* packets; 0 = replay check off */
    uint32_t words;    /* power of two, >= window/64 + 1 */
    uint64_t *bitmap;  /* words entries, allocated with the SA */
} ivpn_replay;

struct ipsecvpn_esp_sa {
    ipsecvpn_ctx *ctx;
    uint32_t spi;
    uint8_t spi_be[4];
    ipsecvpn_esp_dir dir;
    ipsecvpn_esp_mode mode;
    bool esn;
    bool aead;
    bool encap;
    uint8_t block;      /* padding alignment: cipher block size, 4 for AEAD */
    uint8_t iv_len;
    uint8_t icv_len;
    uint16_t tfc_pad;

    const ivpn_cipher_info *cinfo;
    const ivpn_integ_info *iinfo;
    ivpn_cipher *cipher;  /* CBC ciphers */
    ivpn_integ *integ;    /* with CBC ciphers */
    ivpn_aead *aead_ctx;  /* AEAD ciphers */
    uint8_t iv_nonce[16]; /* CBC: per-SA random mixed with the sequence number, then E_K */
    bool iv_fixed;        /* test hook: use fixed_iv instead */
    uint8_t fixed_iv[16];

    ipsecvpn_ip_addr local, remote;
    uint16_t local_port, remote_port;

    uint64_t seq;         /* outbound: last sequence number sent */
    ivpn_replay replay;   /* inbound */

    ipsecvpn_esp_lifetime soft, hard;
    uint64_t created_ms;
    ipsecvpn_esp_sa_state state;
    uint32_t events;

    ipsecvpn_esp_stats stats;

    size_t selector_count;
    ipsecvpn_selector *selectors; /* in the same allocation, after the replay bitmap */
    size_t alloc_size;                /* bytes of that allocation */
};

/* ---- replay.c ---- */
/* Full 64-bit sequence number for a received low half: the low half itself without ESN,
 * else the RFC 4303 Appendix A2.2 inference from the window. */
uint64_t ivpn_replay_infer(const ivpn_replay *r, bool esn, uint32_t seq_low);
/* IPSECVPN_OK if seq may be accepted, IPSECVPN_ERR_ESP_REPLAY if seen, left of the window or 0.
 * Changes nothing. */
int ivpn_replay_check(const ivpn_replay *r, uint64_t seq);
/* Mark seq as received (after its ICV verified). */
void ivpn_replay_update(ivpn_replay *r, uint64_t seq);
/* Words needed for a window of that many packets (0 for window 0). */
uint32_t ivpn_replay_words(uint32_t window);

/* ---- lifetime.c ---- */
/* Applies time limits at now; returns IPSECVPN_ERR_ESP_EXPIRED if the SA is hard-expired. */
int ivpn_esp_lifetime_check(ipsecvpn_esp_sa *sa, uint64_t now);
/* Count one accepted packet of payload_len bytes; raises soft/hard events as limits pass. */
void ivpn_esp_lifetime_charge(ipsecvpn_esp_sa *sa, size_t payload_len);

/* ---- selector.c ---- */
/* Inbound check of a decrypted packet: tunnel mode parses inner[0..len) as IP; transport mode
 * gives the protocol and the payload. *ip_len receives the length the inner IP header declares
 * (tunnel mode), else len. IPSECVPN_OK, IPSECVPN_ERR_ESP_SELECTOR or IPSECVPN_ERR_ESP_MALFORMED. */
int ivpn_esp_check_inner(const ipsecvpn_esp_sa *sa, const uint8_t *inner, size_t len,
                         uint8_t next_header, size_t *ip_len);

/* ---- outer.c ---- */
/* Bytes of outer headers (IP + UDP) for this SA in FULL form, tunnel mode. */
size_t ivpn_esp_outer_len(const ipsecvpn_esp_sa *sa);
/* Write the outer IP (+UDP) header of a tunnel-mode packet at p; esp_len is the ESP packet's
 * length, which follows right after. tos is the inner packet's DSCP/ECN byte, ip_id the IPv4
 * identification. */
void ivpn_esp_outer_build(const ipsecvpn_esp_sa *sa, uint8_t *p, size_t esp_len, uint8_t tos,
                          uint16_t ip_id);
/* IPv4 header checksum over hdr[0..len), with the checksum field taken as 0. */
uint16_t ivpn_ipv4_checksum(const uint8_t *hdr, size_t len);

/* ---- test hooks (tests and fuzzers only, not part of the API) ---- */
/* Use this IV (iv_len bytes) for every following packet instead of generating one. */
int ivpn_esp_sa_test_fix_iv(ipsecvpn_esp_sa *sa, const uint8_t *iv, size_t len);
/* Outbound: the next packet is sent with seq + 1. Inbound: the window's top becomes seq
 * with an empty bitmap. */
void ivpn_esp_sa_test_set_seq(ipsecvpn_esp_sa *sa, uint64_t seq);

static inline void ivpn_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void ivpn_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v;
}
static inline uint32_t ivpn_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint16_t ivpn_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

#endif
