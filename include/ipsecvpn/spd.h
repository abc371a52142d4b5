/**
 * @file spd.h
 * @brief Security policy database (RFC 4301 §4.4.1): which packets are protected, passed in
 * clear, or dropped.
 *
 * An SPD holds an ordered list of policies per direction. Each policy has a selector
 * (local and remote address prefix, upper-layer protocol, local and remote port ranges), an
 * action (protect / bypass / discard) and, for protect, a @c reqid: a number chosen by the host
 * or the IKE engine that names the Child SA (pair) the traffic goes through.
 *
 * Order: lower @c priority first; equal priorities in the order they were added. The first
 * policy whose selector matches decides. Lookups parse the packet once and scan the list of
 * that direction linearly: O(n) in the number of policies, no allocation.
 *
 * Directions: ::IPSECVPN_SPD_OUT policies match packets leaving through the tunnel (packet
 * source = local, destination = remote); ::IPSECVPN_SPD_IN policies match packets arriving
 * (source = remote, destination = local), whether they came out of ESP or in clear.
 *
 * Ports: TCP, UDP, UDP-Lite, SCTP and DCCP match their source and destination ports. ICMP (1),
 * ICMPv6 (58) and the IPv6 Mobility Header (135) have no ports: as in the Linux kernel's XFRM
 * selectors, their message type takes the place of the source port and their code that of the
 * destination port (MH: 0). So the type is matched by the sender's range: @c local_port in an
 * ::IPSECVPN_SPD_OUT policy, @c remote_port in an ::IPSECVPN_SPD_IN policy; the code by the
 * other one. (An IKEv2 traffic selector's ICMP "port" type<<8|code splits into these two.)
 * A non-first fragment has no ports (RFC 4301 "OPAQUE"): only a selector whose port ranges are
 * both 0..65535 matches it.
 *
 * Routing modes of a connection:
 * - destination (route-based): ipsecvpn_spd_add_route_based() installs 0.0.0.0/0 ⇔ 0.0.0.0/0
 *   (and ::/0 ⇔ ::/0) protect policies; the host's routes decide what enters the tunnel. Every
 *   route-based tunnel matches every packet, so outbound lookups need one SPD per such tunnel;
 *   ipsecvpn_spd_check_in() still tells tunnels sharing one SPD apart by reqid.
 * - protected-flows (policy-based): ipsecvpn_spd_add_flows() installs one protect policy per
 *   direction for every local × remote CIDR pair of the same family.
 *
 * Thread-safety: an SPD is used by one thread at a time; lookups do not modify it, so several
 * threads may look up concurrently while nobody adds or removes.
 */
#ifndef IPSECVPN_SPD_H
#define IPSECVPN_SPD_H

