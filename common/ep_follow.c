/* placeholder */ typedef int ep_placeholder_ep_follow_t;
