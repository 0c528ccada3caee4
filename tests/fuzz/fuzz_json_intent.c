/*  Fuzz: ep-send's JSON-lines parser. A line it accepts must format and
    parse again to the same intent.  */
#include <stdlib.h>
#include <string.h>
#include "ep_json.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *line = malloc (size + 1);
    memcpy (line, data, size);
    line [size] = 0;
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    char err [512];
    if (ep_json_intent_parse (line, &intent, err, sizeof err) == 0) {
        char *json = ep_json_intent_format (&intent);
        ep_intent_t again;
        execplane__v1__order_intent__init (&again);
        if (!json || ep_json_intent_parse (json, &again, err, sizeof err))
            abort ();
        size_t a = execplane__v1__order_intent__get_packed_size (&intent);
        size_t b = execplane__v1__order_intent__get_packed_size (&again);
        uint8_t *pa = malloc (a + 1), *pb = malloc (b + 1);
        execplane__v1__order_intent__pack (&intent, pa);
        execplane__v1__order_intent__pack (&again, pb);
        if (a != b || memcmp (pa, pb, a))
            abort ();                   //  formatting lost or changed something
        free (pa);
        free (pb);
        free (json);
        ep_json_intent_clear (&again);
        ep_json_intent_clear (&intent);
    }
    free (line);
    return 0;
}