#include "ipsecvpn/common.h"
#include "ipsecvpn/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup spd Security policy database
 * @{
 */


/** Direction a policy applies to. */
typedef enum ipsecvpn_spd_dir {
    IPSECVPN_SPD_OUT = 1, /**< packets leaving toward the peer */
    IPSECVPN_SPD_IN = 2   /**< packets arriving from the peer */
} ipsecvpn_spd_dir;

/** What to do with a packet a policy matches. Positive, so lookups can return it. */
typedef enum ipsecvpn_spd_action {
    IPSECVPN_SPD_PROTECT = 1, /**< through the Child SA named by the policy's reqid */
    IPSECVPN_SPD_BYPASS = 2,  /**< in clear, outside IPsec */
    IPSECVPN_SPD_DISCARD = 3  /**< drop */
} ipsecvpn_spd_action;


/** Version of ::ipsecvpn_spd_policy this header describes. */
#define IPSECVPN_SPD_POLICY_VERSION 1

/**
 * @brief One policy. Versioned: set @c version to ::IPSECVPN_SPD_POLICY_VERSION.
 *
 * Validation on add (first failing rule wins, one log line naming the field):
 * NULL → ::IPSECVPN_ERR_INVALID_ARG; wrong version → ::IPSECVPN_ERR_VERSION;
 * unknown dir, action or family → ::IPSECVPN_ERR_CONFIG_SYNTAX; prefix length above 32/128 or
 * a port range with min > max → ::IPSECVPN_ERR_CONFIG_RANGE; local and remote of different
 * families → ::IPSECVPN_ERR_CONFIG_FAMILY; protect with reqid 0 → ::IPSECVPN_ERR_CONFIG_REQUIRED;
 * a port range narrower than 0..65535 with a protocol that has no ports (including "any") →
 * ::IPSECVPN_ERR_CONFIG_CONFLICT.
 */
typedef struct ipsecvpn_spd_policy {
    uint32_t version;            /**< ::IPSECVPN_SPD_POLICY_VERSION */
    uint8_t dir;                 /**< an ::ipsecvpn_spd_dir */
    uint8_t action;              /**< an ::ipsecvpn_spd_action */
    uint32_t priority;           /**< lower is consulted first; ties by insertion order */
    uint32_t reqid;              /**< protect: the Child SA's reqid, not 0; other actions: a
                                      free tag, usable with ipsecvpn_spd_remove_reqid() */
    ipsecvpn_selector sel;   /**< which packets */
} ipsecvpn_spd_policy;

/** @brief A security policy database. Opaque. */
typedef struct ipsecvpn_spd ipsecvpn_spd;

/**
 * @brief Create an empty SPD.
 * @param ctx allocator and log sink; may be NULL for the default allocator and no logging.
 * @param[out] out the new SPD.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG, ::IPSECVPN_ERR_NOMEM.
 */
IPSECVPN_EXPORT int ipsecvpn_spd_new(ipsecvpn_ctx *ctx, ipsecvpn_spd **out);

/** @brief Free an SPD and its policies. NULL is a no-op. */
IPSECVPN_EXPORT void ipsecvpn_spd_free(ipsecvpn_spd *spd);

/**
 * @brief Add a policy (copied).
 * @param spd the SPD
 * @param policy the policy; see ::ipsecvpn_spd_policy for the validation rules
 * @param[out] id may be NULL; the policy's id (never 0), for ipsecvpn_spd_remove()
 * @return ::IPSECVPN_OK, a validation error, ::IPSECVPN_ERR_NOMEM. The SPD is unchanged on error.
 */
IPSECVPN_EXPORT int ipsecvpn_spd_add(ipsecvpn_spd *spd, const ipsecvpn_spd_policy *policy,
                                     uint32_t *id);

/**
 * @brief Remove one policy by id.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG, ::IPSECVPN_ERR_NOT_FOUND.
 */
IPSECVPN_EXPORT int ipsecvpn_spd_remove(ipsecvpn_spd *spd, uint32_t id);

/**
 * @brief Remove every policy carrying @p reqid (e.g. when a connection goes away).
 * @param spd the SPD
 * @param reqid the reqid / tag
 * @param[out] removed may be NULL; how many policies were removed
 * @return ::IPSECVPN_OK (also when none matched), ::IPSECVPN_ERR_INVALID_ARG.
 */
IPSECVPN_EXPORT int ipsecvpn_spd_remove_reqid(ipsecvpn_spd *spd, uint32_t reqid,
                                              size_t *removed);

/**
 * @brief Read a policy back as stored (prefix host bits cleared).
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG, ::IPSECVPN_ERR_NOT_FOUND.
 */
IPSECVPN_EXPORT int ipsecvpn_spd_get(const ipsecvpn_spd *spd, uint32_t id,
                                     ipsecvpn_spd_policy *out);

/** @brief Number of policies in both directions; 0 for NULL. */
IPSECVPN_EXPORT size_t ipsecvpn_spd_count(const ipsecvpn_spd *spd);

/**
 * @brief Find the policy for an outbound IP packet (the plaintext the host wants to send).
 * @param spd the SPD
 * @param pkt an IPv4 or IPv6 packet
 * @param len its length
 * @param[out] reqid may be NULL; the matching policy's reqid
 * @param[out] policy_id may be NULL; the matching policy's id
 * @return the matching policy's ::ipsecvpn_spd_action (positive), or
 *         ::IPSECVPN_ERR_ESP_NO_POLICY (nothing matches: RFC 4301 says discard),
 *         ::IPSECVPN_ERR_INVALID_ARG, ::IPSECVPN_ERR_ESP_SHORT, ::IPSECVPN_ERR_ESP_MALFORMED
 *         (the packet is truncated, or not a well-formed IPv4/IPv6 packet).
 */
IPSECVPN_EXPORT int ipsecvpn_spd_lookup_out(const ipsecvpn_spd *spd, const uint8_t *pkt,
                                            size_t len, uint32_t *reqid, uint32_t *policy_id);

/**
 * @brief Find the policy for an inbound packet that arrived in clear (not through ESP).
 *
 * Only ::IPSECVPN_SPD_BYPASS allows it in. ::IPSECVPN_SPD_PROTECT means the traffic should
 * have come through an SA: drop it. Same return values as ipsecvpn_spd_lookup_out().
 */
IPSECVPN_EXPORT int ipsecvpn_spd_lookup_in(const ipsecvpn_spd *spd, const uint8_t *pkt,
                                           size_t len, uint32_t *reqid, uint32_t *policy_id);

/**
 * @brief Check that a packet decrypted by the Child SA @p reqid may arrive through it
 * (RFC 4301 §5.2 step 4).
 *
 * Inbound policies are scanned in order, skipping bypass policies and protect policies of
 * other reqids (they describe other paths); the first match among protect-with-@p reqid and
 * discard policies decides.
 * @return ::IPSECVPN_OK (a protect policy of @p reqid matches),
 *         ::IPSECVPN_ERR_ESP_DISCARD (a discard policy matches first),
 *         ::IPSECVPN_ERR_ESP_SELECTOR (no protect policy of @p reqid matches),
 *         ::IPSECVPN_ERR_INVALID_ARG (NULL, or reqid 0), ::IPSECVPN_ERR_ESP_SHORT,
 *         ::IPSECVPN_ERR_ESP_MALFORMED (the inner packet does not parse).
 */
IPSECVPN_EXPORT int ipsecvpn_spd_check_in(const ipsecvpn_spd *spd, uint32_t reqid,
                                          const uint8_t *pkt, size_t len);

/**
 * @brief Install the policies of a route-based (destination-mode) tunnel.
 *
 * For each requested family, one protect policy per direction with selector
 * 0.0.0.0/0 ⇔ 0.0.0.0/0 (or ::/0 ⇔ ::/0), any protocol, any port. All or nothing.
 * @param spd the SPD
 * @param reqid the tunnel's reqid (not 0)
 * @param priority priority of the new policies
 * @param ipv4 non-zero to add the IPv4 pair
 * @param ipv6 non-zero to add the IPv6 pair
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG (NULL spd, neither family),
 *         ::IPSECVPN_ERR_CONFIG_REQUIRED (reqid 0), ::IPSECVPN_ERR_NOMEM.
 */
IPSECVPN_EXPORT int ipsecvpn_spd_add_route_based(ipsecvpn_spd *spd, uint32_t reqid,
                                                 uint32_t priority, int ipv4, int ipv6);

/** Most local × remote CIDR pairs one ipsecvpn_spd_add_flows() call accepts. */
#define IPSECVPN_SPD_MAX_FLOW_PAIRS 4096

/**
 * @brief Install the policies of a policy-based (protected-flows) tunnel.
 *
 * For every pair (local[i], remote[j]) of the same family, one protect policy per direction,
 * any protocol and port. Pairs of different families are skipped (a dual-stack list yields
 * the IPv4×IPv4 and IPv6×IPv6 pairs). All or nothing.
 * @param spd the SPD
 * @param reqid the tunnel's reqid (not 0)
 * @param priority priority of the new policies
 * @param local local CIDRs
 * @param n_local how many (at least 1)
 * @param remote remote CIDRs
 * @param n_remote how many (at least 1)
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG (NULL pointer, empty list),
 *         ::IPSECVPN_ERR_CONFIG_REQUIRED (reqid 0), ::IPSECVPN_ERR_CONFIG_SYNTAX (a bad
 *         family), ::IPSECVPN_ERR_CONFIG_RANGE (a bad prefix length, or more than
 *         ::IPSECVPN_SPD_MAX_FLOW_PAIRS pairs), ::IPSECVPN_ERR_CONFIG_FAMILY (no pair of
 *         the same family), ::IPSECVPN_ERR_NOMEM. The SPD is unchanged on error.
 */
IPSECVPN_EXPORT int ipsecvpn_spd_add_flows(ipsecvpn_spd *spd, uint32_t reqid,
                                           uint32_t priority,
                                           const ipsecvpn_ip_prefix *local, size_t n_local,
                                           const ipsecvpn_ip_prefix *remote, size_t n_remote);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* IPSECVPN_SPD_H */
