/*  Fuzz: the one decimal <-> e8 module. What parses must format and parse
    back to the same value; formatting any value must parse back.  */
#include <stdlib.h>
#include <string.h>
#include "ep_decimal.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    for (int negative = 0; negative < 2; negative++) {
        int64_t value;
        if (ep_decimal_parse_n ((const char *) data, size, negative, &value) == EP_DECIMAL_OK) {
            char text [EP_DECIMAL_BUFSIZE];
            int64_t again;
            ep_decimal_format (value, text);
            if (ep_decimal_parse (text, true, &again) != EP_DECIMAL_OK || again != value)
                abort ();
            if (!negative && value < 0)
                abort ();               //  a sign where none is allowed got through
        }
    }
    if (size >= 8) {
        int64_t value, again;
        memcpy (&value, data, 8);
        char text [EP_DECIMAL_BUFSIZE];
        ep_decimal_format (value, text);
        if (ep_decimal_parse (text, true, &again) != EP_DECIMAL_OK || again != value)
            abort ();
    }
    return 0;
}
