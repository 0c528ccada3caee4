/* placeholder */ typedef int ep_placeholder_ep_journal_t;
