/* Whole-object validation of values written straight into the model (as engines, the
 * registry or an importer may do): out-of-table enums and out-of-profile ranges are caught. */
#include "test_fields_common.h"

#include "config/model.h"

Test(validate_model, direct_writes_are_checked)
{
    ipsecvpn_ctx *ctx = tf_ctx();
    ipsecvpn_connection *c = tf_conn(ctx, IPSECVPN_PROFILE_CLOUD);
    ipsecvpn_report *rep;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_OK);
    const char *f[] = {"local_address", "peer_address"};
    const char *v[] = {"192.0.2.1", "198.51.100.1"};
    cr_assert_eq(ipsecvpn_connection_update(c, f, v, 2, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_validate(c, rep), IPSECVPN_OK);

    c->v.ike.dh_group = 99;
    c->v.ipsec.lifetime = 90000;
    c->v.bgp.local_asn = 0;
    c->v.psk[0] = '\0';
    cr_assert_eq(ipsecvpn_connection_validate(c, rep), IPSECVPN_ERR_CONFIG_REQUIRED);
    cr_assert_eq(ipsecvpn_report_errors(rep), 4);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0), "psk: is required, got \"\"");
    cr_assert_str_eq(ipsecvpn_report_message(rep, 1),
                     "ike.dh_group: must be one of group1, group2, group5, group14, group19, "
                     "group20, group21, group31, got (invalid)");
    cr_assert_str_eq(ipsecvpn_report_message(rep, 2),
                     "ipsec.lifetime: must be 0..86400 seconds, got 90000");
    cr_assert_str_eq(ipsecvpn_report_message(rep, 3),
                     "bgp.local_asn: must be 1..4294967295 (asdot a.b: a, b 0..65535, not 0.0), "
                     "got 0");
    /* reading an invalid enum gives "", never garbage */
    cr_assert_str_eq(tf_get(c, "ike.dh_group"), "");
    ipsecvpn_report_free(rep);
    ipsecvpn_connection_free(c);
    ipsecvpn_ctx_free(ctx);
}
