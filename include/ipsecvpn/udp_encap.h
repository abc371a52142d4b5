/**
 * @file udp_encap.h
 * @brief UDP encapsulation of ESP and IKE for NAT traversal (RFC 3948, RFC 3947, RFC 7296 §2.23).
 *
 * Behind a NAT, IKE floats to UDP port 4500 and ESP travels inside UDP datagrams on that same
 * port. A datagram received there carries one of three things, told apart by its first bytes:
 *
 * | payload of the UDP datagram                         | kind                           |
 * |-----------------------------------------------------|--------------------------------|
 * | exactly one byte 0xFF                               | ::IPSECVPN_UDP_KEEPALIVE       |
 * | four zero bytes (non-ESP marker), then an IKE header| ::IPSECVPN_UDP_IKE (offset 4)  |
 * | a non-zero SPI, then the rest of an ESP packet      | ::IPSECVPN_UDP_ESP (offset 0)  |
 *
 * Hosts that read datagrams from ordinary UDP sockets (the usual case: see the interop notes,
 * do not set the kernel's UDP_ENCAP option) call ipsecvpn_udp_classify() on the payload.
 * Hosts that build or read whole IP packets (raw sockets, firmware) can add and remove the
 * 8-byte UDP header itself with ipsecvpn_udp_encap() and ipsecvpn_udp_decap(), in place.
 *
 * Addresses are passed as raw bytes with their length: 4 for IPv4, 16 for IPv6.
 * None of these functions allocates or keeps state; all are safe to call from any thread.
 */
#ifndef IPSECVPN_UDP_ENCAP_H
#define IPSECVPN_UDP_ENCAP_H

