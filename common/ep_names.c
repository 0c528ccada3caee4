/* placeholder */ typedef int ep_placeholder_ep_names_t;
