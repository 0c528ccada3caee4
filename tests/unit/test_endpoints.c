/*  test_endpoints: a router socket key's list of endpoints, one per router
    (README "Two routers"): how it splits, which is the router's own
    (router/member), what is refused and how it is said, and the ready
    file's list with the endpoint the router bound.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "ep_config.h"
#include "ep_endpoints.h"

static void
s_defaults (ep_config_t *config)
{
    char err [512];
    assert_int_equal (ep_config_load (config, NULL, err, sizeof err), 0);
}

//  Every socket key lists a and b (their ports 1..6 and 11..16).
static void
s_pair (ep_config_t *config, int member)
{
    s_defaults (config);
    char *lists [] = { config->intake, config->outcomes, config->control,
                       config->dispatch, config->results, config->query };
    for (int i = 0; i < 6; i++)
        snprintf (lists [i], EP_ENDPOINT_MAX, "tcp://10.0.0.1:%d, tcp://10.0.0.2:%d",
                  i + 1, i + 11);
    config->member = member;
}

static void
test_a_list_splits_and_spaces_around_items_go (void **state)
{
    (void) state;
    char items [EP_ENDPOINTS_MAX][EP_ENDPOINT_MAX];
    char err [512];
    assert_int_equal (ep_endpoints_split (" tcp://a:1 ,tcp://b:2", items, err, sizeof err), 2);
    assert_string_equal (items [0], "tcp://a:1");
    assert_string_equal (items [1], "tcp://b:2");
    assert_int_equal (ep_endpoints_split ("tcp://a:1", items, err, sizeof err), 1);
}

static void
test_unusable_lists_are_refused_saying_why (void **state)
{
    (void) state;
    char items [EP_ENDPOINTS_MAX][EP_ENDPOINT_MAX];
    char err [512];
    assert_int_equal (ep_endpoints_split ("tcp://a:1,", items, err, sizeof err), -1);
    assert_string_equal (err, "\"tcp://a:1,\": an empty endpoint in the list");
    assert_int_equal (ep_endpoints_split ("", items, err, sizeof err), -1);
    assert_string_equal (err, "\"\": no endpoint");
    assert_int_equal (ep_endpoints_split ("tcp://a:1,>tcp://b:2", items, err, sizeof err), -1);
    assert_non_null (strstr (err, "write the endpoint without '>'"));
    assert_int_equal (ep_endpoints_split ("a,b,c,d,e,f,g,h,i", items, err, sizeof err), -1);
    assert_non_null (strstr (err, "more than 8 endpoints"));

    ep_config_t config;
    s_pair (&config, 0);
    snprintf (config.query, sizeof config.query, "tcp://10.0.0.1:6");
    assert_int_equal (ep_endpoints_check (&config, err, sizeof err), -1);
    assert_string_equal (err, "router/query lists 1 endpoint(s) but router/intake 2: every "
                              "socket's list names the same routers, in the same order");
    s_pair (&config, 3);
    assert_int_equal (ep_endpoints_check (&config, err, sizeof err), -1);
    assert_non_null (strstr (err, "router/member is 3 but the lists name 2 router(s)"));
    s_pair (&config, 2);
    assert_int_equal (ep_endpoints_check (&config, err, sizeof err), 0);
}

static void
test_the_router_binds_the_one_at_its_member (void **state)
{
    (void) state;
    ep_config_t config;
    char own [EP_ENDPOINT_MAX], err [512];
    s_pair (&config, 2);
    assert_int_equal (ep_endpoints_own (&config, "results", own, err, sizeof err), 0);
    assert_string_equal (own, "tcp://10.0.0.2:15");
    s_pair (&config, 1);
    assert_int_equal (ep_endpoints_own (&config, "intake", own, err, sizeof err), 0);
    assert_string_equal (own, "tcp://10.0.0.1:1");
    //  Several and no member: the router cannot tell, and says what to set
    s_pair (&config, 0);
    assert_int_equal (ep_endpoints_own (&config, "intake", own, err, sizeof err), -1);
    assert_string_equal (err, "router/intake lists 2 endpoints, one for each router: set "
                              "router/member to the position (1 to 2) of this router's own, "
                              "the one it binds");
    //  One endpoint needs no member, as ever
    s_defaults (&config);
    assert_int_equal (ep_endpoints_own (&config, "query", own, err, sizeof err), 0);
    assert_string_equal (own, "tcp://127.0.0.1:5555");
}

static void
test_the_ready_file_lists_the_bound_endpoint_beside_the_others (void **state)
{
    (void) state;
    ep_config_t config;
    char list [EP_ENDPOINT_MAX];
    s_pair (&config, 2);
    assert_int_equal (ep_endpoints_splice (&config, "outcomes", "tcp://10.0.0.2:40000",
                                           list, sizeof list), 0);
    assert_string_equal (list, "tcp://10.0.0.1:2,tcp://10.0.0.2:40000");
    s_defaults (&config);
    assert_int_equal (ep_endpoints_splice (&config, "outcomes", "tcp://127.0.0.1:40001",
                                           list, sizeof list), 0);
    assert_string_equal (list, "tcp://127.0.0.1:40001");
    assert_int_equal (ep_endpoints_splice (&config, "outcomes", "tcp://127.0.0.1:40001",
                                           list, 8), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_a_list_splits_and_spaces_around_items_go),
        cmocka_unit_test (test_unusable_lists_are_refused_saying_why),
        cmocka_unit_test (test_the_router_binds_the_one_at_its_member),
        cmocka_unit_test (test_the_ready_file_lists_the_bound_endpoint_beside_the_others),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
