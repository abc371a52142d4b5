/*
 * ESP SA objects: validation of the parameters, creation with the key schedules prepared once
 * (no per-packet key setup), counters, memory and room queries, freeing with key wiping.
 */
#include <string.h>

#include "esp/esp_internal.h"
#include "esp/selector.h"

static int fail(ipsecvpn_ctx *ctx, int rc, const char *what)
{
    IVPN_LOG_WARN(ctx, "esp: SA parameters refused: %s", what);
    return rc;
}

static bool family_ok(uint8_t f)
{
    return f == IPSECVPN_IPV4 || f == IPSECVPN_IPV6;
}

static bool lifetime_ok(const ipsecvpn_esp_lifetime *soft, const ipsecvpn_esp_lifetime *hard)
{
    return !(soft->bytes && hard->bytes && soft->bytes > hard->bytes) &&
           !(soft->packets && hard->packets && soft->packets > hard->packets) &&
           !(soft->seconds && hard->seconds && soft->seconds > hard->seconds);
}

/* Checks everything that does not need the crypto tables. */
static int check_params(ipsecvpn_ctx *ctx, const ipsecvpn_esp_sa_params *p)
{
    if (p->spi < 256)
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "spi: 0..255 are reserved (RFC 4303 §2.1)");
    if (p->direction != IPSECVPN_ESP_DIR_IN && p->direction != IPSECVPN_ESP_DIR_OUT)
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "direction: must be in or out");
    if (p->mode != IPSECVPN_ESP_MODE_TUNNEL && p->mode != IPSECVPN_ESP_MODE_TRANSPORT)
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "mode: must be tunnel or transport");
    if (!family_ok(p->local_addr.family) || p->local_addr.family != p->remote_addr.family)
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "addresses: need one family, IPv4 or IPv6");
    if ((p->local_port == 0) != (p->remote_port == 0))
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "ports: UDP encapsulation needs both ports");
    if (p->replay_window != 0 && (p->replay_window < IPSECVPN_ESP_REPLAY_WINDOW_MIN ||
                                  p->replay_window > IPSECVPN_ESP_REPLAY_WINDOW_MAX))
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "replay_window: must be 0 or 32..65536");
    if (p->tfc_pad && p->mode != IPSECVPN_ESP_MODE_TUNNEL)
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "tfc_pad: only in tunnel mode");
    if (p->esn > 1)
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "esn: must be 0 or 1");
    if (!lifetime_ok(&p->soft, &p->hard))
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "lifetimes: a soft limit exceeds its hard limit");
    if (p->selector_count > IPSECVPN_ESP_MAX_SELECTORS || (p->selector_count && !p->selectors))
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "selectors: too many or NULL");
    for (size_t i = 0; i < p->selector_count; i++)
        if (ivpn_selector_check(ctx, &p->selectors[i], "esp.selectors") != IPSECVPN_OK)
            return IPSECVPN_ERR_INVALID_ARG; /* the check logged which field */
    if (!p->encr_key && p->encr_key_len)
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "encr_key: NULL");
    if (!p->integ_key && p->integ_key_len)
        return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "integ_key: NULL");
    return IPSECVPN_OK;
}

