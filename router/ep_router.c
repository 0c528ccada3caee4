/* placeholder */ typedef int ep_placeholder_ep_router_t;
