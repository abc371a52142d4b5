/* Scaffold until the IKEv1 engine lands: every IKEv1 operation is refused. */
#include "ike/v1/ikev1.h"

static int v1_initiate(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    (void)c;
    (void)now;
    IVPN_LOG_WARN(e->ctx, "IKEv1: not implemented yet");
    return IPSECVPN_ERR_UNSUPPORTED;
}
static uint64_t v1_next_expiry(const ivpn_conn *c) { (void)c; return UINT64_MAX; }
static void v1_handle_expiry(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    (void)e; (void)c; (void)now;
}
static void v1_close(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now, bool tell_peer)
{
    (void)e; (void)c; (void)now; (void)tell_peer;
}
static void v1_peer_alive(ivpn_conn *c, uint64_t now) { (void)c; (void)now; }
static bool v1_busy(const ivpn_conn *c) { (void)c; return false; }

const ivpn_ike_ops ivpn_ikev1_ops = {
    .name = "IKEv1",
    .initiate = v1_initiate,
    .next_expiry = v1_next_expiry,
    .handle_expiry = v1_handle_expiry,
    .close = v1_close,
    .peer_alive = v1_peer_alive,
    .busy = v1_busy,
};

int ivpn_ikev1_receive(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                       const ipsecvpn_endpoint *remote, const uint8_t *msg, size_t len,
                       uint64_t now, uint32_t *conn_id)
{
    (void)local; (void)remote; (void)msg; (void)len; (void)now;
    *conn_id = 0;
    IVPN_LOG_DEBUG(e->ctx, "IKEv1: message dropped: not implemented yet");
    return IPSECVPN_ERR_UNSUPPORTED;
}
