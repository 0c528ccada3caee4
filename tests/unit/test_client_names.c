/*  test_client_names: libexecplane's execplane_status_name and
    execplane_failure_name, as a client links them (the shared library,
    its public header). Every value of the Status and Failure enums of
    schemas/execplane.proto (read from the descriptors protoc-c generates
    from it) has its proto name; a value the proto does not define has
    none (NULL).  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <string.h>
#include <execplane.h>

typedef const char *(name_fn) (int value);

//  Each value of the enum has exactly its proto name; one past the largest,
//  below zero and far out are NULL.
static void
s_check_enum (const ProtobufCEnumDescriptor *descriptor, name_fn *name)
{
    assert_true (descriptor->n_values > 0);
    int largest = INT_MIN;
    for (unsigned i = 0; i < descriptor->n_values; i++) {
        const ProtobufCEnumValue *value = &descriptor->values [i];
        const char *got = name (value->value);
        if (!got || strcmp (got, value->name) != 0)
            fail_msg ("%s value %d: named \"%s\", the proto says \"%s\"",
                      descriptor->name, value->value, got ? got : "(null)", value->name);
        if (value->value > largest)
            largest = value->value;
    }
    int unknown [] = { largest + 1, largest + 28, -1, INT_MIN, INT_MAX };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown [0]; i++)
        if (!protobuf_c_enum_descriptor_get_value (descriptor, unknown [i])
        &&  name (unknown [i]) != NULL)
            fail_msg ("%s: %d is no value of the proto, yet named \"%s\"",
                      descriptor->name, unknown [i], name (unknown [i]));
}

static void
test_every_status_has_its_proto_name (void **state)
{
    (void) state;
    s_check_enum (&execplane__v1__status__descriptor, execplane_status_name);
    assert_string_equal (execplane_status_name (EXECPLANE__V1__STATUS__FILLED), "FILLED");
    assert_string_equal (execplane_status_name (EXECPLANE__V1__STATUS__STATUS_UNSPECIFIED),
                         "STATUS_UNSPECIFIED");
    assert_string_equal (execplane_status_name (EXECPLANE__V1__STATUS__UNKNOWN), "UNKNOWN");
}

static void
test_every_failure_has_its_proto_name (void **state)
{
    (void) state;
    s_check_enum (&execplane__v1__failure__descriptor, execplane_failure_name);
    assert_string_equal (execplane_failure_name (EXECPLANE__V1__FAILURE__FAILURE_NONE),
                         "FAILURE_NONE");
    assert_string_equal (execplane_failure_name (EXECPLANE__V1__FAILURE__RATE_LIMITED),
                         "RATE_LIMITED");
    assert_string_equal (execplane_failure_name (EXECPLANE__V1__FAILURE__TOO_LATE), "TOO_LATE");
}

static void
test_a_value_outside_the_proto_has_no_name (void **state)
{
    (void) state;
    assert_null (execplane_status_name (42));
    assert_null (execplane_status_name (-1));
    assert_null (execplane_failure_name (42));
    assert_null (execplane_failure_name (-1));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_every_status_has_its_proto_name),
        cmocka_unit_test (test_every_failure_has_its_proto_name),
        cmocka_unit_test (test_a_value_outside_the_proto_has_no_name),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
