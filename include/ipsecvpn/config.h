/**
 * @file config.h
 * @brief The configuration model of an IPsec VPN connection: IKE policy, IPsec policy,
 *        connection, their validation, a registry with statuses and edit rules, and the
 *        export of the peer device's configuration.
 *
 * Fields are addressed by a dotted path (`ike.lifetime`, `dpd.timeout`, `bgp.local_asn`) and
 * set from text, so a console, a REST layer or another language drives every field the same
 * way. Values are parsed in the products' own spellings (`aes256`, `group14`, `ikev2`) and in
 * the OpenStack API spellings (`aes-256`, `v2`); getters return the canonical spelling.
 *
 * Every change is all-or-nothing: an update whose values do not parse or whose result breaks
 * a rule leaves the object exactly as it was, and the ::ipsecvpn_report names the field, the
 * rule and the offending value, e.g. `ike.lifetime: must be 0..86400 seconds, got 90000`.
 *
 * Thread-safety: objects are not internally locked. Use each object (and the registry with
 * all objects it owns) from one thread at a time.
 *
 * ### Field paths
 * Connection: `name`, `description`, `admin_state` (up|down), `local_address`,
 * `peer_address`, `gateway_type` (public|private), `psk`, `routing_mode`
 * (destination|protected-flows), `local_cidrs`, `remote_cidrs` (comma-separated CIDR lists),
 * `effective_immediately` (yes|no), `initiator` (bi-directional|response-only), `mtu`,
 * `nat_traversal` (on|off), `dpd.enabled` (on|off), `dpd.action`
 * (hold|restart|clear|disabled|restart-by-peer), `dpd.interval`, `dpd.timeout`,
 * `bgp.enabled`, `bgp.tunnel_cidr`, `bgp.local_ip`, `bgp.local_asn` (plain or asdot `a.b`),
 * `health_check.enabled`, `health_check.destination_ip`, `health_check.source_ip`,
 * `health_check.interval`, `health_check.retry`, `health_check.route_policy`
 * (revoke_route|reserve_route), `association.type` (vpn-gateway|transit-router|none),
 * `association.vpn_gateway`, `association.transit_router`, `association.zone`,
 * `association.customer_gateway`, and every IKE policy field under `ike.` and every IPsec
 * policy field under `ipsec.`.
 *
 * IKE policy: `name`, `description`, `version` (ikev1|ikev2), `mode` (main|aggressive),
 * `encryption` (aes|aes192|aes256|des|3des|aes128gcm16|aes256gcm16, the last two also
 * spelled `aes-128-gcm-16` / `aes-256-gcm-16`: AES-GCM with a 16-byte ICV, IKEv2 only),
 * `integrity` (alias `authentication`: md5|sha1|sha256|sha384|sha512; with a GCM IKE
 * encryption it only picks the PRF, e.g. sha256 -> PRF_HMAC_SHA2_256, as RFC 5282 has no
 * integrity transform), `dh_group` (alias `pfs`, as the OpenStack IKE policy
 * calls it: group1|group2|group5|group14|group19|group20|group21|group31, also spelled
 * ecp256|ecp384|ecp521|x25519), `lifetime`
 * (seconds), `local_id`, `remote_id` (IPv4, IPv6, FQDN, user\@fqdn or key id; empty = the
 * gateway's address).
 *
 * IPsec policy: `name`, `description`, `protocol` (esp), `mode` (tunnel|transport),
 * `encryption`, `integrity` (alias `authentication`; ignored with a GCM encryption: the
 * ESP proposal then has no integrity transform), `pfs` (disabled|group1|group2|group5|
 * group14|group19|group20|group21|group31), `lifetime` (seconds), `initiator` (bi-directional|response-only). A connection
 * has one initiator: its `ipsec.initiator` is its `initiator`, and adopting an IPsec policy
 * sets it to the policy's.
 *
 * Values in seconds may carry their unit, as the OpenStack API states lifetimes: `3600`,
 * `3600 seconds`, `3600s`; kilobyte lifetimes are refused (::IPSECVPN_ERR_CONFIG_SYNTAX).
 *
 * ### Ranges beyond the products' documents
 * Where the products name no range, the library applies these: DPD interval 1..3600 s,
 * timeout 2..86400 s and greater than the interval (cloud profile: while DPD is on with an
 * action other than `disabled`; OpenStack and strict: always, as OpenStack has no DPD
 * switch); health-check interval 1..60 s, retry
 * 1..10; MTU 68..65535 (1280..65535 for IPv6); at most 32 CIDRs per side, no duplicates.
 * Until `dpd.timeout` is set explicitly it follows the IKE version (cloud and strict
 * profiles: 30 s with IKEv1, 130 s with IKEv2; OpenStack: 120 s). Names and descriptions
 * count UTF-8 characters; an empty PSK at creation is replaced by a generated 16-character
 * key. Findings on a policy name its fields with the `ike.` / `ipsec.` prefix.
 */
