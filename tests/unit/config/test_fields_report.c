/* Reports (lib/config/report.c): modes, accessors, the exact message format. */
#include "test_fields_common.h"

#include "config/report.h"

Test(fields_report, message_format_and_accessors)
{
    ipsecvpn_ctx *ctx = tf_ctx();
    ipsecvpn_report *rep;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_OK);
    cr_assert_eq(ivpn_report_add(rep, IPSECVPN_ERR_CONFIG_RANGE, false, "ike.lifetime",
                                 "must be 0..86400 seconds", "90000"),
                 IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(ivpn_report_add(rep, IPSECVPN_ERR_CONFIG_CONFLICT, true, "ike.local_id",
                                 "an FQDN identity with IKEv1 should use aggressive mode",
                                 "vpn.example.com"),
                 0);
    cr_assert_eq(ipsecvpn_report_count(rep), 2);
    cr_assert_eq(ipsecvpn_report_errors(rep), 1);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                     "ike.lifetime: must be 0..86400 seconds, got 90000");
    cr_assert_eq(ipsecvpn_report_code(rep, 0), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(ipsecvpn_report_is_warning(rep, 0), 0);
    cr_assert_str_eq(ipsecvpn_report_field(rep, 0), "ike.lifetime");
    cr_assert_str_eq(ipsecvpn_report_rule(rep, 0), "must be 0..86400 seconds");
    cr_assert_str_eq(ipsecvpn_report_value(rep, 0), "90000");
    cr_assert_eq(ipsecvpn_report_is_warning(rep, 1), 1);
    cr_assert_eq(ipsecvpn_report_code(rep, 1), 0);
    /* out of range */
    cr_assert_str_eq(ipsecvpn_report_message(rep, 2), "");
    cr_assert_str_eq(ipsecvpn_report_field(rep, 2), "");
    cr_assert_eq(ipsecvpn_report_code(rep, 2), 0);
    cr_assert_eq(ipsecvpn_report_is_warning(rep, 7), 0);
    ipsecvpn_report_clear(rep);
    cr_assert_eq(ipsecvpn_report_count(rep), 0);
    cr_assert_eq(ipsecvpn_report_errors(rep), 0);
    ipsecvpn_report_free(rep);
    ipsecvpn_ctx_free(ctx);
}

Test(fields_report, first_mode_stops_at_the_first_error)
{
    ipsecvpn_ctx *ctx = tf_ctx();
    ipsecvpn_report *rep;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_FIRST, &rep), IPSECVPN_OK);
    cr_assert_not(ivpn_report_stop(rep));
    ivpn_report_add(rep, 0, true, "a", "warn", "1");
    cr_assert_not(ivpn_report_stop(rep));
    ivpn_report_add(rep, IPSECVPN_ERR_CONFIG_RANGE, false, "b", "err", "2");
    cr_assert(ivpn_report_stop(rep));
    cr_assert_eq(ivpn_report_add(rep, IPSECVPN_ERR_CONFIG_SYNTAX, false, "c", "err", "3"),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
    ivpn_report_add(rep, 0, true, "d", "warn", "4");
    cr_assert_eq(ipsecvpn_report_count(rep), 2);
    cr_assert_str_eq(ipsecvpn_report_field(rep, 1), "b");
    ipsecvpn_report_free(rep);
    ipsecvpn_ctx_free(ctx);
}

Test(fields_report, grows_cuts_values_and_accepts_null)
{
    ipsecvpn_ctx *ctx = tf_ctx();
    ipsecvpn_report *rep;
    cr_assert_eq(ivpn_report_add(NULL, IPSECVPN_ERR_CONFIG_RANGE, false, "x", "y", "z"),
                 IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_OK);
    char value[300];
    memset(value, 'v', 299);
    value[299] = '\0';
    for (int i = 0; i < 50; i++)
        ivpn_report_add(rep, IPSECVPN_ERR_CONFIG_LENGTH, false, "name", "too long", value);
    cr_assert_eq(ipsecvpn_report_count(rep), 50);
    cr_assert_eq(strlen(ipsecvpn_report_value(rep, 49)), 128);
    ipsecvpn_report_free(rep);
    ipsecvpn_report_free(NULL);
    cr_assert_eq(ipsecvpn_report_count(NULL), 0);
    cr_assert_eq(ipsecvpn_report_new(ctx, 5, &rep), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_report_new(NULL, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_ERR_INVALID_ARG);
    ipsecvpn_ctx_free(ctx);
}
