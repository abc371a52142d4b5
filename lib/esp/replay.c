/*
 * Anti-replay window (RFC 4303 §3.4.3) with extended sequence numbers (RFC 4304, RFC 4303
 * Appendix A). The window is a ring of 64-bit words (the RFC 6479 layout): sliding forward
 * clears whole words instead of shifting the bitmap, so a 4096-packet window costs the same
 * per packet as a 32-packet one.
 *
 * The split into check (no state change) and update (after the ICV verified) is what keeps a
 * forged packet from moving the window.
 */
#include "esp/esp_internal.h"

uint32_t ivpn_replay_words(uint32_t window)
{
    uint32_t need, words = 1;

    if (window == 0)
        return 0;
    need = (window + 63) / 64 + 1;
    while (words < need)
        words <<= 1;
    return words;
}

uint64_t ivpn_replay_infer(const ivpn_replay *r, bool esn, uint32_t seq_low)
{
    /* Without a window the receiver still needs a notion of "recent" to place the high half;
     * half the 32-bit space is the widest that keeps the inference unambiguous. */
    uint32_t w = r->window ? r->window : 0x80000000u;
    uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
    uint32_t seq_high;

    if (!esn)
        return seq_low;
    if (tl >= w - 1) {
        /* Case A: the window lies within one 2^32 subspace. */
        seq_high = seq_low >= tl - w + 1 ? th : th + 1;
    } else {
        /* Case B: the window spans two subspaces; low numbers beyond its start belong to
         * the previous one (which does not exist before the first wrap). */
        if (seq_low >= (uint32_t)(tl - w + 1) && th > 0)
            seq_high = th - 1;
        else
            seq_high = th;
    }
    return (uint64_t)seq_high << 32 | seq_low;
}

int ivpn_replay_check(const ivpn_replay *r, uint64_t seq)
{
    uint64_t word;

    if (seq == 0)
        return IPSECVPN_ERR_ESP_REPLAY; /* sequence numbers start at 1 */
    if (r->window == 0 || seq > r->top)
        return IPSECVPN_OK;
    if (r->top - seq >= r->window)
        return IPSECVPN_ERR_ESP_REPLAY;
    word = r->bitmap[(seq >> 6) & (r->words - 1)];
    return (word >> (seq & 63)) & 1 ? IPSECVPN_ERR_ESP_REPLAY : IPSECVPN_OK;
}

void ivpn_replay_update(ivpn_replay *r, uint64_t seq)
{
    uint32_t mask = r->words - 1;

    if (r->window == 0) {
        if (seq > r->top)
            r->top = seq;
        return;
    }
    if (seq > r->top) {
        uint64_t from = r->top >> 6, to = seq >> 6, n = to - from;
        if (n > r->words)
            n = r->words;
        for (uint64_t i = 1; i <= n; i++)
            r->bitmap[(from + i) & mask] = 0;
        r->top = seq;
    }
    r->bitmap[(seq >> 6) & mask] |= (uint64_t)1 << (seq & 63);
}
