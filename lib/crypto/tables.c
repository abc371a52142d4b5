/*
 * The algorithm tables, keyed by IANA IKEv2 transform IDs (ipsecvpn/algorithms.h), so engines
 * choose algorithms by number. Sizes from RFC 3602 (AES-CBC), RFC 2451 (3DES), RFC 2405 (DES),
 * RFC 4106 (AES-GCM-16), RFC 7634 (ChaCha20-Poly1305), RFC 2403/2404/4868 (HMACs),
 * RFC 2409/3526 (MODP), RFC 5903 (ECP) and RFC 8031 (Curve25519).
 */
#include "crypto/crypto.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const ivpn_cipher_info cipher_table[] = {
    /* id                                name               key blk iv salt icv aead */
    {IPSECVPN_ENCR_DES,               "des-cbc",           8,  8, 8, 0, 0, false},
    {IPSECVPN_ENCR_3DES,              "3des-cbc",         24,  8, 8, 0, 0, false},
    {IPSECVPN_ENCR_AES_CBC,           "aes128-cbc",       16, 16, 16, 0, 0, false},
    {IPSECVPN_ENCR_AES_CBC,           "aes192-cbc",       24, 16, 16, 0, 0, false},
    {IPSECVPN_ENCR_AES_CBC,           "aes256-cbc",       32, 16, 16, 0, 0, false},
    {IPSECVPN_ENCR_AES_GCM_16,        "aes128-gcm-16",    16,  4, 8, 4, 16, true},
    {IPSECVPN_ENCR_AES_GCM_16,        "aes192-gcm-16",    24,  4, 8, 4, 16, true},
    {IPSECVPN_ENCR_AES_GCM_16,        "aes256-gcm-16",    32,  4, 8, 4, 16, true},
    {IPSECVPN_ENCR_CHACHA20_POLY1305, "chacha20-poly1305", 32, 4, 8, 4, 16, true},
};

static const ivpn_integ_info integ_table[] = {
    /* id                                 name               key icv full */
    {IPSECVPN_INTEG_HMAC_MD5_96,       "hmac-md5-96",       16, 12, 16},
    {IPSECVPN_INTEG_HMAC_SHA1_96,      "hmac-sha1-96",      20, 12, 20},
    {IPSECVPN_INTEG_HMAC_SHA2_256_128, "hmac-sha256-128",   32, 16, 32},
    {IPSECVPN_INTEG_HMAC_SHA2_384_192, "hmac-sha384-192",   48, 24, 48},
    {IPSECVPN_INTEG_HMAC_SHA2_512_256, "hmac-sha512-256",   64, 32, 64},
};

static const ivpn_prf_info prf_table[] = {
    {IPSECVPN_PRF_HMAC_MD5,      "prf-hmac-md5",     16, 16},
    {IPSECVPN_PRF_HMAC_SHA1,     "prf-hmac-sha1",    20, 20},
    {IPSECVPN_PRF_HMAC_SHA2_256, "prf-hmac-sha256",  32, 32},
    {IPSECVPN_PRF_HMAC_SHA2_384, "prf-hmac-sha384",  48, 48},
    {IPSECVPN_PRF_HMAC_SHA2_512, "prf-hmac-sha512",  64, 64},
};

static const ivpn_dh_info dh_table[] = {
    /* id                      name          public shared */
    {IPSECVPN_DH_MODP768,    "modp768",      96,  96},
    {IPSECVPN_DH_MODP1024,   "modp1024",    128, 128},
    {IPSECVPN_DH_MODP1536,   "modp1536",    192, 192},
    {IPSECVPN_DH_MODP2048,   "modp2048",    256, 256},
    {IPSECVPN_DH_MODP3072,   "modp3072",    384, 384},
    {IPSECVPN_DH_MODP4096,   "modp4096",    512, 512},
    {IPSECVPN_DH_ECP256,     "ecp256",       64,  32},
    {IPSECVPN_DH_ECP384,     "ecp384",       96,  48},
    {IPSECVPN_DH_ECP521,     "ecp521",      132,  66},
    {IPSECVPN_DH_CURVE25519, "curve25519",   32,  32},
};

const ivpn_cipher_info *ivpn_cipher_lookup(uint16_t encr_id, unsigned key_bits)
{
    for (size_t i = 0; i < COUNT(cipher_table); i++) {
        const ivpn_cipher_info *c = &cipher_table[i];
        if (c->id != encr_id) {
            continue;
        }
        /* Variable-length ciphers (AES) need their size; fixed ones accept 0 or theirs. */
        bool variable = encr_id == IPSECVPN_ENCR_AES_CBC || encr_id == IPSECVPN_ENCR_AES_GCM_16;
        if (key_bits == (unsigned)c->key_len * 8u || (!variable && key_bits == 0)) {
            return c;
        }
    }
    return NULL;
}

const ivpn_integ_info *ivpn_integ_lookup(uint16_t integ_id)
{
    for (size_t i = 0; i < COUNT(integ_table); i++) {
        if (integ_table[i].id == integ_id) {
            return &integ_table[i];
        }
    }
    return NULL;
}

const ivpn_prf_info *ivpn_prf_lookup(uint16_t prf_id)
{
    for (size_t i = 0; i < COUNT(prf_table); i++) {
        if (prf_table[i].id == prf_id) {
            return &prf_table[i];
        }
    }
    return NULL;
}

const ivpn_dh_info *ivpn_dh_lookup(uint16_t group_id)
{
    for (size_t i = 0; i < COUNT(dh_table); i++) {
        if (dh_table[i].id == group_id) {
            return &dh_table[i];
        }
    }
    return NULL;
}
