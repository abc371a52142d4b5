/**
 * @file engine.h
 * @brief The IKE engine: negotiates IKE and Child SAs for configured connections and,
 *        by default, protects and unprotects the host's packets with its own ESP SAs.
 *
 * Sans-I/O: the host feeds every UDP datagram it receives on ports 500 and 4500 to
 * ipsecvpn_engine_read(), sends what the @c send callback hands it, asks for the next
 * deadline with ipsecvpn_engine_get_expiry() and calls ipsecvpn_engine_handle_expiry() when
 * it passes. Time (@c now) is the host's monotonic clock in milliseconds, as in esp.h.
 *
 * Thread-safety: one engine is used by one thread at a time. Callbacks are called only from
 * inside engine calls, on the calling thread; they must not call back into the engine.
 */
#ifndef IPSECVPN_ENGINE_H
#define IPSECVPN_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "ipsecvpn/common.h"
#include "ipsecvpn/config.h"
#include "ipsecvpn/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup engine IKE engine
 * @{
 */

/** @brief An IKE engine. Opaque. */
typedef struct ipsecvpn_engine ipsecvpn_engine;

/** Kinds of ::ipsecvpn_event. */
typedef enum ipsecvpn_event_type {
    IPSECVPN_EVENT_STATUS = 1,        /**< a connection's status changed (@c status, @c reason) */
    IPSECVPN_EVENT_IKE_UP = 2,        /**< an IKE SA was established */
    IPSECVPN_EVENT_IKE_DOWN = 3,      /**< an IKE SA was deleted or failed (@c reason) */
    IPSECVPN_EVENT_CHILD_UP = 4,      /**< a Child SA pair was installed (@c child) */
    IPSECVPN_EVENT_CHILD_REKEYED = 5, /**< a Child SA pair replaced an older one (@c child) */
    IPSECVPN_EVENT_CHILD_DOWN = 6,    /**< a Child SA pair was deleted (@c child: SPIs only) */
    IPSECVPN_EVENT_ACQUIRE = 7,       /**< outbound traffic needs a tunnel; negotiation starts */
    IPSECVPN_EVENT_PEER_DEAD = 8      /**< dead peer detection gave up on the peer */
} ipsecvpn_event_type;

/** Version of ::ipsecvpn_child_sa_info this header describes. */
#define IPSECVPN_CHILD_SA_INFO_VERSION 1

/**
 * @brief A negotiated Child SA pair, for hosts that program their own data plane
 *        (Linux XFRM, a hardware engine). Pointers are valid only during the callback.
 */
typedef struct ipsecvpn_child_sa_info {
    uint32_t version;            /**< ::IPSECVPN_CHILD_SA_INFO_VERSION */
    uint32_t spi_in;             /**< SPI of the inbound SA (host byte order) */
    uint32_t spi_out;            /**< SPI of the outbound SA */
    uint16_t encr;               /**< an ::ipsecvpn_encr */
    uint16_t encr_key_bits;      /**< cipher key size in bits */
    uint16_t integ;              /**< an ::ipsecvpn_integ (NONE with AEAD) */
    uint8_t esn;                 /**< 1 if extended sequence numbers were negotiated */
    uint8_t tunnel;              /**< 1 tunnel mode, 0 transport */
    const uint8_t *encr_key_in;  /**< inbound cipher key || salt (KEYMAT layout) */
    const uint8_t *encr_key_out; /**< outbound cipher key || salt */
    size_t encr_key_len;         /**< length of each encr key including salt */
    const uint8_t *integ_key_in; /**< inbound integrity key (NULL with AEAD) */
    const uint8_t *integ_key_out;/**< outbound integrity key */
    size_t integ_key_len;        /**< length of each integrity key */
    ipsecvpn_endpoint local;     /**< our outer address; port != 0 when UDP-encapsulated */
    ipsecvpn_endpoint remote;    /**< the peer's outer address and port */
    uint8_t encap;               /**< 1 if ESP is UDP-encapsulated (RFC 3948) */
    size_t n_local_ts;           /**< number of local traffic selectors */
    const ipsecvpn_ip_prefix *local_ts;  /**< local traffic selectors (address ranges as prefixes) */
    size_t n_remote_ts;          /**< number of remote traffic selectors */
    const ipsecvpn_ip_prefix *remote_ts; /**< remote traffic selectors */
    uint64_t lifetime_soft_s;    /**< seconds until rekey */
    uint64_t lifetime_hard_s;    /**< seconds until expiry */
} ipsecvpn_child_sa_info;

/** Version of ::ipsecvpn_event this header describes. */
#define IPSECVPN_EVENT_VERSION 1

/** @brief Something the host may want to act on. Valid only during the callback. */
typedef struct ipsecvpn_event {
    uint32_t version;                    /**< ::IPSECVPN_EVENT_VERSION */
    ipsecvpn_event_type type;            /**< what happened */
    uint32_t conn_id;                    /**< the connection it concerns */
    ipsecvpn_status status;              /**< new status (::IPSECVPN_EVENT_STATUS) */
    int reason;                          /**< 0, or the negative error code that caused it */
    const ipsecvpn_child_sa_info *child;  /**< for CHILD_* events, else NULL */
} ipsecvpn_event;

/** Version of ::ipsecvpn_engine_callbacks this header describes. */
#define IPSECVPN_ENGINE_CALLBACKS_VERSION 1

/** @brief What the host does for the engine. */
typedef struct ipsecvpn_engine_callbacks {
    uint32_t version; /**< ::IPSECVPN_ENGINE_CALLBACKS_VERSION */
    /**
     * Send one UDP datagram from @p local to @p remote (required). The data already starts
     * with the non-ESP marker where one is needed (port 4500). Return 0, or non-zero if it
     * could not be sent (the engine then treats it as lost and retransmits).
     */
    int (*send)(void *user_data, const ipsecvpn_endpoint *local,
                const ipsecvpn_endpoint *remote, const uint8_t *data, size_t len);
    /** Receive an event (optional: NULL to ignore events). */
    void (*event)(void *user_data, const ipsecvpn_event *ev);
} ipsecvpn_engine_callbacks;

/** Version of ::ipsecvpn_engine_settings this header describes. */
#define IPSECVPN_ENGINE_SETTINGS_VERSION 1

/** @brief Engine tunables; start from ipsecvpn_engine_settings_default(). */
typedef struct ipsecvpn_engine_settings {
    uint32_t version;              /**< ::IPSECVPN_ENGINE_SETTINGS_VERSION */
    uint32_t retransmit_base_ms;   /**< first retransmission timeout (default 500) */
    uint32_t retransmit_tries;     /**< retransmissions before giving up (default 5) */
    uint32_t cookie_threshold;     /**< half-open IKE SAs across the engine before every new
                                        IKE_SA_INIT must return a cookie (default 32; 0 = always).
                                        A cookie is also demanded whenever the connection
                                        already has a half-open SA, which expires after 30 s
                                        (RFC 7296 §2.6). */
    uint32_t keepalive_s;          /**< NAT keepalive interval (default 20) */
    uint32_t rekey_jitter_pct;     /**< soft lifetime = hard × (90 − random(0..jitter))% (default 10) */
    uint8_t install_sas;           /**< 1 (default): keep SAs in the engine's own ESP; 0: only report them */
    uint16_t natt_port;            /**< our UDP port after NAT detection (default 4500): IKE floats
                                        from the connection's local port to this one (RFC 7296
                                        §2.23); the peer's port 500 becomes 4500 */
} ipsecvpn_engine_settings;

/** @brief Fill @p s with the defaults (and the current version). */
IPSECVPN_EXPORT void ipsecvpn_engine_settings_default(ipsecvpn_engine_settings *s);

/**
 * @brief Create an engine.
 * @param settings NULL for the defaults.
 * @param user_data passed to every callback.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG, ::IPSECVPN_ERR_VERSION, ::IPSECVPN_ERR_NOMEM.
 */
IPSECVPN_EXPORT int ipsecvpn_engine_new(ipsecvpn_ctx *ctx, const ipsecvpn_engine_callbacks *cb,
                                        const ipsecvpn_engine_settings *settings,
                                        void *user_data, ipsecvpn_engine **out);
/** @brief Free an engine, wiping every key. Sends nothing: delete connections first for that. */
IPSECVPN_EXPORT void ipsecvpn_engine_free(ipsecvpn_engine *e);

/**
 * @brief Add a connection (copied; it must validate). Its status starts DOWN; with
 *        `effective_immediately` and a bi-directional initiator it is initiated at once.
 *
 * The connection's `ike.version` picks the protocol: IKEv2 (RFC 7296) or IKEv1 (RFC 2409:
 * main or aggressive mode after `ike.mode`, then quick mode). Both run behind this same API,
 * and one engine serves connections of both versions on the same ports.
 * @param local the local endpoint to use (address and port 500, or another port).
 * @param remote the peer's endpoint.
 * @param[out] conn_id the connection's id in this engine.
 * @return ::IPSECVPN_OK; the connection's first validation error; ::IPSECVPN_ERR_UNSUPPORTED
 *         for an IKEv1 connection when the library was built without IKEv1 (`-Dikev1=false`);
 *         ::IPSECVPN_ERR_NOMEM.
 */
IPSECVPN_EXPORT int ipsecvpn_engine_add_connection(ipsecvpn_engine *e,
                                                   const ipsecvpn_connection *conn,
                                                   const ipsecvpn_endpoint *local,
                                                   const ipsecvpn_endpoint *remote,
                                                   uint64_t now, uint32_t *conn_id);
/** @brief Delete a connection's SAs (telling the peer) and forget it. */
IPSECVPN_EXPORT int ipsecvpn_engine_remove_connection(ipsecvpn_engine *e, uint32_t conn_id,
                                                      uint64_t now);
/**
 * @brief Start negotiating a connection now.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_NOT_FOUND, ::IPSECVPN_ERR_STATE (response-only,
 *         admin down, or already up).
 */
IPSECVPN_EXPORT int ipsecvpn_engine_initiate(ipsecvpn_engine *e, uint32_t conn_id, uint64_t now);
/** @brief A connection's status and, for ERROR, the reason (negative code). */
IPSECVPN_EXPORT int ipsecvpn_engine_get_status(const ipsecvpn_engine *e, uint32_t conn_id,
                                               ipsecvpn_status *status, int *reason);

/** What ipsecvpn_engine_read() did with a datagram. */
typedef enum ipsecvpn_read_kind {
    IPSECVPN_READ_CONSUMED = 0,  /**< IKE message or keepalive, handled */
    IPSECVPN_READ_PLAINTEXT = 1  /**< ESP: decrypted in place; the inner packet is at
                                      @c offset / @c len of the buffer */
} ipsecvpn_read_kind;

/** @brief Result of ipsecvpn_engine_read(). Not versioned: output only, filled by the library. */
typedef struct ipsecvpn_read_result {
    ipsecvpn_read_kind kind; /**< what happened */
    size_t offset;           /**< start of the inner packet (PLAINTEXT) */
    size_t len;              /**< length of the inner packet (PLAINTEXT) */
    uint32_t conn_id;        /**< the connection the datagram belonged to (0 if none) */
} ipsecvpn_read_result;

/**
 * @brief Feed a UDP datagram received on @p local from @p remote. On port 4500 it may be
 *        IKE (non-ESP marker), ESP or a keepalive; on port 500 it is IKE. ESP is decrypted
 *        in place in @p data.
 * @return ::IPSECVPN_OK, or the negative code of why the datagram was dropped (it changed
 *         nothing; one log line).
 */
IPSECVPN_EXPORT int ipsecvpn_engine_read(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                                         const ipsecvpn_endpoint *remote, uint8_t *data,
                                         size_t len, uint64_t now, ipsecvpn_read_result *res);

/**
 * @brief Protect an outbound IP packet that sits at @p buf + @p off (length @p len), in place
 *        (headroom and tailroom as ipsecvpn_esp_encrypt()). On success the ESP packet to send
 *        over UDP from @p local to @p remote is at *out_off / *out_len. When the Child SA is
 *        not UDP-encapsulated (no NAT seen and `nat_traversal` off) both ports are 0: send
 *        the packet as IP protocol 50 (ESP) instead of UDP.
 * @return ::IPSECVPN_OK; ::IPSECVPN_ERR_ESP_NO_POLICY (no tunnel covers the packet: send it
 *         in clear or drop, the host decides); ::IPSECVPN_ERR_STATE (the tunnel is not up:
 *         the packet is dropped and, if allowed, negotiation starts with an ACQUIRE event);
 *         ::IPSECVPN_ERR_UNSUPPORTED (`install_sas` is 0: the host protects packets itself);
 *         an ESP error of ipsecvpn_esp_encrypt().
 */
IPSECVPN_EXPORT int ipsecvpn_engine_protect(ipsecvpn_engine *e, uint8_t *buf, size_t buf_size,
                                            size_t off, size_t len, uint64_t now,
                                            ipsecvpn_endpoint *local, ipsecvpn_endpoint *remote,
                                            size_t *out_off, size_t *out_len);

/** @brief The next deadline (ms, same clock as @c now), or UINT64_MAX if none. */
IPSECVPN_EXPORT uint64_t ipsecvpn_engine_get_expiry(const ipsecvpn_engine *e);
/** @brief Run every timer due at @p now: retransmits, rekeys, DPD, keepalives, expiries. */
IPSECVPN_EXPORT int ipsecvpn_engine_handle_expiry(ipsecvpn_engine *e, uint64_t now);
/** @} */

#ifdef __cplusplus
}
#endif
#endif