/* Algorithms and key schedules. */
static int setup_crypto(ipsecvpn_esp_sa *sa, const ipsecvpn_esp_sa_params *p)
{
    ipsecvpn_ctx *ctx = sa->ctx;
    int rc;

    sa->cinfo = ivpn_cipher_lookup(p->encr, p->encr_key_bits);
    if (!sa->cinfo)
        return fail(ctx, IPSECVPN_ERR_CRYPTO_ALG, "encr: unknown algorithm or key size");
    if (p->encr_key_len != (size_t)sa->cinfo->key_len + sa->cinfo->salt_len)
        return fail(ctx, IPSECVPN_ERR_CRYPTO_KEY_LEN, "encr_key: wrong length (key || salt)");
    sa->aead = sa->cinfo->aead;
    sa->iv_len = sa->cinfo->iv_len;
    sa->block = sa->cinfo->block_size < 4 ? 4 : sa->cinfo->block_size;
    if (sa->aead) {
        if (p->integ != IPSECVPN_INTEG_NONE || p->integ_key_len)
            return fail(ctx, IPSECVPN_ERR_INVALID_ARG, "integ: must be none with an AEAD cipher");
        sa->icv_len = sa->cinfo->icv_len;
        return ivpn_aead_new(ctx, sa->cinfo, p->encr_key, p->encr_key_len, &sa->aead_ctx);
    }
    sa->iinfo = ivpn_integ_lookup(p->integ);
    if (!sa->iinfo || p->integ == IPSECVPN_INTEG_NONE)
        return fail(ctx, IPSECVPN_ERR_CRYPTO_ALG, "integ: CBC ciphers need an integrity algorithm");
    if (p->integ_key_len != sa->iinfo->key_len)
        return fail(ctx, IPSECVPN_ERR_CRYPTO_KEY_LEN, "integ_key: wrong length");
    sa->icv_len = sa->iinfo->icv_len;
    rc = ivpn_cipher_new(ctx, sa->cinfo, p->encr_key, p->encr_key_len, &sa->cipher);
    if (rc == IPSECVPN_OK)
        rc = ivpn_integ_new(ctx, sa->iinfo, p->integ_key, p->integ_key_len, &sa->integ);
    if (rc == IPSECVPN_OK && p->direction == IPSECVPN_ESP_DIR_OUT)
        rc = ivpn_random(ctx, sa->iv_nonce, sizeof(sa->iv_nonce));
    return rc;
}

