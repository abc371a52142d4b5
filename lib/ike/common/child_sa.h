/*
 * Child SAs (IPsec SAs) as both IKE engines install them: a pair of ESP SAs in the engine's
 * own ESP layer (unless the host runs its own data plane) and a CHILD_UP / CHILD_REKEYED /
 * CHILD_DOWN event carrying the keys and selectors. The version-specific part is only how
 * the keys are derived (IKEv2 prf+ over SK_d, RFC 7296 §2.17; IKEv1 KEYMAT from SKEYID_d,
 * RFC 2409 §5.5): the engine hands the finished keys in here.
 *
 * A connection holds any number of pairs, a list in creation order. Protocol code reaches
 * them only through these calls (iterate with ivpn_child_first / ivpn_child_next, or
 * IVPN_CHILD_FOREACH when the body may remove the pair), so how they are stored can change
 * under it.
 */
#ifndef IVPN_IKE_CHILD_SA_H
#define IVPN_IKE_CHILD_SA_H

#include "core/engine_internal.h"
#include "wire/ikev2_payloads.h"

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
    uint32_t rekey_of;                         /* with rekey: spi_in of the pair replaced
                                                  (0: the connection's first current pair) */
} ivpn_child_params;

/* Add a pair to the connection (the selectors are copied). rekey: the pair it replaces
 * (p->rekey_of) is retired, make-before-break: it keeps receiving until deleted, outbound
 * traffic moves to the new pair. Emits CHILD_UP or CHILD_REKEYED. The soft lifetime
 * (rekey_at) is drawn with jitter from lifetime_s. */
int ivpn_child_sa_install(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_child_params *p,
                          bool rekey, uint64_t now);
/* Unlink and free a pair (its ESP SAs, selectors and node: ch is invalid afterwards); emits
 * CHILD_DOWN when event. A pair it had retired becomes current again. */
void ivpn_child_remove(ipsecvpn_engine *e, ivpn_conn *c, ivpn_child *ch, bool event);
/* Remove every pair of the connection. */
void ivpn_child_remove_all(ipsecvpn_engine *e, ivpn_conn *c, bool event);
/* Retire a pair (see ivpn_child.retired); by: spi_in of its successor, 0 for none. */
void ivpn_child_retire(ivpn_child *ch, uint32_t by);
/* The pair of this connection with inbound SPI spi_in, or NULL. */
ivpn_child *ivpn_child_find(ivpn_conn *c, uint32_t spi_in);
/* The pair whose outbound SPI is spi_out (the peer names its inbound SA in a Delete). */
ivpn_child *ivpn_child_find_out(ivpn_conn *c, uint32_t spi_out);
/* Iteration in creation order: the first pair (NULL: none) and the one after ch. */
ivpn_child *ivpn_child_first(const ivpn_conn *c);
ivpn_child *ivpn_child_next(const ivpn_child *ch);
/* Every pair, `ch` may be removed in the body (`tmp` holds the next one). */
#define IVPN_CHILD_FOREACH(c, ch, tmp)                                                         \
    for ((ch) = ivpn_child_first(c); (ch) && ((tmp) = ivpn_child_next(ch), 1); (ch) = (tmp))
/* The first pair that is not retired, NULL if none. */
ivpn_child *ivpn_child_current(const ivpn_conn *c);
/* How many pairs the connection holds (retired ones included). */
size_t ivpn_child_count(const ivpn_conn *c);
/* The pair to send a packet from src to dst on: a current one whose selectors hold both
 * addresses, else a retired one that does; NULL if none. */
ivpn_child *ivpn_child_route(const ivpn_conn *c, uint8_t family, const uint8_t *src,
                             const uint8_t *dst);
/* Take the connection's pairs off it (returned as a list) and put such a list back in front
 * of whatever it holds then: lets a half-open IKE SA run without touching them. */
ivpn_child *ivpn_child_detach(ivpn_conn *c);
void ivpn_child_reattach(ivpn_conn *c, ivpn_child *list);

/* Soft lifetime in ms: hard x (90 - random(0..jitter)) %. */
uint64_t ivpn_soft_lifetime_ms(ipsecvpn_engine *e, uint32_t hard_s);
/* A random inbound SPI (>= 256, RFC 4303 §2.1) not used by any connection of the engine. */
int ivpn_child_new_spi(ipsecvpn_engine *e, uint32_t *spi);

#endif
