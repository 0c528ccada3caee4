/*  ep_validate: the router's checks on a decoded intent.  */
#include <stdio.h>
#include <string.h>
#include "ep_names.h"
#include "ep_validate.h"

//  A CANCEL names its target and nothing of an order: an order field set
//  on it would be ignored, and a strategy that sets one has likely meant a
//  REPLACE, so it is refused rather than silently dropped.
static bool
s_valid_cancel (const ep_intent_t *intent, char *reason, size_t size)
{
    const char *set = intent->symbol && *intent->symbol ? "symbol"
                    : intent->side ? "side"
                    : intent->type ? "type"
                    : intent->tif ? "tif"
                    : intent->qty_e8 ? "qty"
                    : intent->limit_price_e8 ? "limit_price"
                    : intent->ref_price_e8 ? "ref_price"
                    : intent->safety ? "safety" : NULL;
    if (!set)
        return true;
    snprintf (reason, size, "a CANCEL carries no order fields (%s is set): only intent_id, "
              "strategy_id, target_intent_id and decided_at", set);
    return false;
}

//  The order of a PLACE or REPLACE.
static bool
s_valid_order (const ep_intent_t *intent, char *reason, size_t size)
{
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
    if (intent->action == EP_ACTION (REPLACE) && intent->type != EP_TYPE (LIMIT))
        snprintf (reason, size, "a REPLACE places a LIMIT order (got %s)",
                  ep_type_name (intent->type));
    else
        return true;
    return false;
}

bool
ep_validate_intent (const ep_intent_t *intent, char *reason, size_t size)
{
    const char *target = intent->target_intent_id ? intent->target_intent_id : "";
    if (intent->action == EP_ACTION (PLACE)) {
        if (!*target)
            return s_valid_order (intent, reason, size);
        snprintf (reason, size, "target_intent_id is only for a CANCEL or REPLACE");
        return false;
    }
    if (intent->action != EP_ACTION (CANCEL) && intent->action != EP_ACTION (REPLACE))
        snprintf (reason, size, "action must be PLACE, CANCEL or REPLACE (got %d)",
                  intent->action);
    else
    if (!ep_id_valid (target))
        snprintf (reason, size, "a %s needs a target_intent_id of 1 to %d characters of "
                  "A-Z a-z 0-9 . _ : -", ep_action_name (intent->action), EP_ID_MAX);
    else
    if (!strcmp (target, intent->intent_id))
        snprintf (reason, size, "a %s cannot target itself (intent_id %s)",
                  ep_action_name (intent->action), target);
    else
    if (intent->action == EP_ACTION (CANCEL))
        return s_valid_cancel (intent, reason, size);
    else
        return s_valid_order (intent, reason, size);
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