#ifndef IPSECVPN_CONFIG_H
#define IPSECVPN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ipsecvpn/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup report Validation reports
 * @{
 */

/** @brief Findings of a validation or update: errors and warnings. Opaque. */
typedef struct ipsecvpn_report ipsecvpn_report;

/** How many findings a report collects. */
typedef enum ipsecvpn_report_mode {
    IPSECVPN_REPORT_FIRST = 0, /**< stop at the first error (warnings before it are kept) */
    IPSECVPN_REPORT_ALL = 1    /**< collect every error and warning */
} ipsecvpn_report_mode;

/**
 * @brief Create an empty report.
 *
 * A report accumulates the findings of every call it is passed to; clear it with
 * ipsecvpn_report_clear() between calls. In ::IPSECVPN_REPORT_FIRST mode a report that
 * already holds an error records nothing more.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG, ::IPSECVPN_ERR_NOMEM.
 */
IPSECVPN_EXPORT int ipsecvpn_report_new(ipsecvpn_ctx *ctx, ipsecvpn_report_mode mode,
                                        ipsecvpn_report **out);
/** @brief Free a report. NULL is a no-op. */
IPSECVPN_EXPORT void ipsecvpn_report_free(ipsecvpn_report *rep);
/** @brief Forget all findings; the report can be reused. */
IPSECVPN_EXPORT void ipsecvpn_report_clear(ipsecvpn_report *rep);
/** @brief Number of findings (errors and warnings). */
IPSECVPN_EXPORT size_t ipsecvpn_report_count(const ipsecvpn_report *rep);
/** @brief Number of errors (findings that are not warnings). */
IPSECVPN_EXPORT size_t ipsecvpn_report_errors(const ipsecvpn_report *rep);
/** @brief Error code of finding @p i (negative), or 0 for a warning; 0 if out of range. */
IPSECVPN_EXPORT int ipsecvpn_report_code(const ipsecvpn_report *rep, size_t i);
/** @brief 1 if finding @p i is a warning, 0 if an error or out of range. */
IPSECVPN_EXPORT int ipsecvpn_report_is_warning(const ipsecvpn_report *rep, size_t i);
/** @brief Field path of finding @p i, e.g. "ike.lifetime"; "" if out of range. */
IPSECVPN_EXPORT const char *ipsecvpn_report_field(const ipsecvpn_report *rep, size_t i);
/** @brief The rule broken, e.g. "must be 0..86400 seconds"; "" if out of range. */
IPSECVPN_EXPORT const char *ipsecvpn_report_rule(const ipsecvpn_report *rep, size_t i);
/** @brief The offending value as given (cut at 128 bytes); "" if out of range. */
IPSECVPN_EXPORT const char *ipsecvpn_report_value(const ipsecvpn_report *rep, size_t i);
/** @brief The whole line, "field: rule, got value"; "" if out of range. */
IPSECVPN_EXPORT const char *ipsecvpn_report_message(const ipsecvpn_report *rep, size_t i);
/** @} */

/**
 * @defgroup profile Product profiles
 * The two products the model follows differ in some defaults and ranges.
 * @{
 */
/** Which product's defaults and ranges a new object follows. */
typedef enum ipsecvpn_profile {
    /** Cloud VPN gateway: lifetimes 0..86400 s, default 86400; DPD timeout 30 s (IKEv1) /
     *  130 s (IKEv2). */
    IPSECVPN_PROFILE_CLOUD = 0,
    /** OpenStack VPNaaS: lifetimes >= 60 s, default 3600; DPD hold, interval 30, timeout 120. */
    IPSECVPN_PROFILE_OPENSTACK = 1,
    /** Both at once: every value must satisfy the stricter rule of the two (lifetimes
     *  60..86400); defaults of the cloud profile. */
    IPSECVPN_PROFILE_STRICT = 2
} ipsecvpn_profile;
/** @} */

/**
 * @defgroup enums Enumerated values
 * Parse and format the enumerated configuration values on their own, e.g. for a UI's
 * drop-down lists. Kinds: "encryption", "integrity", "dh_group", "pfs", "ike_version",
 * "ike_mode", "initiator", "dpd_action", "routing_mode", "admin_state", "gateway_type",
 * "association_type", "route_policy", "ipsec_mode", "protocol", "switch" (on/off, yes/no,
 * true/false, enable/disable), "status", and the cloud API's status names of a tunnel,
 * "tunnel_status" (ike_sa_not_established, ike_sa_established, ipsec_sa_not_established,
 * ipsec_sa_established), and of its health check, "health_check_status" (success, failed).
 * @{
 */
/**
 * @brief Parse @p text of enumerated @p kind into its canonical spelling.
 * @param[out] canonical receives a pointer to static text (may be NULL).
 * @param[out] value receives the numeric value: the IANA ID for algorithms and groups
 *             (ipsecvpn/algorithms.h; for `aes192`/`aes256` the key size is told by
 *             ipsecvpn_enum_key_bits()), otherwise the position in the kind's list (may be NULL).
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD (no such kind),
 *         ::IPSECVPN_ERR_CONFIG_SYNTAX (no such value).
 */
IPSECVPN_EXPORT int ipsecvpn_enum_parse(const char *kind, const char *text,
                                        const char **canonical, int *value);
/**
 * @brief Key size of an encryption spelling: 128 for `aes` / `aes-128`, 192 for `aes192`,
 *        256 for `aes256`, 64 for `des`, 192 for `3des`, 128 / 256 for `aes128gcm16` /
 *        `aes256gcm16` (without the 4-byte salt).
 * @return the key size in bits, or 0 if @p text is not an encryption value (or NULL).
 */
IPSECVPN_EXPORT unsigned ipsecvpn_enum_key_bits(const char *text);
/**
 * @brief The @p i-th canonical value of @p kind, for listing choices.
 * @return static text, or NULL past the end or for an unknown kind.
 */
IPSECVPN_EXPORT const char *ipsecvpn_enum_name(const char *kind, size_t i);
/** @} */

/**
 * @defgroup policies IKE and IPsec policies
 * @{
 */
/** @brief IKE (phase 1) policy. Opaque. */
typedef struct ipsecvpn_ike_policy ipsecvpn_ike_policy;
/** @brief IPsec (phase 2) policy. Opaque. */
typedef struct ipsecvpn_ipsec_policy ipsecvpn_ipsec_policy;

/** @brief Create an IKE policy with the profile's defaults. */
IPSECVPN_EXPORT int ipsecvpn_ike_policy_new(ipsecvpn_ctx *ctx, ipsecvpn_profile profile,
                                            ipsecvpn_ike_policy **out);
/** @brief Free an IKE policy. NULL is a no-op. */
IPSECVPN_EXPORT void ipsecvpn_ike_policy_free(ipsecvpn_ike_policy *p);
/**
 * @brief Set fields atomically: all values parse and the result is valid, or nothing changes.
 * @param fields field paths (without the `ike.` prefix)
 * @param values their new values as text
 * @param n number of pairs
 * @param rep receives the findings (may be NULL)
 * @return ::IPSECVPN_OK or the code of the first error.
 */
IPSECVPN_EXPORT int ipsecvpn_ike_policy_update(ipsecvpn_ike_policy *p, const char *const *fields,
                                               const char *const *values, size_t n,
                                               ipsecvpn_report *rep);
/**
 * @brief Read a field in its canonical spelling into @p buf (NUL-terminated).
 * @param[out] needed receives the length needed without the NUL (may be NULL).
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD, ::IPSECVPN_ERR_BUFFER_TOO_SMALL.
 */
IPSECVPN_EXPORT int ipsecvpn_ike_policy_get(const ipsecvpn_ike_policy *p, const char *field,
                                            char *buf, size_t buflen, size_t *needed);

/** @brief Create an IPsec policy with the profile's defaults. */
IPSECVPN_EXPORT int ipsecvpn_ipsec_policy_new(ipsecvpn_ctx *ctx, ipsecvpn_profile profile,
                                              ipsecvpn_ipsec_policy **out);
/** @brief Free an IPsec policy. NULL is a no-op. */
IPSECVPN_EXPORT void ipsecvpn_ipsec_policy_free(ipsecvpn_ipsec_policy *p);
/** @brief As ipsecvpn_ike_policy_update(), for an IPsec policy. */
IPSECVPN_EXPORT int ipsecvpn_ipsec_policy_update(ipsecvpn_ipsec_policy *p,
                                                 const char *const *fields,
                                                 const char *const *values, size_t n,
                                                 ipsecvpn_report *rep);
/** @brief As ipsecvpn_ike_policy_get(), for an IPsec policy. */
IPSECVPN_EXPORT int ipsecvpn_ipsec_policy_get(const ipsecvpn_ipsec_policy *p, const char *field,
                                              char *buf, size_t buflen, size_t *needed);
/** @} */

/**
 * @defgroup connection Connections
 * @{
 */
/** @brief An IPsec VPN connection with its own copy of an IKE and an IPsec policy. Opaque. */
typedef struct ipsecvpn_connection ipsecvpn_connection;

/**
 * @brief Create a connection with the profile's defaults. It is not valid until at least
 *        `local_address` and `peer_address` are set.
 */
IPSECVPN_EXPORT int ipsecvpn_connection_new(ipsecvpn_ctx *ctx, ipsecvpn_profile profile,
                                            ipsecvpn_connection **out);
/** @brief Free a connection (wiping its PSK). NULL is a no-op. */
IPSECVPN_EXPORT void ipsecvpn_connection_free(ipsecvpn_connection *c);
/**
 * @brief Set fields atomically (paths as in the file overview). Each value is parsed and
 *        range-checked, then the whole resulting connection is validated, cross-field rules
 *        included; if anything fails nothing changes. An empty `psk` generates a random
 *        16-character key from the context's random callback. Warnings (e.g. an FQDN
 *        identity with IKEv1 main mode) are reported but do not fail the update.
 * @return ::IPSECVPN_OK or the code of the first error.
 */
IPSECVPN_EXPORT int ipsecvpn_connection_update(ipsecvpn_connection *c, const char *const *fields,
                                               const char *const *values, size_t n,
                                               ipsecvpn_report *rep);
/** @brief Convenience: ipsecvpn_connection_update() with one pair. */
IPSECVPN_EXPORT int ipsecvpn_connection_set(ipsecvpn_connection *c, const char *field,
                                            const char *value, ipsecvpn_report *rep);
/** @brief Read a field in its canonical spelling (lists comma-separated). See ipsecvpn_ike_policy_get(). */
IPSECVPN_EXPORT int ipsecvpn_connection_get(const ipsecvpn_connection *c, const char *field,
                                            char *buf, size_t buflen, size_t *needed);
/**
 * @brief Validate the whole connection (required fields and every cross-field rule).
 * @return ::IPSECVPN_OK or the code of the first error; warnings go to @p rep.
 */
IPSECVPN_EXPORT int ipsecvpn_connection_validate(const ipsecvpn_connection *c,
                                                 ipsecvpn_report *rep);
/**
 * @brief Copy an IKE policy's values into the connection's `ike.*` fields (atomic, validated).
 */
IPSECVPN_EXPORT int ipsecvpn_connection_set_ike_policy(ipsecvpn_connection *c,
                                                       const ipsecvpn_ike_policy *p,
                                                       ipsecvpn_report *rep);
/**
 * @brief Copy an IPsec policy's values into the connection's `ipsec.*` fields (atomic, validated).
 */
IPSECVPN_EXPORT int ipsecvpn_connection_set_ipsec_policy(ipsecvpn_connection *c,
                                                         const ipsecvpn_ipsec_policy *p,
                                                         ipsecvpn_report *rep);
/**
 * @brief Make an independent copy (the PSK included).
 */
IPSECVPN_EXPORT int ipsecvpn_connection_clone(const ipsecvpn_connection *c,
                                              ipsecvpn_connection **out);
/** @} */

/**
 * @defgroup export Configuration download
 * @{
 */
/** Formats a connection can be exported to. */
typedef enum ipsecvpn_export_format {
    IPSECVPN_EXPORT_SWANCTL = 0,   /**< strongSwan swanctl.conf */
    IPSECVPN_EXPORT_LIBRESWAN = 1, /**< libreswan ipsec.conf (with the secret as a comment
                                        block for ipsec.secrets) */
    IPSECVPN_EXPORT_JSON = 2       /**< the cloud API's connection config JSON */
} ipsecvpn_export_format;

/**
 * @brief Write the configuration the peer device needs (local and remote mirrored, same
 *        proposals and PSK) into @p buf, NUL-terminated. With BGP or the health check on,
 *        the text formats add comment lines for the peer's routing daemon (tunnel /30, its
 *        own address in it, our address and ASN) and for the health check (route the source
 *        IP into the tunnel, let the destination answer ICMP); the JSON adds `BgpConfig`
 *        and `HealthCheckConfig` objects.
 * @param[out] needed receives the length needed without the NUL (may be NULL).
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_BUFFER_TOO_SMALL (call again with *needed + 1),
 *         the connection's first validation error, ::IPSECVPN_ERR_UNSUPPORTED (JSON without
 *         cJSON in the build).
 */
IPSECVPN_EXPORT int ipsecvpn_connection_export(const ipsecvpn_connection *c,
                                               ipsecvpn_export_format format, char *buf,
                                               size_t buflen, size_t *needed);
/**
 * @brief Build a connection from the cloud API's connection config JSON (the shape
 *        ipsecvpn_connection_export() writes with ::IPSECVPN_EXPORT_JSON). The document is
 *        read from the point of view of the device that holds it: its Local is our local.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_CONFIG_IMPORT (not JSON, wrong types), any
 *         validation error, ::IPSECVPN_ERR_UNSUPPORTED (built without cJSON).
 */
IPSECVPN_EXPORT int ipsecvpn_connection_import_json(ipsecvpn_ctx *ctx, ipsecvpn_profile profile,
                                                    const char *json, size_t len,
                                                    ipsecvpn_connection **out,
                                                    ipsecvpn_report *rep);
/** @} */

/**
 * @defgroup registry Registry of named policies and connections
 * A console's view: named objects, statuses, and which edits and deletions are allowed.
 * @{
 */
/** Status of a connection (and of policies' users). */
typedef enum ipsecvpn_status {
    IPSECVPN_STATUS_DOWN = 0,           /**< configured, no SA */
    IPSECVPN_STATUS_BUILD = 1,          /**< negotiating */
    IPSECVPN_STATUS_ACTIVE = 2,         /**< SAs established */
    IPSECVPN_STATUS_ERROR = 3,          /**< negotiation failed; see the reason */
    IPSECVPN_STATUS_PENDING_CREATE = 4, /**< being created */
    IPSECVPN_STATUS_CREATE_ERROR = 5,   /**< creation failed */
    IPSECVPN_STATUS_PENDING_UPDATE = 6, /**< being updated */
    IPSECVPN_STATUS_PENDING_DELETE = 7, /**< deletion requested */
    IPSECVPN_STATUS_DELETING = 8        /**< being deleted */
} ipsecvpn_status;

/** @brief Canonical name of a status ("DOWN", "BUILD", ...); "UNKNOWN" otherwise. */
IPSECVPN_EXPORT const char *ipsecvpn_status_name(ipsecvpn_status s);

/** Kinds of object whose edit rules the registry enforces. */
typedef enum ipsecvpn_object_kind {
    IPSECVPN_OBJECT_IKE_POLICY = 0,   /**< ::ipsecvpn_ike_policy */
    IPSECVPN_OBJECT_IPSEC_POLICY = 1, /**< ::ipsecvpn_ipsec_policy */
    IPSECVPN_OBJECT_CONNECTION = 2    /**< ::ipsecvpn_connection */
} ipsecvpn_object_kind;

/**
 * @brief The edit-rule table: may @p field of an object of @p kind be changed in @p status?
 *        For connections the answer also depends on the connection's `association.type`
 *        (pass its canonical spelling, or NULL for none). For policies, @p status is the
 *        status of the connections that use the policy.
 * @return 1 editable; 0 not.
 */
IPSECVPN_EXPORT int ipsecvpn_field_editable(ipsecvpn_object_kind kind, const char *field,
                                            ipsecvpn_status status, const char *association);

/** @brief A set of named IKE policies, IPsec policies and connections. Opaque. */
typedef struct ipsecvpn_registry ipsecvpn_registry;

/** @brief Create an empty registry whose new objects use @p profile. */
IPSECVPN_EXPORT int ipsecvpn_registry_new(ipsecvpn_ctx *ctx, ipsecvpn_profile profile,
                                          ipsecvpn_registry **out);
/** @brief Free a registry and every object it owns. NULL is a no-op. */
IPSECVPN_EXPORT void ipsecvpn_registry_free(ipsecvpn_registry *reg);

/**
 * @brief Add an IKE policy under its `name` (which must be set and unique). The registry
 *        takes ownership on success only.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_EXISTS, ::IPSECVPN_ERR_CONFIG_REQUIRED (no name).
 */
IPSECVPN_EXPORT int ipsecvpn_registry_add_ike_policy(ipsecvpn_registry *reg,
                                                     ipsecvpn_ike_policy *p);
/** @brief As ipsecvpn_registry_add_ike_policy(), for an IPsec policy. */
IPSECVPN_EXPORT int ipsecvpn_registry_add_ipsec_policy(ipsecvpn_registry *reg,
                                                       ipsecvpn_ipsec_policy *p);
/**
 * @brief Edit a named IKE policy. Fields must be editable by the table; the change is copied
 *        into every connection that uses the policy, and refused (nothing changes anywhere)
 *        if any of them is in BUILD or DELETING or would become invalid.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_NOT_FOUND, ::IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD,
 *         ::IPSECVPN_ERR_CONFIG_IMMUTABLE, ::IPSECVPN_ERR_STATE (a user connection is in
 *         BUILD, CREATE_ERROR, PENDING_DELETE or DELETING), ::IPSECVPN_ERR_EXISTS (renamed to
 *         a name already taken), or a validation error.
 */
IPSECVPN_EXPORT int ipsecvpn_registry_update_ike_policy(ipsecvpn_registry *reg, const char *name,
                                                        const char *const *fields,
                                                        const char *const *values, size_t n,
                                                        ipsecvpn_report *rep);
/** @brief As ipsecvpn_registry_update_ike_policy(), for an IPsec policy. */
IPSECVPN_EXPORT int ipsecvpn_registry_update_ipsec_policy(ipsecvpn_registry *reg,
                                                          const char *name,
                                                          const char *const *fields,
                                                          const char *const *values, size_t n,
                                                          ipsecvpn_report *rep);
/** @brief Delete a named IKE policy; ::IPSECVPN_ERR_CONFIG_IN_USE while a connection uses it. */
IPSECVPN_EXPORT int ipsecvpn_registry_delete_ike_policy(ipsecvpn_registry *reg, const char *name);
/** @brief Delete a named IPsec policy; ::IPSECVPN_ERR_CONFIG_IN_USE while a connection uses it. */
IPSECVPN_EXPORT int ipsecvpn_registry_delete_ipsec_policy(ipsecvpn_registry *reg,
                                                          const char *name);
/** @brief Look up a named IKE policy; NULL if absent. Owned by the registry. */
IPSECVPN_EXPORT const ipsecvpn_ike_policy *ipsecvpn_registry_ike_policy(
    const ipsecvpn_registry *reg, const char *name);
/** @brief Look up a named IPsec policy; NULL if absent. Owned by the registry. */
IPSECVPN_EXPORT const ipsecvpn_ipsec_policy *ipsecvpn_registry_ipsec_policy(
    const ipsecvpn_registry *reg, const char *name);

/**
 * @brief Add a connection under its `name`, optionally bound to named policies (their
 *        values are copied into the connection and the names remembered). The connection
 *        is validated; the registry takes ownership on success only. Status starts DOWN.
 * @param ike_policy name of a registered IKE policy, or NULL to keep the connection's own
 * @param ipsec_policy name of a registered IPsec policy, or NULL
 */
IPSECVPN_EXPORT int ipsecvpn_registry_add_connection(ipsecvpn_registry *reg,
                                                     ipsecvpn_connection *c,
                                                     const char *ike_policy,
                                                     const char *ipsec_policy,
                                                     ipsecvpn_report *rep);
/**
 * @brief Edit a named connection: refused in BUILD, DELETING, PENDING_DELETE (::IPSECVPN_ERR_STATE)
 *        and CREATE_ERROR; fields must be editable by the table given the connection's
 *        association (::IPSECVPN_ERR_CONFIG_IMMUTABLE); then as ipsecvpn_connection_update().
 */
IPSECVPN_EXPORT int ipsecvpn_registry_update_connection(ipsecvpn_registry *reg, const char *name,
                                                        const char *const *fields,
                                                        const char *const *values, size_t n,
                                                        ipsecvpn_report *rep);
/** @brief Delete a named connection; refused in BUILD, PENDING_DELETE and DELETING
 *         (::IPSECVPN_ERR_STATE).
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG, ::IPSECVPN_ERR_NOT_FOUND, ::IPSECVPN_ERR_STATE. */
IPSECVPN_EXPORT int ipsecvpn_registry_delete_connection(ipsecvpn_registry *reg, const char *name);
/** @brief Look up a named connection; NULL if absent. Owned by the registry. */
IPSECVPN_EXPORT const ipsecvpn_connection *ipsecvpn_registry_connection(
    const ipsecvpn_registry *reg, const char *name);
/**
 * @brief Set a connection's status (the engine does this as negotiation proceeds).
 *
 * Accepted changes: DOWN, BUILD, ACTIVE, ERROR and PENDING_UPDATE move freely among
 * themselves; PENDING_DELETE and DELETING are entered only from a status that allows
 * deletion (never from BUILD) and leave only to DOWN or ERROR; PENDING_CREATE is entered only
 * from DOWN and ends in a running status or CREATE_ERROR; CREATE_ERROR leaves only to
 * PENDING_CREATE (retry) or by deletion. Setting the current status again is accepted.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG, ::IPSECVPN_ERR_NOT_FOUND,
 *         ::IPSECVPN_ERR_STATE (a change the table refuses; logged).
 */
IPSECVPN_EXPORT int ipsecvpn_registry_set_status(ipsecvpn_registry *reg, const char *name,
                                                 ipsecvpn_status status);
/** @brief Read a connection's status. */
IPSECVPN_EXPORT int ipsecvpn_registry_get_status(const ipsecvpn_registry *reg, const char *name,
                                                 ipsecvpn_status *status);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* IPSECVPN_CONFIG_H */