#include "ipsecvpn/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup udp_encap UDP encapsulation (NAT traversal)
 * @{
 */

/** The IKE and ESP-in-UDP port after NAT detection (RFC 3948 §1, RFC 7296 §2.23). */
#define IPSECVPN_NATT_PORT 4500
/** The IKE port before floating (RFC 7296 §2). */
#define IPSECVPN_IKE_PORT 500
/** Size of the UDP header added by ipsecvpn_udp_encap(). */
#define IPSECVPN_UDP_HEADER_LEN 8
/** Size of the non-ESP marker (four zero bytes) in front of IKE messages on port 4500. */
#define IPSECVPN_NON_ESP_MARKER_LEN 4
/** Size of a NAT-keepalive payload (RFC 3948 §2.3). */
#define IPSECVPN_NAT_KEEPALIVE_LEN 1
/** Smallest IKE message: the fixed IKE header (RFC 7296 §3.1, RFC 2408 §3.1). */
#define IPSECVPN_IKE_HEADER_LEN 28
/** Smallest ESP payload accepted as ESP: SPI, sequence number and at least one more byte. */
#define IPSECVPN_UDP_ESP_MIN_LEN 9

/** What a datagram received on ::IPSECVPN_NATT_PORT carries. */
typedef enum ipsecvpn_udp_kind {
    IPSECVPN_UDP_IKE = 1,       /**< an IKE message after the non-ESP marker */
    IPSECVPN_UDP_ESP = 2,       /**< an ESP packet (its SPI is not zero) */
    IPSECVPN_UDP_KEEPALIVE = 3  /**< a NAT keepalive: nothing to do but drop it */
} ipsecvpn_udp_kind;

/**
 * @brief Tell what the payload of a UDP datagram received on port 4500 is.
 *
 * Lengths: 0 → ::IPSECVPN_ERR_ESP_SHORT; 1 → keepalive if 0xFF, else
 * ::IPSECVPN_ERR_ESP_NOT_ESP; 2..3 → ::IPSECVPN_ERR_ESP_SHORT (room for neither marker nor
 * SPI); zero marker with fewer than 4 + ::IPSECVPN_IKE_HEADER_LEN bytes →
 * ::IPSECVPN_ERR_ESP_SHORT; non-zero SPI with fewer than ::IPSECVPN_UDP_ESP_MIN_LEN bytes →
 * ::IPSECVPN_ERR_ESP_SHORT (the Linux kernel hands those to the IKE socket, where they fail).
 *
 * @param payload the UDP payload (after the UDP header)
 * @param len its length
 * @param[out] offset may be NULL; where the IKE message or ESP packet starts in @p payload
 *             (4 for IKE, 0 for ESP, 1 for a keepalive: the end). Set only on success.
 * @return a positive ::ipsecvpn_udp_kind, or ::IPSECVPN_ERR_INVALID_ARG (NULL payload with a
 *         non-zero length), ::IPSECVPN_ERR_ESP_SHORT, ::IPSECVPN_ERR_ESP_NOT_ESP.
 */
IPSECVPN_EXPORT int ipsecvpn_udp_classify(const uint8_t *payload, size_t len, size_t *offset);

/**
 * @brief Prepend the 8-byte UDP header to a payload in place (sender side, RFC 3948 §2.1).
 *
 * The payload is `buf[*off .. *off + *len)`; the header is written to
 * `buf[*off - 8 .. *off)`, then `*off` decreases by 8 and `*len` grows by 8.
 * The checksum is zero over IPv4 (RFC 3948 §2.1: ESP carries its own integrity) and computed
 * over the IPv6 pseudo-header (RFC 8200 §8.1: zero is not allowed there).
 *
 * @param buf the buffer; needs 8 bytes of headroom before the payload
 * @param[in,out] off offset of the payload, then of the UDP header
 * @param[in,out] len length of the payload, then of the UDP datagram
 * @param sport source port (host byte order)
 * @param dport destination port (host byte order)
 * @param src source address (network byte order), @p addr_len bytes; used for IPv6 only, may
 *            be NULL for IPv4
 * @param dst destination address, like @p src
 * @param addr_len 4 (IPv4) or 16 (IPv6)
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG (NULL pointer, addr_len not 4 or 16,
 *         IPv6 without addresses), ::IPSECVPN_ERR_ESP_ROOM (`*off` < 8, or the datagram would
 *         exceed 65535 bytes). Nothing is written on error.
 */
IPSECVPN_EXPORT int ipsecvpn_udp_encap(uint8_t *buf, size_t *off, size_t *len,
                                       uint16_t sport, uint16_t dport,
                                       const uint8_t *src, const uint8_t *dst, size_t addr_len);

/**
 * @brief Check and remove the UDP header of a datagram in place (receiver side).
 *
 * The datagram is `buf[*off .. *off + *len)`. On success `*off` points after the UDP header
 * and `*len` is the payload length the UDP length field declares (bytes after it are
 * ignored). Over IPv6 the checksum must be non-zero and correct; over IPv4 it is not checked
 * (RFC 3948 §2.1 sends it as zero there; the ESP ICV protects the content).
 *
 * @param buf the buffer (not modified)
 * @param[in,out] off offset of the UDP header, then of the payload
 * @param[in,out] len length of the datagram, then of the payload
 * @param[out] sport may be NULL; the source port (a NAT may have changed it)
 * @param[out] dport may be NULL; the destination port
 * @param src source address from the IP header (needed for IPv6 only)
 * @param dst destination address from the IP header (needed for IPv6 only)
 * @param addr_len 4 (IPv4) or 16 (IPv6)
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG, ::IPSECVPN_ERR_ESP_SHORT (fewer than 8
 *         bytes, or fewer than the length field declares), ::IPSECVPN_ERR_ESP_MALFORMED (length
 *         field below 8, IPv6 checksum zero or wrong). Nothing is changed on error.
 */
IPSECVPN_EXPORT int ipsecvpn_udp_decap(const uint8_t *buf, size_t *off, size_t *len,
                                       uint16_t *sport, uint16_t *dport,
                                       const uint8_t *src, const uint8_t *dst, size_t addr_len);

/**
 * @brief Prepend the non-ESP marker to an IKE message in place, for sending on port 4500.
 *
 * The message is `buf[*off .. *off + *len)`; four zero bytes are written before it, `*off`
 * decreases by 4 and `*len` grows by 4.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG (NULL pointer),
 *         ::IPSECVPN_ERR_ESP_ROOM (`*off` < 4). Nothing is written on error.
 */
IPSECVPN_EXPORT int ipsecvpn_udp_add_marker(uint8_t *buf, size_t *off, size_t *len);

/**
 * @brief Write a NAT-keepalive payload (the single byte 0xFF, RFC 3948 §2.3).
 *
 * The host sends it as the payload of a UDP datagram from port 4500 to the peer's port 4500
 * (or the port the NAT mapped) when no other packet was sent for its keepalive interval.
 * @param buf where to write
 * @param cap size of @p buf
 * @param[out] len set to ::IPSECVPN_NAT_KEEPALIVE_LEN
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG (NULL pointer),
 *         ::IPSECVPN_ERR_BUFFER_TOO_SMALL (@p cap is 0).
 */
IPSECVPN_EXPORT int ipsecvpn_udp_keepalive(uint8_t *buf, size_t cap, size_t *len);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* IPSECVPN_UDP_ENCAP_H */
