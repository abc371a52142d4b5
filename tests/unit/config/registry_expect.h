/* The status rules as the registry's tests expect them, written out independently of the
 * library's tables (lib/config/edit_rules.c). Enum order:
 * DOWN BUILD ACTIVE ERROR PENDING_CREATE CREATE_ERROR PENDING_UPDATE PENDING_DELETE DELETING */
#ifndef REGISTRY_EXPECT_H
#define REGISTRY_EXPECT_H

#define RT_N_STATUS 9
#define RT_UNUSED __attribute__((unused))

/* Edit refused in BUILD, CREATE_ERROR, PENDING_DELETE, DELETING. */
static const int rt_edit_ok[RT_N_STATUS] RT_UNUSED = {1, 0, 1, 1, 1, 0, 1, 0, 0};
/* Delete refused in BUILD, PENDING_DELETE, DELETING; allowed in CREATE_ERROR. */
static const int rt_delete_ok[RT_N_STATUS] RT_UNUSED = {1, 0, 1, 1, 1, 1, 1, 0, 0};

/* row = from, column = to */
static const int rt_transition_ok[RT_N_STATUS][RT_N_STATUS] RT_UNUSED = {
    /* DOWN           */ {1, 1, 1, 1, 1, 0, 1, 1, 1},
    /* BUILD          */ {1, 1, 1, 1, 0, 0, 1, 0, 0},
    /* ACTIVE         */ {1, 1, 1, 1, 0, 0, 1, 1, 1},
    /* ERROR          */ {1, 1, 1, 1, 0, 0, 1, 1, 1},
    /* PENDING_CREATE */ {1, 1, 1, 1, 1, 1, 1, 1, 1},
    /* CREATE_ERROR   */ {0, 0, 0, 0, 1, 1, 0, 1, 1},
    /* PENDING_UPDATE */ {1, 1, 1, 1, 0, 0, 1, 1, 1},
    /* PENDING_DELETE */ {1, 0, 0, 1, 0, 0, 0, 1, 1},
    /* DELETING       */ {1, 0, 0, 1, 0, 0, 0, 0, 1},
};

#endif
