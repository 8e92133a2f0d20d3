# docs/: see Makefile.am.
