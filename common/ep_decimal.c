/* placeholder */ typedef int ep_placeholder_ep_decimal_t;
