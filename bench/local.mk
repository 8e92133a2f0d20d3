# bench/: see Makefile.am.
