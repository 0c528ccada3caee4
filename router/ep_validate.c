/*  ep_validate: the router's checks on a decoded intent.  */
#include <stdio.h>
#include "ep_names.h"
#include "ep_validate.h"

bool
ep_validate_intent (const ep_intent_t *intent, char *reason, size_t size)
{
    //  Until the router carries out cancels and replaces, an intent that
    //  asks for one is refused rather than placed as a new order.
    if (intent->action != EP_ACTION (PLACE))
        snprintf (reason, size, "action %s is not carried out by this router",
                  ep_action_name (intent->action) ? ep_action_name (intent->action) : "unknown");
    else
    if (!ep_id_valid (intent->symbol))
        snprintf (reason, size, "symbol must be 1 to %d characters of A-Z a-z 0-9 . _ : -",
                  EP_ID_MAX);
    else
    if (intent->side != EP_SIDE (BUY) && intent->side != EP_SIDE (SELL))
        snprintf (reason, size, "side must be BUY or SELL (got %d)", intent->side);
    else
    if (intent->type != EP_TYPE (MARKET) && intent->type != EP_TYPE (LIMIT))
        snprintf (reason, size, "type must be MARKET or LIMIT (got %d)", intent->type);
    else
    if (intent->tif < EP_TIF (TIF_UNSPECIFIED) || intent->tif > EP_TIF (FOK))
        snprintf (reason, size, "tif must be GTC, IOC or FOK (got %d)", intent->tif);
    else
    if (intent->type == EP_TYPE (LIMIT) && intent->tif == EP_TIF (TIF_UNSPECIFIED))
        snprintf (reason, size, "a LIMIT order needs tif GTC, IOC or FOK");
    else
    if (intent->type == EP_TYPE (MARKET) && intent->tif == EP_TIF (GTC))
        snprintf (reason, size, "a MARKET order never rests: tif must be IOC, FOK or unspecified");
    else
    if (intent->qty_e8 <= 0 || intent->qty_e8 > EP_MAX_E8)
        snprintf (reason, size, "qty must be above 0 and at most 1000000000 (got qty_e8 %lld)",
                  (long long) intent->qty_e8);
    else
    if (intent->ref_price_e8 <= 0 || intent->ref_price_e8 > EP_MAX_E8)
        snprintf (reason, size,
                  "ref_price must be above 0 and at most 1000000000 (got ref_price_e8 %lld)",
                  (long long) intent->ref_price_e8);
    else
    if (intent->type == EP_TYPE (LIMIT)
    &&  (intent->limit_price_e8 <= 0 || intent->limit_price_e8 > EP_MAX_E8))
        snprintf (reason, size, "a LIMIT order needs a limit_price above 0 and at most "
                  "1000000000 (got limit_price_e8 %lld)", (long long) intent->limit_price_e8);
    else
    if (intent->type == EP_TYPE (MARKET) && intent->limit_price_e8 != 0)
        snprintf (reason, size, "a MARKET order takes no limit_price");
    else
    if (intent->safety && intent->side != EP_SIDE (SELL))
        snprintf (reason, size, "a Safety Sell must be a SELL");
    else
        return true;
    return false;
}

ep_text_t
ep_validate_text (const uint8_t *data, size_t size, const char **field)
{
    const char *name = NULL;
    int bad = ep_wire_check_text (&execplane__v1__order_intent__descriptor, data, size, false,
                                  &name);
    if (bad == 0)
        return EP_TEXT_OK;
    if (bad < 0 || bad == 1 || bad == 2)    //  intent_id, strategy_id
        return EP_TEXT_UNREADABLE;
    if (field)
        *field = name;
    return EP_TEXT_BAD_FIELD;
}
