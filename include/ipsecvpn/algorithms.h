/**
 * @file algorithms.h
 * @brief Algorithm identifiers: the IANA IKEv2 transform IDs (RFC 7296 §3.3.2 and the
 *        IANA "IKEv2 Transform Attribute Types" registry), used across the API so that an
 *        SA handed to the host names its algorithms the way every IPsec stack does.
 */
#ifndef IPSECVPN_ALGORITHMS_H
#define IPSECVPN_ALGORITHMS_H

#ifdef __cplusplus
extern "C" {
#endif

/** Transform type 1: encryption algorithms (ENCR_*). */
typedef enum ipsecvpn_encr {
    IPSECVPN_ENCR_NONE = 0,               /**< no encryption (not offered) */
    IPSECVPN_ENCR_DES = 2,                /**< DES-CBC, 64-bit key (RFC 2405) */
    IPSECVPN_ENCR_3DES = 3,               /**< 3DES-CBC, 192-bit key (RFC 2451) */
    IPSECVPN_ENCR_AES_CBC = 12,           /**< AES-CBC, 128/192/256-bit key (RFC 3602) */
    IPSECVPN_ENCR_AES_GCM_16 = 20,        /**< AES-GCM with 16-byte ICV (RFC 4106) */
    IPSECVPN_ENCR_CHACHA20_POLY1305 = 28  /**< ChaCha20-Poly1305 (RFC 7634) */
} ipsecvpn_encr;

/** Transform type 2: pseudo-random functions (PRF_*), used by IKE. */
typedef enum ipsecvpn_prf {
    IPSECVPN_PRF_NONE = 0,          /**< none */
    IPSECVPN_PRF_HMAC_MD5 = 1,      /**< HMAC-MD5 (RFC 2104) */
    IPSECVPN_PRF_HMAC_SHA1 = 2,     /**< HMAC-SHA1 (RFC 2104) */
    IPSECVPN_PRF_HMAC_SHA2_256 = 5, /**< HMAC-SHA-256 (RFC 4868) */
    IPSECVPN_PRF_HMAC_SHA2_384 = 6, /**< HMAC-SHA-384 (RFC 4868) */
    IPSECVPN_PRF_HMAC_SHA2_512 = 7  /**< HMAC-SHA-512 (RFC 4868) */
} ipsecvpn_prf;

/** Transform type 3: integrity algorithms (AUTH_*), truncated as ESP uses them. */
typedef enum ipsecvpn_integ {
    IPSECVPN_INTEG_NONE = 0,                /**< none (with AEAD ciphers) */
    IPSECVPN_INTEG_HMAC_MD5_96 = 1,         /**< RFC 2403 */
    IPSECVPN_INTEG_HMAC_SHA1_96 = 2,        /**< RFC 2404 */
    IPSECVPN_INTEG_HMAC_SHA2_256_128 = 12,  /**< RFC 4868 */
    IPSECVPN_INTEG_HMAC_SHA2_384_192 = 13,  /**< RFC 4868 */
    IPSECVPN_INTEG_HMAC_SHA2_512_256 = 14   /**< RFC 4868 */
} ipsecvpn_integ;

/** Transform type 4: Diffie-Hellman groups. */
typedef enum ipsecvpn_dh_group {
    IPSECVPN_DH_NONE = 0,        /**< no PFS */
    IPSECVPN_DH_MODP768 = 1,     /**< group1, RFC 2409 */
    IPSECVPN_DH_MODP1024 = 2,    /**< group2, RFC 2409 */
    IPSECVPN_DH_MODP1536 = 5,    /**< group5, RFC 3526 */
    IPSECVPN_DH_MODP2048 = 14,   /**< group14, RFC 3526 */
    IPSECVPN_DH_MODP3072 = 15,   /**< group15, RFC 3526 */
    IPSECVPN_DH_MODP4096 = 16,   /**< group16, RFC 3526 */
    IPSECVPN_DH_ECP256 = 19,     /**< NIST P-256, RFC 5903 */
    IPSECVPN_DH_ECP384 = 20,     /**< NIST P-384, RFC 5903 */
    IPSECVPN_DH_ECP521 = 21,     /**< NIST P-521, RFC 5903 */
    IPSECVPN_DH_CURVE25519 = 31  /**< X25519, RFC 8031 */
} ipsecvpn_dh_group;

#ifdef __cplusplus
}
#endif
#endif
