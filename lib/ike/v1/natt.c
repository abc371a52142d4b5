/*
 * NAT traversal for IKEv1 (RFC 3947) and the DPD vendor ID (RFC 3706 §4):
 *
 *   main mode:   HDR, SA, VID -->  <-- HDR, SA, VID
 *                HDR, KE, Ni, NAT-D, NAT-D -->  <-- HDR, KE, Nr, NAT-D, NAT-D
 *                HDR*#, IDii, HASH_I -->  <-- HDR*#, IDir, HASH_R      (# : on port 4500)
 *   aggressive:  HDR, SA, KE, Ni, IDii, VID -->
 *                <-- HDR, SA, KE, Nr, IDir, HASH_R, NAT-D, NAT-D, VID
 *                HDR*#, HASH_I, NAT-D, NAT-D -->
 *
 * NAT-D = HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash; the first payload is the
 * address the sender sends to, the others the addresses it sends from (§3.2). When the
 * peer's hash of our address does not match what we see, we are behind a NAT; when none of
 * its own matches the source we see, it is. Either way both sides move to port 4500 with
 * the message after NAT-D (§4) and we send keepalives when we are the one behind the NAT.
 */
#include <string.h>

#include "ike/v1/v1_internal.h"
#include "ipsecvpn/udp_encap.h"

/* MD5("RFC 3947") */
const uint8_t ivpn_v1_vid_natt[16] = { 0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
                                       0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f };
/* RFC 3706 §4: the DPD vendor ID (its last two octets are major and minor version 1.0) */
const uint8_t ivpn_v1_vid_dpd[16] = { 0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
                                      0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00 };

void ivpn_v1_add_vids(ivpn_v1_msg *m)
{
    ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_VID, ivpn_v1_vid_natt, sizeof(ivpn_v1_vid_natt));
    ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_VID, ivpn_v1_vid_dpd, sizeof(ivpn_v1_vid_dpd));
}

void ivpn_v1_read_vids(ivpn_v1_sa *sa, const ivpn_v1_rx *rx)
{
    for (unsigned i = 0; i < rx->pl.count; i++) {
        const ivpn_isakmp_payload_ref *r = &rx->pl.items[i];
        if (r->type != IVPN_ISAKMP_PL_VID || r->body.len != 16)
            continue;
        if (memcmp(r->body.p, ivpn_v1_vid_natt, 16) == 0)
            sa->peer_natt = true;
        else if (memcmp(r->body.p, ivpn_v1_vid_dpd, 16) == 0)
            sa->peer_dpd = true;
    }
}

int ivpn_v1_add_natd(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_v1_sa *sa,
                     ivpn_v1_msg *m)
{
    if (!sa->peer_natt)
        return IPSECVPN_OK;
    uint8_t dst[IVPN_V1_KEY_MAX], src[IVPN_V1_KEY_MAX];
    size_t dst_len = 0, src_len = 0;
    int rc = ivpn_v1_natd(sa->prf, sa->cky_i, sa->cky_r, &sa->remote, dst, &dst_len);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_natd(sa->prf, sa->cky_i, sa->cky_r, &sa->local, src, &src_len);
    /* forced encapsulation: a source hash that cannot match makes both sides see a NAT */
    if (rc == IPSECVPN_OK && ivpn_conn_values(c)->nat_traversal)
        rc = ivpn_random(e->ctx, src, src_len);
    if (rc != IPSECVPN_OK)
        return rc;
    ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_NATD, dst, dst_len);
    ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_NATD, src, src_len);
    return IPSECVPN_OK;
}

static bool is_natd(uint8_t type)
{
    return type == IVPN_ISAKMP_PL_NATD || type == IVPN_ISAKMP_PL_NATD_DRAFT;
}

void ivpn_v1_check_natd(ivpn_v1_sa *sa, const ivpn_v1_rx *rx, const ipsecvpn_endpoint *local,
                        const ipsecvpn_endpoint *remote)
{
    uint8_t want_dst[IVPN_V1_KEY_MAX], want_src[IVPN_V1_KEY_MAX];
    size_t dst_len = 0, src_len = 0;
    if (!sa->peer_natt ||
        ivpn_v1_natd(sa->prf, sa->cky_i, sa->cky_r, local, want_dst, &dst_len) != IPSECVPN_OK ||
        ivpn_v1_natd(sa->prf, sa->cky_i, sa->cky_r, remote, want_src, &src_len) != IPSECVPN_OK)
        return;
    bool first = true, any = false, dst_ok = false, src_ok = false;
    for (unsigned i = 0; i < rx->pl.count; i++) {
        const ivpn_isakmp_payload_ref *r = &rx->pl.items[i];
        if (!is_natd(r->type))
            continue;
        any = true;
        if (first)
            dst_ok = r->body.len == dst_len && memcmp(r->body.p, want_dst, dst_len) == 0;
        else
            src_ok |= r->body.len == src_len && memcmp(r->body.p, want_src, src_len) == 0;
        first = false;
    }
    if (!any)
        return;
    sa->nat_local = !dst_ok;
    sa->nat_remote = !src_ok;
}

static bool nat_seen(const ivpn_v1_sa *sa)
{
    return sa->peer_natt && (sa->nat_local || sa->nat_remote);
}

void ivpn_v1_float(const ipsecvpn_engine *e, const ivpn_conn *c, ivpn_v1_sa *sa)
{
    if (!nat_seen(sa))
        return;
    if (sa->local.port == c->local.port)
        sa->local.port = e->settings.natt_port;
    if (sa->remote.port == IPSECVPN_IKE_PORT)
        sa->remote.port = IPSECVPN_NATT_PORT;
}

void ivpn_v1_follow(ivpn_v1_sa *sa, const ipsecvpn_endpoint *local,
                    const ipsecvpn_endpoint *remote)
{
    sa->local = *local;
    sa->remote = *remote;
}

void ivpn_v1_keepalive_arm(const ipsecvpn_engine *e, const ivpn_conn *c, ivpn_v1_sa *sa,
                           uint64_t now)
{
    bool behind = sa->nat_local || ivpn_conn_values(c)->nat_traversal;
    sa->keepalive_at = nat_seen(sa) && behind && e->settings.keepalive_s &&
                               sa->remote.port != IPSECVPN_IKE_PORT
                           ? now + (uint64_t)e->settings.keepalive_s * 1000
                           : 0;
}

void ivpn_v1_keepalive_due(ipsecvpn_engine *e, ivpn_v1_sa *sa, uint64_t now)
{
    if (!sa->keepalive_at || now < sa->keepalive_at)
        return;
    uint8_t ka = 0xff; /* RFC 3948 §2.3 */
    (void)ivpn_engine_send_raw(e, &sa->local, &sa->remote, &ka, 1, false);
    sa->keepalive_at = now + (uint64_t)e->settings.keepalive_s * 1000;
}