IPSECVPN_EXPORT int ipsecvpn_esp_sa_new(ipsecvpn_ctx *ctx, const ipsecvpn_esp_sa_params *params,
                                        uint64_t now, ipsecvpn_esp_sa **out)
{
    ipsecvpn_esp_sa *sa;
    uint32_t words;
    size_t size;
    int rc;

    if (!out)
        return IPSECVPN_ERR_INVALID_ARG;
    *out = NULL;
    if (!params)
        return IPSECVPN_ERR_INVALID_ARG;
    if (params->version != IPSECVPN_ESP_SA_PARAMS_VERSION)
        return fail(ctx, IPSECVPN_ERR_VERSION, "version: unknown");
    rc = check_params(ctx, params);
    if (rc != IPSECVPN_OK)
        return rc;

    words = params->direction == IPSECVPN_ESP_DIR_IN ? ivpn_replay_words(params->replay_window) : 0;
    size = sizeof(*sa) + (size_t)words * sizeof(uint64_t) +
           params->selector_count * sizeof(ipsecvpn_selector);
    sa = ivpn_zalloc(ctx, size);
    if (!sa)
        return IPSECVPN_ERR_NOMEM;
    sa->ctx = ctx;
    sa->alloc_size = size;
    sa->spi = params->spi;
    ivpn_put32(sa->spi_be, params->spi);
    sa->dir = params->direction;
    sa->mode = params->mode;
    sa->esn = params->esn != 0;
    sa->encap = params->local_port != 0;
    sa->tfc_pad = params->tfc_pad;
    sa->local = params->local_addr;
    sa->remote = params->remote_addr;
    sa->local_port = params->local_port;
    sa->remote_port = params->remote_port;
    if (words) {
        sa->replay.window = params->replay_window;
        sa->replay.words = words;
        sa->replay.bitmap = (uint64_t *)(sa + 1);
    }
    sa->soft = params->soft;
    sa->hard = params->hard;
    sa->created_ms = now;
    sa->state = IPSECVPN_ESP_SA_ACTIVE;
    sa->stats.created_ms = now;
    sa->selector_count = params->selector_count;
    if (params->selector_count) {
        sa->selectors = (ipsecvpn_selector *)((uint64_t *)(sa + 1) + words);
        memcpy(sa->selectors, params->selectors, params->selector_count * sizeof(*params->selectors));
    }

    rc = setup_crypto(sa, params);
    if (rc != IPSECVPN_OK) {
        ipsecvpn_esp_sa_free(sa);
        return rc;
    }
    IVPN_LOG_DEBUG(ctx, "esp: SA 0x%08x %s %s %s created", (unsigned)sa->spi,
                   sa->dir == IPSECVPN_ESP_DIR_IN ? "in" : "out",
                   sa->mode == IPSECVPN_ESP_MODE_TUNNEL ? "tunnel" : "transport", sa->cinfo->name);
    *out = sa;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT void ipsecvpn_esp_sa_free(ipsecvpn_esp_sa *sa)
{
    ipsecvpn_ctx *ctx;

    if (!sa)
        return;
    ctx = sa->ctx;
    if (sa->cipher)
        ivpn_cipher_free(ctx, sa->cipher);
    if (sa->integ)
        ivpn_integ_free(ctx, sa->integ);
    if (sa->aead_ctx)
        ivpn_aead_free(ctx, sa->aead_ctx);
    ivpn_wipe(sa, sa->alloc_size);
    ivpn_free(ctx, sa);
}

IPSECVPN_EXPORT uint32_t ipsecvpn_esp_sa_spi(const ipsecvpn_esp_sa *sa)
{
    return sa ? sa->spi : 0;
}

IPSECVPN_EXPORT int ipsecvpn_esp_sa_get_stats(const ipsecvpn_esp_sa *sa, ipsecvpn_esp_stats *stats)
{
    if (!sa || !stats)
        return IPSECVPN_ERR_INVALID_ARG;
    if (stats->version != IPSECVPN_ESP_STATS_VERSION)
        return IPSECVPN_ERR_VERSION;
    *stats = sa->stats;
    stats->version = IPSECVPN_ESP_STATS_VERSION; /* the SA's copy never carries one */
    stats->state = (uint32_t)sa->state;
    stats->seq = sa->dir == IPSECVPN_ESP_DIR_OUT ? sa->seq : sa->replay.top;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT size_t ipsecvpn_esp_sa_memory(const ipsecvpn_esp_sa *sa)
{
    return sa ? sa->alloc_size : 0;
}

IPSECVPN_EXPORT int ipsecvpn_esp_sa_overhead(const ipsecvpn_esp_sa *sa, uint32_t flags,
                                             size_t *headroom, size_t *tailroom)
{
    size_t head;

    if (!sa || sa->dir != IPSECVPN_ESP_DIR_OUT)
        return IPSECVPN_ERR_INVALID_ARG;
    head = IVPN_ESP_HDR_LEN + sa->iv_len;
    if (flags & IPSECVPN_ESP_FLAG_FULL)
        head += sa->mode == IPSECVPN_ESP_MODE_TUNNEL ? ivpn_esp_outer_len(sa)
                                                     : (sa->encap ? IVPN_UDP_HDR_LEN : 0);
    if (headroom)
        *headroom = head;
    if (tailroom)
        *tailroom = (size_t)sa->tfc_pad + sa->block - 1 + IVPN_ESP_TRAILER_LEN + sa->icv_len;
    return IPSECVPN_OK;
}

int ivpn_esp_sa_test_fix_iv(ipsecvpn_esp_sa *sa, const uint8_t *iv, size_t len)
{
    if (!sa || !iv || len != sa->iv_len)
        return IPSECVPN_ERR_INVALID_ARG;
    memcpy(sa->fixed_iv, iv, len);
    sa->iv_fixed = true;
    return IPSECVPN_OK;
}

void ivpn_esp_sa_test_set_seq(ipsecvpn_esp_sa *sa, uint64_t seq)
{
    if (sa->dir == IPSECVPN_ESP_DIR_OUT) {
        sa->seq = seq;
        return;
    }
    sa->replay.top = seq;
    if (sa->replay.words)
        memset(sa->replay.bitmap, 0, sa->replay.words * sizeof(uint64_t));
}
