/*  Fuzz: an OrderIntent as the router reads it from intake: decode, the
    readability and validation checks, and its JSON form.  */
#include <stdlib.h>
#include "ep_json.h"
#include "ep_validate.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    ep_intent_t *intent = execplane__v1__order_intent__unpack (NULL, size, data);
    if (!intent)
        return 0;
    const char *field = NULL;
    ep_text_t text = ep_validate_text (data, size, &field);
    if (text == EP_TEXT_BAD_FIELD && !field)
        abort ();                       //  a refusal must name its field
    if (text != EP_TEXT_UNREADABLE) {
        char reason [512];
        ep_validate_intent (intent, reason, sizeof reason);
        free (ep_json_intent_format (intent));
    }
    //  What the router forwards to a worker must decode there.
    ep_wire_drop_unknown (&intent->base);
    size_t packed_size = execplane__v1__order_intent__get_packed_size (intent);
    uint8_t *packed = malloc (packed_size + 1);
    execplane__v1__order_intent__pack (intent, packed);
    ep_intent_t *again = execplane__v1__order_intent__unpack (NULL, packed_size, packed);
    if (!again)
        abort ();
    execplane__v1__order_intent__free_unpacked (again, NULL);
    free (packed);
    execplane__v1__order_intent__free_unpacked (intent, NULL);
    return 0;
}
