/* placeholder */ typedef int ep_placeholder_ep_log_t;
