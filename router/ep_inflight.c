/* placeholder */ typedef int ep_placeholder_ep_inflight_t;
