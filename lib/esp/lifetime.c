/*
 * SA lifetimes: soft and hard limits in bytes, packets and seconds (RFC 4301 §4.4.2.1).
 * Crossing a soft limit raises IPSECVPN_ESP_EVENT_SOFT_EXPIRED once (the IKE engine rekeys);
 * crossing a hard limit raises IPSECVPN_ESP_EVENT_HARD_EXPIRED once and from then on every
 * packet is refused with IPSECVPN_ERR_ESP_EXPIRED. A hard limit of N packets (or bytes) lets
 * the SA process packets while fewer than N have been counted.
 */
#include "esp/esp_internal.h"

static bool reached(uint64_t limit, uint64_t used)
{
    return limit != 0 && used >= limit;
}

static uint64_t elapsed_ms(const ipsecvpn_esp_sa *sa, uint64_t now)
{
    return now > sa->created_ms ? now - sa->created_ms : 0;
}

static bool time_reached(uint64_t seconds, uint64_t elapsed)
{
    return seconds != 0 && elapsed / 1000 >= seconds;
}

static void set_state(ipsecvpn_esp_sa *sa, ipsecvpn_esp_sa_state state)
{
    if (state <= sa->state)
        return;
    if (sa->state < IPSECVPN_ESP_SA_SOFT_EXPIRED)
        sa->events |= IPSECVPN_ESP_EVENT_SOFT_EXPIRED;
    if (state == IPSECVPN_ESP_SA_HARD_EXPIRED) {
        sa->events |= IPSECVPN_ESP_EVENT_HARD_EXPIRED;
        IVPN_LOG_INFO(sa->ctx, "esp: SA 0x%08x reached a hard lifetime", (unsigned)sa->spi);
    } else {
        IVPN_LOG_INFO(sa->ctx, "esp: SA 0x%08x reached a soft lifetime", (unsigned)sa->spi);
    }
    sa->state = state;
}

int ivpn_esp_lifetime_check(ipsecvpn_esp_sa *sa, uint64_t now)
{
    if (sa->state != IPSECVPN_ESP_SA_HARD_EXPIRED && (sa->hard.seconds || sa->soft.seconds)) {
        uint64_t e = elapsed_ms(sa, now);
        if (time_reached(sa->hard.seconds, e))
            set_state(sa, IPSECVPN_ESP_SA_HARD_EXPIRED);
        else if (time_reached(sa->soft.seconds, e))
            set_state(sa, IPSECVPN_ESP_SA_SOFT_EXPIRED);
    }
    return sa->state == IPSECVPN_ESP_SA_HARD_EXPIRED ? IPSECVPN_ERR_ESP_EXPIRED : IPSECVPN_OK;
}

void ivpn_esp_lifetime_charge(ipsecvpn_esp_sa *sa, size_t payload_len)
{
    uint64_t packets = ++sa->stats.packets;
    uint64_t bytes = sa->stats.bytes += payload_len;

    if (reached(sa->hard.packets, packets) || reached(sa->hard.bytes, bytes))
        set_state(sa, IPSECVPN_ESP_SA_HARD_EXPIRED);
    else if (reached(sa->soft.packets, packets) || reached(sa->soft.bytes, bytes))
        set_state(sa, IPSECVPN_ESP_SA_SOFT_EXPIRED);
}

IPSECVPN_EXPORT ipsecvpn_esp_sa_state ipsecvpn_esp_sa_state_at(ipsecvpn_esp_sa *sa, uint64_t now)
{
    if (!sa)
        return IPSECVPN_ESP_SA_HARD_EXPIRED;
    ivpn_esp_lifetime_check(sa, now);
    return sa->state;
}

IPSECVPN_EXPORT uint32_t ipsecvpn_esp_sa_events(ipsecvpn_esp_sa *sa)
{
    uint32_t ev;

    if (!sa)
        return 0;
    ev = sa->events;
    sa->events = 0;
    return ev;
}

IPSECVPN_EXPORT uint64_t ipsecvpn_esp_sa_next_expiry(const ipsecvpn_esp_sa *sa)
{
    uint64_t s;

    if (!sa || sa->state == IPSECVPN_ESP_SA_HARD_EXPIRED)
        return UINT64_MAX;
    s = sa->state == IPSECVPN_ESP_SA_ACTIVE && sa->soft.seconds ? sa->soft.seconds
                                                                : sa->hard.seconds;
    if (s == 0 || s > (UINT64_MAX - sa->created_ms) / 1000)
        return UINT64_MAX;
    return sa->created_ms + s * 1000;
}
