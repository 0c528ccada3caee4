/* placeholder */ typedef int ep_placeholder_ep_json_t;
