/*
 * Child SAs (IPsec SAs) as both IKE engines install them: a pair of ESP SAs in the engine's
 * own ESP layer (unless the host runs its own data plane) and a CHILD_UP / CHILD_REKEYED /
 * CHILD_DOWN event carrying the keys and selectors. The version-specific part is only how
 * the keys are derived (IKEv2 prf+ over SK_d, RFC 7296 §2.17; IKEv1 KEYMAT from SKEYID_d,
 * RFC 2409 §5.5): the engine hands the finished keys in here.
 *
 * Protocol code reaches a connection's Child SAs only through these calls and
 * ivpn_conn_slot(), so how the slots are stored can change under it.
 */
#ifndef IVPN_IKE_CHILD_SA_H
#define IVPN_IKE_CHILD_SA_H

#include "core/engine_internal.h"

/* Encryption key bytes (with the AEAD salt) and integrity key bytes the algorithms take. */
int ivpn_child_key_lengths(const ivpn_algs *a, size_t *encr_len, size_t *integ_len);

/* The finished keys of a pair, from our point of view. */
typedef struct ivpn_child_keys {
    const uint8_t *encr_in, *integ_in;   /* integ_* NULL with an AEAD */
    const uint8_t *encr_out, *integ_out;
    size_t encr_len, integ_len;
} ivpn_child_keys;

/* Everything a Child SA pair is made of. */
typedef struct ivpn_child_params {
    const ivpn_algs *algs;
    uint32_t spi_in, spi_out;
    const ivpn_ts_set *local_ts, *remote_ts;   /* as negotiated */
    const ivpn_child_keys *keys;
    ipsecvpn_endpoint local, remote;           /* outer addresses and the IKE ports */
    bool encap;                                /* ESP in UDP (RFC 3948) on those ports */
    bool transport;                            /* transport mode instead of tunnel */
    uint32_t lifetime_s;                       /* hard lifetime, 0 = none */
    const char *log_prefix;                    /* "IKEv1" / "IKEv2" */
} ivpn_child_params;

/* Install a pair as the connection's current one. rekey: the current pair becomes the old
 * one (make-before-break) instead of being removed. Emits CHILD_UP or CHILD_REKEYED. The soft
 * lifetime (rekey_at) is drawn with jitter from lifetime_s. */
int ivpn_child_sa_install(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_child_params *p,
                          bool rekey, uint64_t now);
/* Remove a pair (frees its ESP SAs); emits CHILD_DOWN when event. */
void ivpn_child_remove(ipsecvpn_engine *e, ivpn_conn *c, ivpn_child *ch, bool event);
/* The pair of this connection with inbound SPI spi_in, or NULL. */
ivpn_child *ivpn_child_find(ivpn_conn *c, uint32_t spi_in);
/* The pair whose outbound SPI is spi_out (the peer names its inbound SA in a Delete). */
ivpn_child *ivpn_child_find_out(ivpn_conn *c, uint32_t spi_out);
/* Soft lifetime in ms: hard x (90 - random(0..jitter)) %. */
uint64_t ivpn_soft_lifetime_ms(ipsecvpn_engine *e, uint32_t hard_s);
/* A random inbound SPI (>= 256, RFC 4303 §2.1) not used by any connection of the engine. */
int ivpn_child_new_spi(ipsecvpn_engine *e, uint32_t *spi);

#endif
