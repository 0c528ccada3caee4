/* placeholder */ typedef int ep_placeholder_ep_config_t;
