/*
 * host_sa: what the example host shows of the engine's work -- the events as they happen,
 * and per Child SA pair the ESP packets and bytes the host itself carried (counted by SPI:
 * the first four bytes of every ESP packet it sends or receives).
 */
#ifndef HOST_SA_H
#define HOST_SA_H

#include <ipsecvpn/engine.h>

#include <stddef.h>
#include <stdint.h>

/* The engine's event callback: prints the event and tracks Child SA pairs. */
void host_sa_event(void *user_data, const ipsecvpn_event *ev);
/* Count an ESP packet received on SPI @p spi whose inner packet has @p inner_len bytes. */
void host_sa_count_in(uint32_t spi, size_t inner_len);
/* Count an ESP packet sent on SPI @p spi carrying @p inner_len bytes of inner packet. */
void host_sa_count_out(uint32_t spi, size_t inner_len);
/* Print every Child SA pair seen with its counters, one line each:
 * "esp-sa conn=1 spi_in=0x... spi_out=0x... in_packets=N in_bytes=N out_packets=N ..." */
void host_sa_print_counters(void);
/* Number of Child SA pairs currently up. */
size_t host_sa_active(void);
/* Big-endian 32-bit value at @p p (the SPI of an ESP packet). */
uint32_t host_be32(const uint8_t *p);

/* Names of the IANA algorithm IDs, for printing. */
const char *host_encr_name(unsigned id);
const char *host_integ_name(unsigned id);

#endif
