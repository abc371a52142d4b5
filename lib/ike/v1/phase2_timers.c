/*
 * The phase-2 timers of an IKEv1 connection: quick-mode retransmission and cleanup, DPD,
 * Child SA lifetimes (at the soft one a new quick mode replaces the pair, make-before-break;
 * at the hard one the pair is deleted and the peer told), and the `restart` DPD action.
 */
#include <string.h>

#include "ike/common/child_sa.h"
#include "ike/v1/v1_internal.h"

#define DELETE_AGAIN_MS 2000u   /* a collision loser's Delete, until the peer answers it */

static uint64_t min_t(uint64_t a, uint64_t b)
{
    if (!b)
        return a;
    return b < a ? b : a;
}

static const ivpn_v1_sa *current_c(const ivpn_conn *c)
{
    const ivpn_v1_sa *sa = c->v1 ? c->v1->sa : NULL;
    return sa && sa->state == IVPN_V1_P1_ESTABLISHED ? sa : NULL;
}

uint64_t ivpn_v1_phase2_next_expiry(const ivpn_conn *c)
{
    uint64_t t = UINT64_MAX; /* restart_at is phase 1's (ikev1.c) */
    for (const ivpn_child *ch = ivpn_child_first(c); ch; ch = ivpn_child_next(ch)) {
        t = min_t(t, ch->expire_at);
        if (!ch->retired)
            t = min_t(t, ch->rekey_at);
    }
    if (!c->v1)
        return t;
    if (c->v1->sa)
        t = min_t(t, ivpn_v1_qm_next_expiry(c->v1->sa));
    for (const ivpn_v1_sa *o = c->v1->old; o; o = o->next)
        t = min_t(t, ivpn_v1_qm_next_expiry(o));
    const ivpn_v1_sa *sa = current_c(c);
    if (sa) {
        t = min_t(t, sa->dpd_at);
        t = min_t(t, sa->dpd_deadline);
    }
    return t;
}

/* Child SA lifetimes: delete at the hard limit (retired pairs first: they are older), rekey
 * each current pair at its soft limit, one quick mode at a time. Returns false when the
 * connection's SAs were closed. */
static bool child_lifetimes(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    bool removed = false;
    ivpn_child *ch, *tmp;
    ivpn_v1_sa *sa = ivpn_v1_current(c);
    for (int pass = 0; pass < 2; pass++)
        IVPN_CHILD_FOREACH(c, ch, tmp) {
            if (ch->retired != (pass == 0) || !ch->expire_at || now < ch->expire_at)
                continue;
            if (ch->retired && ch->delete_until && now < ch->delete_until) {
                /* a rekey-collision loser the peer may still send on (quick.c): tell it
                 * again, keep receiving until it answers (info.c) or delete_until */
                IVPN_LOG_DEBUG(e->ctx, "IKEv1: redundant Child SA 0x%08x, Delete sent",
                               ch->spi_in);
                if (sa)
                    (void)ivpn_v1_delete_esp_send(e, sa, &ch->spi_in, 1);
                ch->expire_at = now + DELETE_AGAIN_MS < ch->delete_until
                                    ? now + DELETE_AGAIN_MS
                                    : ch->delete_until;
                continue;
            }
            IVPN_LOG_INFO(e->ctx, "IKEv1: Child SA 0x%08x %s", ch->spi_in,
                          ch->retired ? "replaced, deleted" : "reached its lifetime");
            ivpn_v1_child_delete(e, c, ch);
            removed = true;
        }
    if (removed && !ivpn_child_first(c) && sa && !ivpn_v1_qm_pending(sa)) {
        IVPN_LOG_INFO(e->ctx, "IKEv1: no Child SA left, closing the ISAKMP SA");
        c->ops->close(e, c, now, true); /* no tunnel left, as IKEv2 does */
        return false;
    }
    for (ch = ivpn_child_first(c); ch; ch = ivpn_child_next(ch)) {
        if (ch->retired || !ch->rekey_at || now < ch->rekey_at)
            continue;
        if (ch->replaced_by) {
            /* replaced by our rekey: the peer has had its successor long enough */
            ivpn_child_retire(ch, ch->replaced_by);
            continue;
        }
        if (sa && !ivpn_v1_qm_pending(sa)) {
            ch->rekey_at = 0;
            if (ivpn_v1_quick_start(e, c, ch->spi_in, now) != IPSECVPN_OK)
                ch->rekey_at = now + 10000;
        } else if (!sa && !c->ops->busy(c)) {
            /* the ISAKMP SA is gone: a new phase 1 first; the quick mode that replaces the
             * pair follows on a later tick, once it is established */
            ch->rekey_at = now + 1000;
            if (ivpn_v1_phase1_start(e, c, false, now) != IPSECVPN_OK)
                ch->rekey_at = now + 10000;
        } else {
            ch->rekey_at = now + 1000; /* an exchange is under way: try again shortly */
        }
    }
    return true;
}
void ivpn_v1_phase2_expiry(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    if (!c->v1)
        return;
    for (ivpn_v1_sa *o = c->v1->old; o; o = o->next)
        if (!ivpn_v1_qm_expiry(e, c, o, now))
            return;
    if (c->v1->sa && !ivpn_v1_qm_expiry(e, c, c->v1->sa, now))
        return;
    ivpn_v1_sa *sa = ivpn_v1_current(c);
    if (sa && !ivpn_v1_dpd_expiry(e, c, sa, now))
        return; /* declared dead */
    (void)child_lifetimes(e, c, now);
}
