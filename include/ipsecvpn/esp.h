/**
 * @file esp.h
 * @brief ESP Security Associations (RFC 4303): in-place encryption and decryption,
 *        anti-replay with extended sequence numbers (RFC 4304), lifetimes, UDP
 *        encapsulation (RFC 3948), counters.
 *
 * An SA is created from explicit parameters (::ipsecvpn_esp_sa_params), exactly the object
 * the IKE engines create after a negotiation, so the ESP layer is usable on its own with
 * static keys. One SA protects one direction.
 *
 * ### Buffers
 * Encryption and decryption work in place in the caller's buffer and never allocate.
 * ipsecvpn_esp_encrypt() grows the packet toward the front (into the headroom before
 * @c data_offset) and toward the back (into the tailroom after the data). The room an SA
 * needs at most is reported by ipsecvpn_esp_sa_overhead(); ::IPSECVPN_ESP_HEADROOM and
 * ::IPSECVPN_ESP_TAILROOM bound it for every SA without TFC padding.
 *
 * ### Packet forms
 * Without ::IPSECVPN_ESP_FLAG_FULL the ESP packet stands alone (SPI .. ICV): what a host
 * sends and receives on its UDP socket (port 4500) when the SA is UDP-encapsulated, or hands
 * to a raw socket for protocol 50. With ::IPSECVPN_ESP_FLAG_FULL the packet is a whole IP
 * datagram: outer IPv4/IPv6 header, the UDP header when encapsulated, then ESP.
 *
 * ### Time
 * @c now is a monotonic clock of the host in milliseconds (any origin, never going back).
 * Lifetimes in seconds are measured from the @c now given to ipsecvpn_esp_sa_new().
 *
 * ### Errors and state
 * A packet that is rejected (short, unknown SPI, replayed, bad ICV, bad padding, selector
 * mismatch, malformed inner packet) returns its own negative code and leaves the SA's state
 * (sequence numbers, replay window, lifetime usage, accepted-packet counters) exactly as it
 * was; only the drop counter for that reason is incremented. Decryption writes nothing to
 * the buffer until the ICV has verified: a packet refused as short, for its SPI, lifetime,
 * replay or ICV is left exactly as received (a wrong AEAD tag restores the ciphertext). A
 * packet refused after that (padding, selector, malformed inner packet) leaves its decrypted
 * plaintext in the buffer.
 *
 * Thread-safety: an SA may be used by one thread at a time; it does not touch its context
 * except for logging, so an SA may be handed to a worker thread.
 */
#ifndef IPSECVPN_ESP_H
#define IPSECVPN_ESP_H

#include <stddef.h>
#include <stdint.h>

