/* placeholder */ typedef int ep_placeholder_ep_paper_book_t;
