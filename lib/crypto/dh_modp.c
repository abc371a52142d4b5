/*
 * MODP Diffie-Hellman (RFC 2409 groups 1 and 2, RFC 3526 groups 5, 14, 15, 16) with
 * libtommath, generator 2.
 *
 * libtommath is not constant-time, so it serves only ephemeral keys. Private exponents are
 * short but ample: the upper end of RFC 3526 §8's exponent-size table (at least twice each
 * group's strength estimate), 256 bits for the two small Oakley groups.
 * Peer values must satisfy 1 < y < p-1 (RFC 7296 §5 / NIST SP 800-56A): for these safe primes
 * that excludes the only small-subgroup elements.
 * Debian's libtommath 1.2.0 mp_clear frees digits WITHOUT zeroing them (checked by
 * disassembly), so every secret integer is wiped here before mp_clear.
 */
#include <string.h>

#include "crypto/dh_impl.h"

/* The primes, as published (RFC 2409 §6.1-6.2, RFC 3526 §2-5); tests compare them with
 * tests/vectors/ike_modp_dh_groups.json. */
/* group 1, RFC 2409 §6.1 */
static const char prime_768[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF";

/* group 2, RFC 2409 §6.2 */
static const char prime_1024[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";

/* group 5, RFC 3526 §2 */
static const char prime_1536[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF";

/* group 14, RFC 3526 §3 */
static const char prime_2048[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF";

/* group 15, RFC 3526 §4 */
static const char prime_3072[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";

/* group 16, RFC 3526 §5 */
static const char prime_4096[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
    "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8"
    "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2"
    "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF";

static const struct {
    uint16_t id;
    const char *prime_hex;
    uint16_t exponent_bits; /* random private exponent size, see the note at the top */
} modp_groups[] = {
    {IPSECVPN_DH_MODP768, prime_768, 256},   {IPSECVPN_DH_MODP1024, prime_1024, 256},
    {IPSECVPN_DH_MODP1536, prime_1536, 240}, {IPSECVPN_DH_MODP2048, prime_2048, 320},
    {IPSECVPN_DH_MODP3072, prime_3072, 424}, {IPSECVPN_DH_MODP4096, prime_4096, 480},
};

#define MODP_MAX_BYTES 512

/* Wipe the digits of a secret integer, then release it (libtommath would not zero them). */
static void mp_clear_secret(mp_int *a)
{
    if (a->dp != NULL) {
        ivpn_wipe(a->dp, (size_t)a->alloc * sizeof(mp_digit));
    }
    mp_clear(a);
}

/* Writes a (< p) big-endian, left-padded with zeros to exactly len bytes. */
static int write_padded(const mp_int *a, uint8_t *out, size_t len)
{
    size_t n = mp_ubin_size(a);
    size_t written = 0;
    if (n > len) {
        return IPSECVPN_ERR_INTERNAL;
    }
    memset(out, 0, len - n);
    if (mp_to_ubin(a, out + (len - n), n, &written) != MP_OKAY || written != n) {
        return IPSECVPN_ERR_CRYPTO;
    }
    return IPSECVPN_OK;
}

static int modp_init(ivpn_dh *dh, uint16_t group_id, const uint8_t *priv, size_t priv_len)
{
    uint8_t rnd[MODP_MAX_BYTES];
    size_t i = 0;
    int rc = IPSECVPN_OK;
    mp_int g;

    while (modp_groups[i].id != group_id) {
        i++; /* dh.c only sends MODP IDs */
    }
    dh->u.modp.prime_hex = modp_groups[i].prime_hex;
    if (mp_init_multi(&dh->u.modp.p, &dh->u.modp.x, &dh->u.modp.gx, &g, NULL) != MP_OKAY) {
        return IPSECVPN_ERR_NOMEM;
    }
    if (mp_read_radix(&dh->u.modp.p, modp_groups[i].prime_hex, 16) != MP_OKAY) {
        rc = IPSECVPN_ERR_CRYPTO;
        goto out;
    }
    if (priv == NULL) {
        size_t n = modp_groups[i].exponent_bits / 8u;
        rc = ivpn_random(dh->ctx, rnd, n);
        if (rc != IPSECVPN_OK) {
            goto out;
        }
        rnd[0] |= 0x80; /* full length: never 0 or 1, exactly exponent_bits long */
        priv = rnd;
        priv_len = n;
    }
    if (priv_len > dh->info->public_len ||
        mp_from_ubin(&dh->u.modp.x, priv, priv_len) != MP_OKAY) {
        rc = IPSECVPN_ERR_INVALID_ARG;
        goto out;
    }
    /* A given exponent must be in [2, p-2]; random ones are by construction. */
    if (mp_cmp_d(&dh->u.modp.x, 1) != MP_GT || mp_cmp(&dh->u.modp.x, &dh->u.modp.p) != MP_LT) {
        rc = IPSECVPN_ERR_INVALID_ARG;
        goto out;
    }
    mp_set(&g, 2);
    if (mp_exptmod(&g, &dh->u.modp.x, &dh->u.modp.p, &dh->u.modp.gx) != MP_OKAY) {
        rc = IPSECVPN_ERR_CRYPTO;
    }
out:
    ivpn_wipe(rnd, sizeof(rnd));
    mp_clear(&g);
    return rc;
}

static int modp_public(const ivpn_dh *dh, uint8_t *out)
{
    return write_padded(&dh->u.modp.gx, out, dh->info->public_len);
}

static int modp_shared(ivpn_dh *dh, const uint8_t *peer, uint8_t *out)
{
    mp_int y, z, pm1;
    int rc = IPSECVPN_OK;

    if (mp_init_multi(&y, &z, &pm1, NULL) != MP_OKAY) {
        return IPSECVPN_ERR_NOMEM;
    }
    if (mp_from_ubin(&y, peer, dh->info->public_len) != MP_OKAY ||
        mp_sub_d(&dh->u.modp.p, 1, &pm1) != MP_OKAY) {
        rc = IPSECVPN_ERR_CRYPTO;
        goto out;
    }
    /* 1 < y < p-1 */
    if (mp_cmp_d(&y, 1) != MP_GT || mp_cmp(&y, &pm1) != MP_LT) {
        rc = IPSECVPN_ERR_DH_PUBLIC;
        goto out;
    }
    if (mp_exptmod(&y, &dh->u.modp.x, &dh->u.modp.p, &z) != MP_OKAY) {
        rc = IPSECVPN_ERR_CRYPTO;
        goto out;
    }
    rc = write_padded(&z, out, dh->info->shared_len);
out:
    mp_clear_secret(&z);
    mp_clear(&y);
    mp_clear(&pm1);
    return rc;
}

static void modp_clear(ivpn_dh *dh)
{
    mp_clear_secret(&dh->u.modp.x);
    mp_clear(&dh->u.modp.gx);
    mp_clear(&dh->u.modp.p);
}

/* For the known-answer test: the prime this build uses for a group, as hex. */
const char *ivpn_dh_modp_prime_hex(uint16_t group_id)
{
    for (size_t i = 0; i < sizeof(modp_groups) / sizeof(modp_groups[0]); i++) {
        if (modp_groups[i].id == group_id) {
            return modp_groups[i].prime_hex;
        }
    }
    return NULL;
}

const ivpn_dh_ops ivpn_dh_modp_ops = {modp_init, modp_public, modp_shared, modp_clear};
