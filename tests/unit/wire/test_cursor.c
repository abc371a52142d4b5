/* The generic reader and writer: bounds, sticky errors, patching. */
#include "wire_util.h"

#include "wire/reader.h"
#include "wire/writer.h"

Test(cursor, reads_big_endian)
{
    static const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    ivpn_reader r;
    ivpn_reader_init(&r, b, sizeof(b));
    cr_assert_eq(ivpn_rd_u8(&r), 1);
    cr_assert_eq(ivpn_rd_u16(&r), 0x0203);
    cr_assert_eq(ivpn_rd_u32(&r), 0x04050607u);
    cr_assert_eq(ivpn_rd_u64(&r), 0x08090a0b0c0d0e0full);
    cr_assert_eq(ivpn_rd_remaining(&r), 0);
    cr_assert_eq(ivpn_rd_done(&r), IPSECVPN_OK);
}

Test(cursor, out_of_bounds_is_sticky)
{
    static const uint8_t b[] = {0xaa, 0xbb, 0xcc};
    ivpn_reader r;
    ivpn_reader_init(&r, b, sizeof(b));
    cr_assert_eq(ivpn_rd_u16(&r), 0xaabb);
    cr_assert_eq(ivpn_rd_u16(&r), 0, "a short read yields 0");
    cr_assert(ivpn_rd_failed(&r));
    cr_assert_eq(ivpn_rd_u8(&r), 0, "after an error nothing more is read, even if it fits");
    cr_assert_eq(ivpn_rd_status(&r), IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(ivpn_rd_remaining(&r), 0);
}

Test(cursor, spans_and_subreaders)
{
    static const uint8_t b[] = {0, 3, 'a', 'b', 'c', 9};
    ivpn_reader r, sub;
    ivpn_span s;
    ivpn_reader_init(&r, b, sizeof(b));
    uint16_t n = ivpn_rd_u16(&r);
    sub = ivpn_rd_sub(&r, n);
    s = ivpn_rd_span(&sub, 2);
    cr_assert_eq(s.p, b + 2, "spans point into the input");
    cr_assert_eq(s.len, 2);
    cr_assert_eq(ivpn_rd_done(&sub), IPSECVPN_ERR_IKE_MALFORMED, "one byte left in the sub-reader");
    cr_assert_eq(ivpn_rd_u8(&r), 9, "the parent skipped the sub-span");
    sub = ivpn_rd_sub(&r, 1);
    cr_assert(ivpn_rd_failed(&sub), "a sub-reader past the end starts in error");
    cr_assert(ivpn_rd_failed(&r));
    s = ivpn_rd_span(&r, 0);
    cr_assert_null(s.p);
}

Test(cursor, huge_length_does_not_wrap)
{
    static const uint8_t b[4] = {0};
    ivpn_reader r;
    ivpn_reader_init(&r, b, sizeof(b));
    ivpn_rd_u8(&r);
    ivpn_rd_skip(&r, SIZE_MAX);
    cr_assert(ivpn_rd_failed(&r));
}

Test(cursor, writer_bounds_and_patch)
{
    uint8_t buf[8];
    ivpn_writer w;
    ivpn_writer_init(&w, buf, sizeof(buf));
    size_t at = ivpn_wr_reserve(&w, 2);
    ivpn_wr_u8(&w, 0x11);
    ivpn_wr_u32(&w, 0x22334455u);
    ivpn_wr_patch_len16(&w, at, 0);
    cr_assert_eq(ivpn_wr_status(&w), IPSECVPN_OK);
    cr_assert_eq(ivpn_wr_len(&w), 7);
    cr_assert_eq(buf[0], 0);
    cr_assert_eq(buf[1], 7);
    cr_assert_eq(buf[3], 0x22);
    ivpn_wr_u16(&w, 1);
    cr_assert_eq(ivpn_wr_status(&w), IPSECVPN_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(ivpn_wr_len(&w), 7, "a write that does not fit writes nothing");
    ivpn_wr_u8(&w, 1);
    cr_assert_eq(ivpn_wr_len(&w), 7, "the error is sticky");
}

Test(cursor, writer_rejects_bad_patches)
{
    uint8_t buf[4];
    ivpn_writer w;
    ivpn_writer_init(&w, buf, sizeof(buf));
    ivpn_wr_u8(&w, 1);
    ivpn_wr_patch_u16(&w, 0, 5);
    cr_assert_eq(ivpn_wr_status(&w), IPSECVPN_ERR_INVALID_ARG, "patching unwritten bytes");
}

Test(cursor, writer_length_overflow)
{
    static uint8_t big[70000];
    ivpn_writer w;
    ivpn_writer_init(&w, big, sizeof(big));
    size_t at = ivpn_wr_reserve(&w, 2);
    ivpn_wr_zeros(&w, 65536);
    ivpn_wr_patch_len16(&w, at, 0);
    cr_assert_eq(ivpn_wr_status(&w), IPSECVPN_ERR_INVALID_ARG);
}
