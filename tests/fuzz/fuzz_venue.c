/*  Fuzz: the venue response classifier, which reads whatever a venue (or
    something pretending to be one) answers. The first bytes choose the
    operation (cancel-replace and amend too), the HTTP status and whether
    bytes were sent; the rest is the body. Every outcome must be classified.  */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ep_venue_binance.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    static const long statuses [] = { 0, 200, 201, 400, 401, 403, 404, 408, 418, 429, 500, 503 };
    ep_venue_result_t result;
    memset (&result, 0, sizeof result);
    ep_venue_op_t op = 1 + data [0] % 5;
    result.http_status = statuses [data [1] % (sizeof statuses / sizeof statuses [0])];
    result.curl_code = result.http_status ? 0 : 1 + data [2] % 90;
    result.request_size = data [2] & 1 ? 300 : 0;
    if (data [2] & 2)
        strcpy (result.retry_after, "7");
    result.body = malloc (size - 3 + 1);
    memcpy (result.body, data + 3, size - 3);
    result.body [size - 3] = 0;
    result.body_size = size - 3;
    bool change = op == EP_VENUE_CANCEL_REPLACE || op == EP_VENUE_AMEND;
    if (change)
        ep_binance_classify_change (op, "epTESTtargetorderid_0123456789abc",
                                    "epTESTclientorderid_0123456789abcd", 50000000, &result);
    else
        ep_binance_classify (op, "epTESTclientorderid_0123456789abcd", 50000000, &result);
    if (result.status < 0 || result.status > EP_STATUS (UNKNOWN)
    ||  result.failure < 0 || result.failure >= EP_FAILURE_COUNT
    ||  !memchr (result.reason, 0, sizeof result.reason))
        abort ();
    //  A submission, a cancel-replace and an amend always end in an explicit
    //  status; a target the venue told of ended.
    if ((op == EP_VENUE_SUBMIT || change) && result.status == EP_STATUS (STATUS_UNSPECIFIED))
        abort ();
    if (result.target_known && result.target_status == EP_STATUS (STATUS_UNSPECIFIED))
        abort ();
    ep_venue_result_reset (&result);
    return 0;
}
