/**
 * @file ipsecvpn.h
 * @brief Umbrella header: include this one.
 *
 * @mainpage libipsecvpn
 * An embeddable, sans-I/O IPsec library: IKEv1, IKEv2 and ESP engines, the configuration
 * model of an IPsec VPN connection with complete validation, and host callbacks for sockets,
 * clock, randomness and logging. Start with common.h (context, errors), then config.h.
 */
#ifndef IPSECVPN_H
#define IPSECVPN_H

#include "ipsecvpn/common.h"
#include "ipsecvpn/algorithms.h"
#include "ipsecvpn/net.h"
#include "ipsecvpn/config.h"
#include "ipsecvpn/esp.h"
#include "ipsecvpn/spd.h"
#include "ipsecvpn/udp_encap.h"
#include "ipsecvpn/engine.h"

#endif