#include "ipsecvpn/common.h"
#include "ipsecvpn/algorithms.h"
#include "ipsecvpn/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup esp ESP Security Associations
 * @{
 */

/** Version of ::ipsecvpn_esp_sa_params this header describes. */
#define IPSECVPN_ESP_SA_PARAMS_VERSION 1
/** Version of ::ipsecvpn_esp_stats this header describes. */
#define IPSECVPN_ESP_STATS_VERSION 1

/** Smallest anti-replay window (packets) other than 0 (= off). */
#define IPSECVPN_ESP_REPLAY_WINDOW_MIN 32
/** Largest anti-replay window (packets). */
#define IPSECVPN_ESP_REPLAY_WINDOW_MAX 65536
/** Most selectors one SA carries. */
#define IPSECVPN_ESP_MAX_SELECTORS 16

/**
 * Headroom (bytes before the data) that ipsecvpn_esp_encrypt() needs at most, for any SA:
 * outer IPv6 header 40 + UDP 8 + ESP header 8 + IV 16.
 */
#define IPSECVPN_ESP_HEADROOM 72
/**
 * Tailroom (bytes after the data) that ipsecvpn_esp_encrypt() needs at most, for any SA
 * without TFC padding: padding 15 + pad length 1 + next header 1 + ICV 32, rounded up.
 * With TFC padding add the SA's @c tfc_pad (see ipsecvpn_esp_sa_overhead()).
 */
#define IPSECVPN_ESP_TAILROOM 64

/** Which way an SA protects traffic. */
typedef enum ipsecvpn_esp_dir {
    IPSECVPN_ESP_DIR_IN = 0, /**< inbound: ipsecvpn_esp_decrypt() */
    IPSECVPN_ESP_DIR_OUT = 1 /**< outbound: ipsecvpn_esp_encrypt() */
} ipsecvpn_esp_dir;

/** Encapsulation mode (RFC 4301 §4.1). */
typedef enum ipsecvpn_esp_mode {
    IPSECVPN_ESP_MODE_TUNNEL = 0,   /**< the whole inner IP packet is protected */
    IPSECVPN_ESP_MODE_TRANSPORT = 1 /**< the payload of an IP packet is protected */
} ipsecvpn_esp_mode;


/** Lifetime limits; 0 in a field means no limit by that measure. */
typedef struct ipsecvpn_esp_lifetime {
    uint64_t bytes;   /**< bytes of protected payload (inner packets) */
    uint64_t packets; /**< packets */
    uint64_t seconds; /**< seconds since the SA was created */
} ipsecvpn_esp_lifetime;

/**
 * @brief Everything an SA is made of.
 *
 * Versioned: set @c version to ::IPSECVPN_ESP_SA_PARAMS_VERSION. Read only during
 * ipsecvpn_esp_sa_new(); keys and selectors are copied.
 */
typedef struct ipsecvpn_esp_sa_params {
    uint32_t version;            /**< ::IPSECVPN_ESP_SA_PARAMS_VERSION */
    uint32_t spi;                /**< SPI in host byte order; 1..255 are reserved (refused) */
    ipsecvpn_esp_dir direction;  /**< inbound or outbound */
    ipsecvpn_esp_mode mode;      /**< tunnel or transport */
    uint16_t encr;               /**< an ::ipsecvpn_encr value */
    uint16_t encr_key_bits;      /**< 128/192/256 for AES; 0 for fixed-size keys */
    uint16_t integ;              /**< an ::ipsecvpn_integ value; NONE with AEAD ciphers */
    const uint8_t *encr_key;     /**< encryption key followed by the salt (AEAD), as KEYMAT */
    size_t encr_key_len;         /**< key bytes + salt bytes */
    const uint8_t *integ_key;    /**< integrity key; NULL with AEAD ciphers */
    size_t integ_key_len;        /**< integrity key bytes */
    ipsecvpn_ip_addr local_addr;  /**< this host's outer address */
    ipsecvpn_ip_addr remote_addr; /**< the peer's outer address (same family) */
    uint16_t local_port;         /**< UDP encapsulation: this host's port (e.g. 4500), 0 = none */
    uint16_t remote_port;        /**< UDP encapsulation: the peer's port, 0 = none */
    uint32_t replay_window;      /**< inbound: 0 = off, else 32..65536 packets */
    uint8_t esn;                 /**< 1: extended sequence numbers (RFC 4304), 0: 32-bit */
    uint16_t tfc_pad;            /**< outbound tunnel mode: pad inner packets to at least this
                                      many bytes (RFC 4303 §2.7 TFC padding); 0 = off */
    ipsecvpn_esp_lifetime soft;  /**< soft limits: ::IPSECVPN_ESP_EVENT_SOFT_EXPIRED */
    ipsecvpn_esp_lifetime hard;  /**< hard limits: the SA refuses every packet afterwards */
    const ipsecvpn_selector *selectors; /**< inbound check; NULL/0 = accept any */
    size_t selector_count;       /**< number of selectors, at most ::IPSECVPN_ESP_MAX_SELECTORS */
} ipsecvpn_esp_sa_params;

/** @brief An ESP Security Association. Opaque. */
typedef struct ipsecvpn_esp_sa ipsecvpn_esp_sa;

/** Lifetime state of an SA. */
typedef enum ipsecvpn_esp_sa_state {
    IPSECVPN_ESP_SA_ACTIVE = 0,      /**< within its lifetimes */
    IPSECVPN_ESP_SA_SOFT_EXPIRED = 1,/**< a soft limit passed: rekey; still usable */
    IPSECVPN_ESP_SA_HARD_EXPIRED = 2 /**< a hard limit passed: refuses every packet */
} ipsecvpn_esp_sa_state;

/** Event bit of ipsecvpn_esp_sa_events(): a soft limit was reached (rekey now). */
#define IPSECVPN_ESP_EVENT_SOFT_EXPIRED 0x1u
/** Event bit of ipsecvpn_esp_sa_events(): a hard limit was reached (delete the SA). */
#define IPSECVPN_ESP_EVENT_HARD_EXPIRED 0x2u
/** Event bit of ipsecvpn_esp_sa_events(): outbound sequence numbers are used up (rekey). */
#define IPSECVPN_ESP_EVENT_SEQ_EXHAUSTED 0x4u

/**
 * Flag for ipsecvpn_esp_encrypt() and ipsecvpn_esp_decrypt(): the packet is a whole IP
 * datagram (outer IP header, UDP header if encapsulated, ESP) rather than ESP alone.
 */
#define IPSECVPN_ESP_FLAG_FULL 0x1u

/**
 * @brief Counters of one SA. Versioned: set @c version to ::IPSECVPN_ESP_STATS_VERSION.
 *
 * Drop counters count rejected packets; they are the only state a rejected packet changes.
 */
typedef struct ipsecvpn_esp_stats {
    uint32_t version;         /**< ::IPSECVPN_ESP_STATS_VERSION */
    uint32_t state;           /**< an ::ipsecvpn_esp_sa_state value */
    uint64_t packets;         /**< packets accepted (encrypted or decrypted), dummies included */
    uint64_t bytes;           /**< payload bytes of those packets (inner packets, no padding) */
    uint64_t seq;             /**< outbound: last sequence number sent; inbound: highest
                                   accepted (64 bits with ESN) */
    uint64_t dummy;           /**< dummy packets (next header 59) received and dropped */
    uint64_t drop_short;      /**< ::IPSECVPN_ERR_ESP_SHORT */
    uint64_t drop_spi;        /**< ::IPSECVPN_ERR_ESP_SPI */
    uint64_t drop_replay;     /**< ::IPSECVPN_ERR_ESP_REPLAY */
    uint64_t drop_icv;        /**< ::IPSECVPN_ERR_ESP_ICV */
    uint64_t drop_padding;    /**< ::IPSECVPN_ERR_ESP_PADDING */
    uint64_t drop_selector;   /**< ::IPSECVPN_ERR_ESP_SELECTOR */
    uint64_t drop_malformed;  /**< ::IPSECVPN_ERR_ESP_MALFORMED (outer or inner packet) */
    uint64_t drop_expired;    /**< ::IPSECVPN_ERR_ESP_EXPIRED */
    uint64_t drop_seq_exhausted; /**< ::IPSECVPN_ERR_ESP_SEQ_EXHAUSTED */
    uint64_t created_ms;      /**< the @c now given to ipsecvpn_esp_sa_new() */
} ipsecvpn_esp_stats;

/**
 * @brief Create an SA.
 * @param ctx the library context (allocator, log, random for CBC IV keys); may be NULL only
 *        if no randomness is needed (AEAD ciphers) and the default allocator will do.
 * @param params the SA's parameters.
 * @param now the host's monotonic clock in milliseconds.
 * @param[out] out the new SA.
 * @return ::IPSECVPN_OK; ::IPSECVPN_ERR_INVALID_ARG (NULL pointer, SPI 0..255, bad direction
 *         or mode, replay window out of range, mismatched address families, one encapsulation
 *         port without the other, integrity given with AEAD or missing with CBC, TFC padding in
 *         transport mode, too many selectors or a bad prefix); ::IPSECVPN_ERR_VERSION;
 *         ::IPSECVPN_ERR_CRYPTO_ALG; ::IPSECVPN_ERR_CRYPTO_KEY_LEN; ::IPSECVPN_ERR_NOMEM;
 *         ::IPSECVPN_ERR_RANDOM.
 */
IPSECVPN_EXPORT int ipsecvpn_esp_sa_new(ipsecvpn_ctx *ctx, const ipsecvpn_esp_sa_params *params,
                                        uint64_t now, ipsecvpn_esp_sa **out);

/** @brief Free an SA and wipe its keys. NULL is a no-op. */
IPSECVPN_EXPORT void ipsecvpn_esp_sa_free(ipsecvpn_esp_sa *sa);

/** @return the SA's SPI (host byte order), 0 for NULL. */
IPSECVPN_EXPORT uint32_t ipsecvpn_esp_sa_spi(const ipsecvpn_esp_sa *sa);

/**
 * @brief Copy the SA's counters.
 * @param sa the SA.
 * @param[in,out] stats @c version set by the caller; filled on success.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG, ::IPSECVPN_ERR_VERSION.
 */
IPSECVPN_EXPORT int ipsecvpn_esp_sa_get_stats(const ipsecvpn_esp_sa *sa, ipsecvpn_esp_stats *stats);

/**
 * @brief The SA's lifetime state, after applying time limits at @p now.
 * @return an ::ipsecvpn_esp_sa_state value (::IPSECVPN_ESP_SA_HARD_EXPIRED for NULL).
 */
IPSECVPN_EXPORT ipsecvpn_esp_sa_state ipsecvpn_esp_sa_state_at(ipsecvpn_esp_sa *sa, uint64_t now);

/**
 * @brief Take the pending events (IPSECVPN_ESP_EVENT_* bits) and clear them.
 *
 * Each event is raised once per SA, by the packet or the ipsecvpn_esp_sa_state_at() call
 * that crossed the limit. The IKE engine polls this after packets to start a rekey.
 * @return the bits, 0 if none (or NULL).
 */
IPSECVPN_EXPORT uint32_t ipsecvpn_esp_sa_events(ipsecvpn_esp_sa *sa);

/**
 * @brief The next time (host milliseconds) at which a time limit of the SA passes.
 * @return the deadline, or UINT64_MAX when no time limit is pending.
 */
IPSECVPN_EXPORT uint64_t ipsecvpn_esp_sa_next_expiry(const ipsecvpn_esp_sa *sa);

/**
 * @brief Bytes of memory the SA holds in the ESP layer (the SA object and its replay window),
 *        not counting the crypto backend's key schedules.
 */
IPSECVPN_EXPORT size_t ipsecvpn_esp_sa_memory(const ipsecvpn_esp_sa *sa);

/**
 * @brief The exact room ipsecvpn_esp_encrypt() needs for this SA.
 * @param sa an outbound SA.
 * @param flags ::IPSECVPN_ESP_FLAG_FULL or 0.
 * @param[out] headroom bytes needed before the data; may be NULL.
 * @param[out] tailroom bytes needed after the data (largest padding, TFC padding, ICV);
 *        may be NULL.
 * @return ::IPSECVPN_OK or ::IPSECVPN_ERR_INVALID_ARG.
 */
IPSECVPN_EXPORT int ipsecvpn_esp_sa_overhead(const ipsecvpn_esp_sa *sa, uint32_t flags,
                                             size_t *headroom, size_t *tailroom);

/**
 * @brief Encrypt one packet in place.
 *
 * Tunnel mode: @c buf[data_offset .. +data_len) is the inner IPv4 or IPv6 packet.
 * Transport mode: it is an IP packet whose payload is protected; its header (IPv4 with
 * options, or the fixed IPv6 header, which must not be followed by hop-by-hop, routing or
 * fragment headers) stays outside ESP. Without ::IPSECVPN_ESP_FLAG_FULL the result is the
 * ESP packet alone (transport mode drops the IP header: the host's socket adds its own);
 * with it, the result starts with the outer IP header (tunnel mode: built from the SA's
 * addresses; transport mode: the packet's own header, protocol and lengths updated) and,
 * if the SA is UDP-encapsulated, the UDP header.
 *
 * IVs: AEAD ciphers use the 64-bit sequence number (RFC 4106 §3.1, unique per key); CBC
 * ciphers use E_K(nonce) with the SA's own key on a nonce made of the sequence number and a
 * per-SA random value (NIST SP 800-38A App. C), so IVs are unpredictable and cost one block.
 *
 * @param sa an outbound SA.
 * @param buf the buffer.
 * @param buf_size its size.
 * @param data_offset where the packet starts; at least the headroom.
 * @param data_len its length.
 * @param now the host's monotonic clock in milliseconds.
 * @param flags ::IPSECVPN_ESP_FLAG_FULL or 0.
 * @param[out] out_offset where the result starts in @p buf.
 * @param[out] out_len its length.
 * @return ::IPSECVPN_OK; ::IPSECVPN_ERR_INVALID_ARG; ::IPSECVPN_ERR_STATE (inbound SA);
 *         ::IPSECVPN_ERR_ESP_ROOM (not enough headroom/tailroom, nothing changed);
 *         ::IPSECVPN_ERR_ESP_MALFORMED (not an IP packet); ::IPSECVPN_ERR_UNSUPPORTED;
 *         ::IPSECVPN_ERR_ESP_EXPIRED; ::IPSECVPN_ERR_ESP_SEQ_EXHAUSTED; ::IPSECVPN_ERR_CRYPTO.
 */
IPSECVPN_EXPORT int ipsecvpn_esp_encrypt(ipsecvpn_esp_sa *sa, uint8_t *buf, size_t buf_size,
                                         size_t data_offset, size_t data_len, uint64_t now,
                                         uint32_t flags, size_t *out_offset, size_t *out_len);

/**
 * @brief Encrypt an arbitrary payload with a given next header, without reading it.
 *
 * For dummy packets (next header 59, RFC 4303 §2.6) and hosts that build the protected
 * payload themselves. ::IPSECVPN_ESP_FLAG_FULL is only allowed in tunnel mode. No TFC
 * padding is added. Parameters and results as ipsecvpn_esp_encrypt().
 * @param sa an outbound SA.
 * @param buf the buffer.
 * @param buf_size its size.
 * @param data_offset where the payload starts.
 * @param data_len its length (may be 0).
 * @param next_header the ESP next header value.
 * @param now the host's monotonic clock in milliseconds.
 * @param flags ::IPSECVPN_ESP_FLAG_FULL or 0.
 * @param[out] out_offset where the result starts in @p buf.
 * @param[out] out_len its length.
 * @return as ipsecvpn_esp_encrypt().
 */
IPSECVPN_EXPORT int ipsecvpn_esp_encrypt_payload(ipsecvpn_esp_sa *sa, uint8_t *buf,
                                                 size_t buf_size, size_t data_offset,
                                                 size_t data_len, uint8_t next_header,
                                                 uint64_t now, uint32_t flags,
                                                 size_t *out_offset, size_t *out_len);

/**
 * @brief Verify and decrypt one packet in place.
 *
 * Order (RFC 4303 §3.4): length checks, SPI, hard lifetime, replay check (no state change),
 * ICV (constant time; with ESN the inferred high 32 bits are authenticated), decryption,
 * padding check (RFC 4303 §2.4: bytes 1, 2, 3, ...), inner packet and selector check; only
 * then the replay window, lifetimes and counters are updated. A dummy packet (next header
 * 59) updates them too and returns ::IPSECVPN_ERR_ESP_DUMMY: drop it silently.
 *
 * Tunnel mode: the result is the inner IP packet, trimmed to the length its header declares
 * (TFC padding removed). Transport mode without ::IPSECVPN_ESP_FLAG_FULL: the result is the
 * protected payload (e.g. a TCP segment) and @p next_header its protocol; with the flag the
 * IP header is rebuilt in front of it (protocol, lengths and IPv4 checksum updated).
 *
 * @param sa an inbound SA.
 * @param buf the packet: ESP alone (what a UDP socket on port 4500 delivers after the UDP
 *        header) or, with ::IPSECVPN_ESP_FLAG_FULL, the whole IP datagram.
 * @param len its length.
 * @param now the host's monotonic clock in milliseconds.
 * @param flags ::IPSECVPN_ESP_FLAG_FULL or 0.
 * @param[out] inner_offset where the result starts in @p buf.
 * @param[out] inner_len its length.
 * @param[out] next_header the ESP next header (4 IPv4, 41 IPv6, a protocol in transport
 *        mode); may be NULL.
 * @return ::IPSECVPN_OK; ::IPSECVPN_ERR_INVALID_ARG; ::IPSECVPN_ERR_STATE (outbound SA);
 *         ::IPSECVPN_ERR_ESP_SHORT, ::IPSECVPN_ERR_ESP_SPI, ::IPSECVPN_ERR_ESP_REPLAY,
 *         ::IPSECVPN_ERR_ESP_ICV, ::IPSECVPN_ERR_ESP_PADDING, ::IPSECVPN_ERR_ESP_SELECTOR,
 *         ::IPSECVPN_ERR_ESP_MALFORMED, ::IPSECVPN_ERR_ESP_EXPIRED, ::IPSECVPN_ERR_ESP_DUMMY,
 *         ::IPSECVPN_ERR_CRYPTO.
 */
IPSECVPN_EXPORT int ipsecvpn_esp_decrypt(ipsecvpn_esp_sa *sa, uint8_t *buf, size_t len,
                                         uint64_t now, uint32_t flags, size_t *inner_offset,
                                         size_t *inner_len, uint8_t *next_header);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* IPSECVPN_ESP_H */
