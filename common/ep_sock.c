/* placeholder */ typedef int ep_placeholder_ep_sock_t;
