# routing/: see Makefile.am.
