# web/: see Makefile.am.
